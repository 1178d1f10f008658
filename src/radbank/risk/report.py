"""The figures of one table (`RiskReport`) and their plain-text form; the unit (person or record) is named."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RiskReport:
    """Figures of one table; class sizes, k and the risks count distinct persons (`unit`)."""

    records: int
    quasi: list[str]
    sensitive: list[str]
    threshold: int
    classes: int
    k: int
    unit: str = "record"
    subject: str | None = None
    subjects: int = 0
    subjects_without_id: int = 0
    l_distinct: dict[str, int] = field(default_factory=dict)
    l_entropy: dict[str, float] = field(default_factory=dict)
    t_closeness: dict[str, float] = field(default_factory=dict)
    class_sizes: list[dict[str, Any]] = field(default_factory=list)
    subjects_at_risk: int = 0
    records_at_risk: int = 0
    singling_out: float = 0.0
    linkability_max: float = 0.0
    linkability_avg: float = 0.0
    unique_combinations: int | None = None
    inference_certain: dict[str, float] = field(default_factory=dict)
    inference_accuracy: dict[str, float] = field(default_factory=dict)
    inference_baseline: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def unit_line(rep: RiskReport) -> str:
    """Which unit the figures count."""
    if rep.subject is None:
        return (
            "unit: record (no subject column: each row is counted as a person; name one with --subject "
            "if a person can have several rows)"
        )
    line = f"unit: person (subject column {rep.subject}: {rep.subjects} persons in {rep.records} records)"
    if rep.subjects_without_id:
        line += f"; {rep.subjects_without_id} record(s) without a subject, each counted as a person"
    return line


def format_report(rep: RiskReport, title: str = "") -> str:
    """A plain-text table of the figures."""
    who = "persons" if rep.subject else "records"
    lines = [title] if title else []
    lines += [
        unit_line(rep),
        f"records {rep.records}, quasi-identifiers {', '.join(rep.quasi)}; "
        f"sensitive {', '.join(rep.sensitive) or 'none'}",
        f"k-anonymity         k = {rep.k} {who} in the smallest class ({rep.classes} equivalence classes)",
    ]
    for s in rep.sensitive:
        lines.append(f"l-diversity ({s})  distinct l = {rep.l_distinct[s]}, entropy l = {rep.l_entropy[s]:.2f}")
        lines.append(f"t-closeness ({s})  t = {rep.t_closeness[s]:.3f}")
    lines.append(f"class size ({who})  classes  records  persons" if rep.subject else "class size  classes  records")
    for b in rep.class_sizes:
        row = f"{b['size']:>{len(who) + 13 if rep.subject else 10}}  {b['classes']:>7}  {b['records']:>7}"
        lines.append(row + (f"  {b['persons']:>7}" if rep.subject else ""))
    pct = 100.0 / rep.subjects if rep.subjects else 0.0
    at_risk = f"{rep.subjects_at_risk} ({rep.subjects_at_risk * pct:.1f}%)"
    if rep.subject:
        lines.append(
            f"persons at risk (a record in a class of < {rep.threshold} persons): {at_risk}; "
            f"records in such classes: {rep.records_at_risk}"
        )
    else:
        lines.append(f"records at risk (class < {rep.threshold}): {at_risk}")
    lines += [
        f"singling out: {rep.singling_out:.1%} of {who} are alone in their class on the quasi-identifiers",
        f"linkability: re-identification probability max {rep.linkability_max:.3f}, "
        f"average {rep.linkability_avg:.3f} (per {rep.unit}{', its most exposed record' if rep.subject else ''})",
    ]
    if rep.unique_combinations is not None:
        lines.append(
            f"records joined on {rep.subject}: {rep.unique_combinations} persons "
            f"({rep.unique_combinations * pct:.1f}%) have a combination of classes no other person has"
        )
    for s in rep.sensitive:
        lines.append(
            f"inference ({s}): {rep.inference_certain[s]:.1%} of {who} are in a class where every one has the same "
            f"value; guessing the class's commonest value is right {rep.inference_accuracy[s]:.1%} "
            f"(table's commonest: {rep.inference_baseline[s]:.1%})"
        )
    return "\n".join(lines)
