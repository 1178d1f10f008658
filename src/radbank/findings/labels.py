"""Label sets and their columns: NIH ChestX-ray14's fourteen findings, PadChest's terms, or both; and the UMLS
CUI of each finding, from the packaged UMLS table (radbank.mids.umls)."""

from __future__ import annotations

from functools import cache

from radbank.errors import RadbankError
from radbank.findings.lexicon import LANGS, findings_of
from radbank.mids.umls import Concept, lookup
from radbank.sources.nih import NIH_FINDINGS

PADCHEST_OF_NIH = {
    "Atelectasis": "atelectasis",
    "Cardiomegaly": "cardiomegaly",
    "Effusion": "pleural effusion",
    "Infiltration": "infiltrates",
    "Mass": "mass",
    "Nodule": "nodule",
    "Pneumonia": "pneumonia",
    "Pneumothorax": "pneumothorax",
    "Consolidation": "consolidation",
    "Edema": "pulmonary edema",
    "Emphysema": "emphysema",
    "Fibrosis": "pulmonary fibrosis",
    "Pleural_Thickening": "pleural thickening",
    "Hernia": "hiatal hernia",
}
LABEL_SETS = ("nih", "padchest", "all")
NO_FINDING = "No Finding"


@cache
def other_findings() -> tuple[str, ...]:
    """The PadChest terms the phrase lists name beyond NIH's fourteen, in list order."""
    seen: dict[str, None] = {}
    for lang in LANGS:
        for f in findings_of(lang):
            if f not in PADCHEST_OF_NIH:
                seen.setdefault(f, None)
    return tuple(seen)


def columns(label_set: str) -> list[tuple[str, str]]:
    """(column name, finding) pairs of a label set: 'nih', 'padchest' (PadChest's spelling) or 'all'."""
    if label_set == "nih":
        return [(f, f) for f in NIH_FINDINGS]
    if label_set == "padchest":
        return [(PADCHEST_OF_NIH[f], f) for f in NIH_FINDINGS] + [(t, t) for t in other_findings()]
    if label_set == "all":
        return [(f, f) for f in NIH_FINDINGS] + [(t, t) for t in other_findings()]
    raise RadbankError(f"unknown label set {label_set!r}; choose one of {', '.join(LABEL_SETS)}")


@cache
def concept_of(finding: str) -> Concept | None:
    """The UMLS table's concept of a finding (NIH label or PadChest term), or None when it has none."""
    return lookup(finding) or lookup(PADCHEST_OF_NIH.get(finding, finding))


def cui_of(finding: str) -> str:
    """The UMLS CUI of a finding in the packaged table, or '' when it has none."""
    concept = concept_of(finding)
    return concept.cui if concept is not None else ""


def missing_cuis() -> list[str]:
    """Findings of the phrase lists that the UMLS table does not code."""
    return [f for _, f in columns("all") if not cui_of(f)]
