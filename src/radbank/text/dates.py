"""Dates as radiology reports write them, in Spanish and English: find, parse, shift, write back alike.

Numeric forms follow the language: 03/12/2021 is 3 December in Spanish (day first) and March 12 in
English (month first, as US reports write it), unless the first number is over 12. Written forms:
"12 de marzo de 2021", "12 marzo 2021", "marzo de 2021", "March 12, 2021", "12 March 2021",
"Mar. 12, 2021", "March 2021", ISO "2021-03-12". A shifted date is written in the form it was found in,
so the text reads the same and the intervals between a patient's dates survive.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS_ES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
             "noviembre", "diciembre"]  # fmt: skip
MONTHS_EN = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december"]  # fmt: skip
_MONTH_NUMBER = {name: i + 1 for names in (MONTHS_ES, MONTHS_EN) for i, name in enumerate(names)}
_MONTH_NUMBER.update({name[:3]: i + 1 for i, name in enumerate(MONTHS_EN)})
_MONTH_NUMBER.update({"sept": 9, "setiembre": 9, "ene": 1, "abr": 4, "ago": 8, "dic": 12})
_MONTH_NUMBER.update({name[:3]: i + 1 for i, name in enumerate(MONTHS_ES) if name[:3] not in _MONTH_NUMBER})
_ES_ONLY_ABBREVS = {n[:3] for n in MONTHS_ES} - {n[:3] for n in MONTHS_EN}
_MONTH_WORD = "|".join(sorted(_MONTH_NUMBER, key=len, reverse=True))
_M = rf"(?P<month>{_MONTH_WORD})\.?"
_Y = r"(?P<year>(?:19|20)\d{2})"

PATTERNS = [
    ("iso", re.compile(rf"\b{_Y}-(?P<m>0?[1-9]|1[0-2])-(?P<d>0?[1-9]|[12]\d|3[01])\b")),
    ("numeric", re.compile(r"\b(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>(?:19|20)?\d{2})\b")),
    ("d_de_m_de_y", re.compile(rf"\b(?P<d>[0-3]?\d)\s+de\s+{_M}\s+(?:de(?:l)?\s+)?{_Y}\b", re.I)),
    ("d_m_y", re.compile(rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?{_M},?\s+{_Y}\b", re.I)),
    ("m_d_y", re.compile(rf"\b{_M}\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+{_Y}\b", re.I)),
    ("m_de_y", re.compile(rf"\b{_M}\s+(?:de(?:l)?\s+)?{_Y}\b", re.I)),
]


@dataclass(frozen=True)
class FoundDate:
    """A date in a text: where, what day (the 1st for month-only forms), and how it was written."""

    start: int
    end: int
    date: dt.date
    form: str
    match: re.Match[str]


def find_dates(text: str, lang: str) -> list[FoundDate]:
    """Every parseable date in `text` (leftmost-longest; overlapping candidates dropped)."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for form, pattern in PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            day = _parse(m, form, lang)
            if day is not None:
                found.append(FoundDate(m.start(), m.end(), day, form, m))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def _year(text: str) -> int:
    y = int(text)
    return y if len(text) == 4 else (2000 + y if y < 50 else 1900 + y)


def _parse(m: re.Match[str], form: str, lang: str) -> dt.date | None:
    try:
        g = m.groupdict()
        if form == "iso":
            return dt.date(int(g["year"]), int(g["m"]), int(g["d"]))
        if form == "numeric":
            a, b = int(g["a"]), int(g["b"])
            day, month = (b, a) if lang == "en" and a <= 12 else (a, b)
            if month > 12:  # written the other way round
                day, month = month, day
            return dt.date(_year(g["year"]), month, day)
        month = _MONTH_NUMBER[g["month"].lower()]
        return dt.date(int(g["year"]), month, int(g["d"]) if g.get("d") else 1)
    except (ValueError, KeyError):
        return None


def write_like(found: FoundDate, day: dt.date, lang: str) -> str:
    """`day` written the way `found` was (same separators, order, padding, month language and case)."""
    m, g = found.match, found.match.groupdict()
    if found.form == "numeric":
        a_is_day = int(g["a"]) == found.date.day and int(g["b"]) == found.date.month
        first, second = (day.day, day.month) if a_is_day else (day.month, day.day)
        values = {"a": first, "b": second}
    else:
        values = {"d": day.day, "m": day.month}
    replacements = []
    for name, value in values.items():
        if g.get(name):
            replacements.append((m.start(name), m.end(name), f"{value:0{len(g[name])}d}"))
    year = f"{day.year:04d}" if len(g["year"]) == 4 else f"{day.year % 100:02d}"
    replacements.append((m.start("year"), m.end("year"), year))
    if g.get("month"):
        replacements.append((m.start("month"), m.end("month"), _month_like(g["month"], day.month, lang)))
    text, offset = m.group(0), m.start()
    for start, end, new in sorted(replacements, reverse=True):
        text = text[: start - offset] + new + text[end - offset :]
    return text


def _month_like(word: str, month: int, lang: str) -> str:
    """Month `month` named in the language, length (full or 3-letter) and case of `word`."""
    low = word.lower()
    spanish = low in MONTHS_ES or low in _ES_ONLY_ABBREVS or (lang == "es" and low not in MONTHS_EN)
    names = MONTHS_ES if spanish else MONTHS_EN
    name = names[month - 1]
    if low not in MONTHS_ES and low not in MONTHS_EN:  # an abbreviation
        name = name[:3]
    return _same_case(word, name)


def _same_case(model: str, word: str) -> str:
    if model.isupper():
        return word.upper()
    if model[:1].isupper():
        return word.capitalize()
    return word
