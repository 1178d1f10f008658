"""Sentence segmentation of radiology reports: a sentence ends at '.', '!', '?' or ';' before a space, at a
colon before a space (section headers: "IMPRESSION:", "Conclusión:"), at a blank line, and at a line break
before a list mark, a number or a capital letter (hard-wrapped lines that go on in lower case stay one
sentence). Decimals ("1.5 cm") and abbreviations ("vs.", "Dr.", "e.g.") do not end a sentence."""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset({"vs", "dr", "dra", "drs", "sr", "sra", "e.g", "i.e", "approx", "aprox", "fig", "p.ej", "cf"})
_BREAK = re.compile(r"[.!?;]+(?=\s|$)|:(?=\s)|\n[ \t]*\n|\n(?=[ \t]*(?:[-*•·]|\d+[.)]?\s|[A-ZÁÉÍÓÚÑÜ]))")
_LAST_WORD = re.compile(r"(\w+(?:\.\w+)*)$")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, blank ones left out."""
    spans = []
    start = 0
    for m in _BREAK.finditer(text):
        if m.group() == ".":
            word = _LAST_WORD.search(text, max(0, m.start() - 12), m.start())
            if word and word.group(1).lower() in ABBREVIATIONS:
                continue
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if not text[s:e].isspace() and s < e]
