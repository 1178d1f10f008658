"""Findings named in a radiology report (English or Spanish), coded with the packaged UMLS table.

Dictionary matching of every label and synonym (longest first, whole words) with NegEx-style negation:
a finding preceded in its clause by a negation cue ("no", "without", "sin", "no se observa"...) is
absent. A report that names no present finding is coded "No Finding".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from radbank.mids.umls import Concept, concepts, lookup

NEGATIONS = (
    "no", "not", "without", "negative for", "free of", "no evidence of", "no signs of", "resolved",
    "sin", "ni", "descarta", "descartan", "ausencia de", "no se observa", "no se observan", "no hay",
    "no se aprecia", "no se aprecian", "sin signos de", "libre de",
)  # fmt: skip
CLAUSE_BREAK = re.compile(r"[.;:\n]|\b(?:but|however|although|pero|aunque|sin embargo)\b", re.IGNORECASE)
NEGATION_WINDOW = 6  # words between the cue and the finding
NORMAL_LABELS = ("no finding", "normal")


@dataclass(frozen=True)
class Finding:
    """A finding stated as present in a report."""

    concept: Concept
    text: str


@cache
def _matcher() -> tuple[re.Pattern[str], dict[str, Concept]]:
    terms: dict[str, Concept] = {}
    for c in concepts():
        if c.label.lower() in NORMAL_LABELS:
            continue
        for term in (c.label.replace("_", " "), *c.synonyms):
            found = lookup(term)
            if found is not None and found.label.lower() not in NORMAL_LABELS:
                terms.setdefault(term.lower(), found)
    alternatives = sorted(terms, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(t) for t in alternatives) + r")(?!\w)", re.IGNORECASE)
    return pattern, terms


_NEG = re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in sorted(NEGATIONS, key=len, reverse=True)) + r")(?!\w)",
                  re.IGNORECASE)  # fmt: skip


def _negated(text: str, start: int) -> bool:
    clause_start = max((m.end() for m in CLAUSE_BREAK.finditer(text, 0, start)), default=0)
    before = text[clause_start:start]
    cues = list(_NEG.finditer(before))
    if not cues:
        return False
    return len(before[cues[-1].end() :].split()) <= NEGATION_WINDOW


def report_findings(text: str) -> list[Finding]:
    """Present findings of a report, one per concept, in order of first mention."""
    pattern, terms = _matcher()
    seen: dict[str, Finding] = {}
    for m in pattern.finditer(text):
        concept = terms[m.group(1).lower()]
        if concept.cui not in seen and not _negated(text, m.start()):
            seen[concept.cui] = Finding(concept, m.group(1))
    return list(seen.values())
