"""Findings named in a radiology report (English or Spanish), coded with the packaged UMLS table.

The labeller of radbank.findings (sentence segmentation, phrase lists from CheXpert and PadChest, ConText
negation and uncertainty with list-aware scope) decides; this module keeps the findings stated as present
(negated and uncertain ones are left out) as UMLS concepts, for the MIDS findings tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from radbank.findings.labeller import PRESENT, label_report
from radbank.findings.labels import concept_of
from radbank.mids.umls import Concept


@dataclass(frozen=True)
class Finding:
    """A finding stated as present in a report."""

    concept: Concept
    text: str


def report_findings(text: str, lang: str = "auto") -> list[Finding]:
    """Present findings of a report, one per concept, in order of first mention; findings the UMLS table
    does not code are left out (radbank.findings.labels.missing_cuis lists them)."""
    labels = label_report(text, lang)
    seen: dict[str, Finding] = {}
    for m in labels.mentions:
        if m.value != PRESENT or labels.values.get(m.finding) != PRESENT:
            continue
        concept = concept_of(m.finding)
        if concept is not None and concept.cui not in seen:
            seen[concept.cui] = Finding(concept, text[m.start : m.end])
    return list(seen.values())
