"""Folding report text for matching: lower case, accents removed, hyphens and slashes as spaces, one
character for one character, so that offsets in the folded text are offsets in the report."""

from __future__ import annotations

import unicodedata
from functools import cache


@cache
def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x80, 0x250):
        ch = chr(code)
        base = unicodedata.normalize("NFD", ch)[0].lower()
        if base != ch and len(base) == 1 and base.isascii():
            table[code] = base
    table.update({ord("-"): " ", ord("/"): " ", ord("’"): "'", ord("‘"): "'", ord("\u2010"): " ", ord("\u2013"): " "})
    table.update({ord("ß"): "s", ord("ø"): "o", ord("æ"): "a", ord("œ"): "o"})
    return table


def fold(text: str) -> str:
    """`text` lower-cased with accents removed and '-', '/' as spaces; the result has the same length."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lower-case to two (e.g. 'İ'): keep one each
        lowered = "".join(c.lower()[:1] for c in text)
    return lowered.translate(_table())


def fold_phrase(phrase: str) -> str:
    """A list phrase as it is matched: folded, spaces collapsed, "did n't" written "didn't"."""
    return " ".join(fold(phrase).split()).replace(" n't", "n't")
