"""What a report repeats: an identifier found once is removed wherever it stands again.

- the value of a found ID, phone or fax number or postal code (five digits or more) elsewhere in the report,
  also glued to a prefix ("NHC: 204518" found, "CIPA: nhc-204518" too);
- a found town or city's name wherever else the report writes it;
- an institution's acronym in parentheses right after it ("Hospital Costa Azul (HCA)"), and that acronym
  wherever else the report writes it ("ingresó en el HCA").
Names spread the same way in names.py (`NameRules.propagate`).
"""

from __future__ import annotations

import re

from radbank.text.ner import COMMON_CAPS
from radbank.text.spans import Span

MIN_DIGITS = 5  # a shorter number repeats by chance (doses, sizes, years)
MIN_PLACE = 4  # letters of a place name that spreads (not "Río")
_ACRONYM = re.compile(r"[ \t]*\((?P<acronym>[A-Z](?=[A-Z0-9-]*[A-Z])[A-Z0-9-]{1,9})\)")


def _overlaps(start: int, end: int, spans: list[Span]) -> bool:
    return any(s.start < end and start < s.end for s in spans)


def _place_name(span: Span, value: str) -> bool:
    """A town or city written with a capital, long enough not to repeat by chance."""
    return span.label == "CITY" and len(value) >= MIN_PLACE and value[:1].isupper() and value.lower() not in COMMON_CAPS


def acronym_spans(text: str, spans: list[Span]) -> list[Span]:
    """Institution acronyms in parentheses after an institution span, as institution spans of their own."""
    out = []
    for s in spans:
        m = _ACRONYM.match(text, s.end)
        if s.label == "INSTITUTION" and m and m.group("acronym").lower() not in COMMON_CAPS:
            out.append(Span(m.start("acronym"), m.end("acronym"), "INSTITUTION", s.kind, "acronym"))
    return [a for a in out if not _overlaps(a.start, a.end, spans)]


def repeated_spans(text: str, spans: list[Span]) -> list[Span]:
    """Other occurrences of the found IDs', numbers' and institution acronyms' values (see the module)."""
    out: list[Span] = []
    for s in spans:
        value = text[s.start : s.end]
        if s.label in ("ID", "PHONE", "ZIP") and sum(ch.isdigit() for ch in value) >= MIN_DIGITS:
            pattern = rf"(?<![\d]){re.escape(value)}(?![\d])"
        elif s.source == "acronym" or _place_name(s, value):
            pattern = rf"(?<![\w-]){re.escape(value)}(?![\w-])"
        else:
            continue
        for m in re.finditer(pattern, text):
            if not _overlaps(m.start(), m.end(), spans) and not _overlaps(m.start(), m.end(), out):
                out.append(Span(m.start(), m.end(), s.label, s.kind, "repeated"))
    return out
