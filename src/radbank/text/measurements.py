"""Numbers that are quantities or product codes, not dates or postal codes: "pesó 5786 gramos", "(modelo 20636,
Polytech)". The model reads such numbers as dates or postal codes now and then."""

from __future__ import annotations

import re

from radbank.text.spans import Span

_NUMBER = re.compile(r"\d[\d.,]*")
_UNIT_AFTER = re.compile(
    r"[ \t]*(?:gramos|gr|g|kg|mg|mcg|µg|ng|ml|cc|cm3?|mm3?|mmHg|U/L|UI|U|mEq|mmol|%|/mm3|/µl|/ul|células|"
    r"grams|units|copias|copies)(?![\w/])"
)
_MODEL_BEFORE = re.compile(r"(?i:\b(?:modelo|model|ref\.?|referencia|lote|lot|serie|talla|size)[ \t]*[:#nº]*[ \t]*)$")


def is_measurement(text: str, span: Span) -> bool:
    """A bare number with a unit after it ("5786 gramos") or a model/lot cue before it ("modelo 20636"): a
    quantity or a product code, not a date or a postal code."""
    if not _NUMBER.fullmatch(text[span.start : span.end]):
        return False
    return bool(_UNIT_AFTER.match(text, span.end) or _MODEL_BEFORE.search(text[max(0, span.start - 20) : span.start]))
