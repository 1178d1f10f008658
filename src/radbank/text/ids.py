"""National identifiers with check characters: Spanish DNI/NIE (mod-23 letter) and US SSN rules."""

from __future__ import annotations

import re

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
NIE_PREFIX = {"X": "0", "Y": "1", "Z": "2"}
NEVER_ISSUED_AREA = 666


def dni_letter(number: int) -> str:
    """The check letter of a DNI number (NIE: with X/Y/Z read as 0/1/2)."""
    return DNI_LETTERS[number % 23]


def valid_dni_nie(text: str) -> bool:
    """True for a DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter) whose check letter is right."""
    t = re.sub(r"[\s.-]", "", text).upper()
    if re.fullmatch(r"\d{8}[A-Z]", t):
        return dni_letter(int(t[:8])) == t[8]
    if re.fullmatch(r"[XYZ]\d{7}[A-Z]", t):
        return dni_letter(int(NIE_PREFIX[t[0]] + t[1:8])) == t[8]
    return False


def valid_ssn(text: str) -> bool:
    """A US SSN as the SSA issues them: not area 000/666/9xx, group not 00, serial not 0000."""
    m = re.fullmatch(r"(\d{3})-?(\d{2})-?(\d{4})", text.strip())
    if not m:
        return False
    area, group, serial = m.groups()
    return area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"


def make_dni(number: int, like: str) -> str:
    """A valid DNI or NIE for `number`, written like `like` (kind, separators, letter case)."""
    t = re.sub(r"[\s.-]", "", like).upper()
    if t[:1] in NIE_PREFIX:
        prefix = t[0]
        digits = f"{number % 10**7:07d}"
        body = prefix + digits + dni_letter(int(NIE_PREFIX[prefix] + digits))
    else:
        digits = f"{number % 10**8:08d}"
        body = digits + dni_letter(int(digits))
    return _reformat(body, like)


def make_ssn(number: int, like: str) -> str:
    """A valid-looking SSN (never a real issued range guarantee), written like `like`."""
    area = 1 + number % 665
    area = area + 1 if area == NEVER_ISSUED_AREA else area
    group = 1 + (number // 1000) % 99
    serial = 1 + (number // 100000) % 9999
    return _reformat(f"{area:03d}{group:02d}{serial:04d}", like)


def _reformat(body: str, like: str) -> str:
    """`body` (alphanumerics) laid out with `like`'s separators and case."""
    out, i = [], 0
    for ch in like:
        if ch.isalnum() and i < len(body):
            out.append(body[i].lower() if ch.islower() else body[i])
            i += 1
        elif not ch.isalnum():
            out.append(ch)
    return "".join(out) + body[i:]
