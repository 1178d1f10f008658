"""Cleaning short free text (DICOM descriptions and comments) of identifying content.

What is removed: every identifier of the file itself (see identifiers.py), and anything that looks like a
date, an identifier with digits, a telephone number, an e-mail address, a web address, or a person named
after a title (Dr., Dra., Prof., Sr., Sra., D., Dña., Mr., Mrs., Ms.). Each is replaced by a mask, so the
clinical words of "PA chest, Dr. Pérez, 12/03/2021" survive as "PA chest, ***, ***". The radiology report
pipeline (radbank.anonymize.text) goes further; this one is for the short fields of a DICOM header.
"""

from __future__ import annotations

import re

from radbank.anonymize.identifiers import IdentifierSet, normalise_with_map

MASK = "***"
_UPPER = "A-ZÁÉÍÓÚÑÜÀÈÒÇ"
PATTERNS = [
    re.compile(r"\b\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}\b"),  # 12/03/2021, 2021-03-12, 12.3.21
    re.compile(r"\b(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\b"),  # 20210312
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
    re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE),  # web address
    re.compile(r"(?<![\w])\+?\d[\d\s().\-]{7,}\d\b"),  # telephone numbers and long numbers with separators
    re.compile(r"\b[A-Za-z]{0,4}[-_/]?\d{5,}[A-Za-z]?\b"),  # IDs: 5+ digits, optional letter prefix/suffix
    re.compile(
        rf"\b(?:Dr|Dra|Drs|Prof|Sr|Sra|Srta|Mr|Mrs|Ms|D|Dña|Dª)\.?\s+[{_UPPER}][\w'\-]+"
        rf"(?:\s+(?:de\s+|del\s+|de\s+la\s+)?[{_UPPER}][\w'\-]+){{0,3}}"
    ),
]


def clean_text(text: str, identifiers: IdentifierSet | None = None, mask: str = MASK) -> str:
    """`text` with identifying spans replaced by `mask` (adjacent masks merged)."""
    spans: list[tuple[int, int]] = []
    if identifiers is not None:
        spans += _spans_in_original(text, identifiers)
    for pattern in PATTERNS:
        spans += [(m.start(), m.end()) for m in pattern.finditer(text)]
    if not spans:
        return text
    out, last = [], 0
    for start, end in _merge(spans):
        out.append(text[last:start])
        if not out[-1].endswith(mask):
            out.append(mask)
        last = end
    out.append(text[last:])
    return "".join(out)


def _spans_in_original(text: str, identifiers: IdentifierSet) -> list[tuple[int, int]]:
    """Identifier matches mapped back to positions in the original text (matching is on a normalised copy)."""
    if not identifiers.find(text):  # the common case, without building the position map
        return []
    norm, index = normalise_with_map(text)
    return [(index[m.start], index[m.end - 1] + 1) for m in identifiers.find_normalised(norm)]


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]
