"""Labelled spans of a text, and how overlapping candidates are resolved."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

LABELS = (
    "NAME",
    "DATE",
    "ID",
    "PHONE",
    "EMAIL",
    "URL",
    "ADDRESS",
    "ZIP",
    "CITY",
    "INSTITUTION",
    "AGE",
    "COUNTRY",
    "SEX",
    "PROFESSION",
    "OTHER",
)
# when two candidates overlap: the longer wins; on equal length, the earlier label here
PRIORITY = {
    label: i
    for i, label in enumerate(
        (
            "EMAIL",
            "URL",
            "ID",
            "PHONE",
            "DATE",
            "ADDRESS",
            "INSTITUTION",
            "NAME",
            "CITY",
            "ZIP",
            "AGE",
            "COUNTRY",
            "PROFESSION",
            "SEX",
            "OTHER",
        )
    )
}


@dataclass(frozen=True)
class Span:
    """[start, end) of a text holding one identifier of `label`; `kind` refines it (dni, ssn, mrn...)."""

    start: int
    end: int
    label: str
    kind: str = ""
    source: str = "rules"

    def to_dict(self, text: str | None = None) -> dict[str, Any]:
        out = asdict(self)
        if text is not None:
            out["text"] = text[self.start : self.end]
        return out


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans: longest first, then by label priority, then leftmost."""
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), PRIORITY.get(s.label, 99), s.start)):
        if span.end > span.start and all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)
