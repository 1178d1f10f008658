"""A MIDS tree read back as Records, in any layout BIMCV uses (see `radbank.mids.tree`).

Images: `sub-*/ses-*/mod-*/`, `mim-*/` or `mim-*/<modality>/` files whose names follow MIDS. Patient = the
sub- label, session = the ses- label. View, modality and spacing from the sidecar (keyword- or tag-keyed),
else the vp- entity and the suffix; age from the sessions table, participants.tsv or the sidecar; sex from
participants.tsv (`sex` or BIMCV-COVID19+'s `gender`) or the sidecar. Labels, in order of precedence:
radbank's `derivatives/labels/findings.tsv` (per image), BIMCV-format tables in `derivatives/labels/`
(per session, e.g. `labels_covid19_posi.tsv`), a `label_table` in BIMCV's format, and the per-session
`*_findings.tsv` of radbank exports before issue 16. Images without labels are skipped with the reason.

Three registered readers share this code and differ in what they recognise: `mids` (trees radbank wrote),
`bimcv-release` (BIMCV-COVID19+: mod-* folders or BIMCV labels tables), `dcm2mids` (mim-*/<modality>/).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from radbank.errors import RadbankError
from radbank.mids.label_tables import SessionLabels, bimcv_tables, legacy_session_labels, session_labels
from radbank.mids.tree import (
    TreeImage,
    generated_by_radbank,
    is_mids,
    layout_of,
    participant_rows,
    read_sidecar,
    session_rows,
    subjects,
    walk_images,
)
from radbank.mids.tsv import NA
from radbank.sources.label_sets import LabelSpec, labelled, row_problem, usable
from radbank.sources.records import MAX_AGE, Records
from radbank.sources.registry import SourceReader


@dataclass(frozen=True)
class MidsOptions:
    """Options of a MIDS tree."""

    labels: str | None = None  # multi-label: "all" or a comma list (PadChest, NIH or CheXpert names)
    positive: str | None = None  # the class that means disease, when there are two classes
    label_table: str | None = None  # a labels table in BIMCV's format (PatientID, ReportID, Labels)
    view: str | None = None  # keep only this View Position (PA, AP, LATERAL...)


def _number(value: object) -> float:
    """The first number of a cell ("52", "[52, 53]", "052Y"), NaN when there is none."""
    m = re.search(r"\d+(?:\.\d+)?", str(value)) if value not in (None, NA, "") else None
    return float(m.group()) if m else float("nan")


def _first(*values: object) -> str:
    for v in values:
        text = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
        if text and text not in (NA, "None", "nan"):
            return text
    return ""


def _row(
    img: TreeImage, side: dict[str, Any], info: dict[str, Any], found: SessionLabels, terms: set[str]
) -> dict[str, object]:
    """One image's row; `info` holds its participants.tsv row and, prefixed session_, its sessions.tsv row."""
    person = info
    spacing = side.get("PixelSpacing") or side.get("ImagerPixelSpacing")
    age = _number(
        _first(info.get("session_age"), info.get("session_age_at_session"), info.get("age"), side.get("PatientAge"))
    )
    return {
        "path": str(img.path),
        "patient": img.sub,
        "study": f"sub-{img.sub}_ses-{img.ses}",
        "session": img.ses,
        "view": _first(side.get("ViewPosition"), img.name.vp).upper(),
        "modality": _first(side.get("Modality"), img.name.suffix).upper(),
        "body_part": _first(side.get("BodyPartExamined"), img.name.bp).upper(),
        "age": age if 0 <= age <= MAX_AGE else float("nan"),
        "sex": _first(person.get("sex"), person.get("gender"), side.get("PatientSex")).upper()[:1],
        "finding_labels": "|".join(sorted(terms)),
        "localizations": "|".join(found.localizations),
        "report": found.report,
        "pixel_spacing": _number(spacing[0] if isinstance(spacing, list) and spacing else spacing),
        "original_width": _number(side.get("Columns")),
    }


def read_tree(root: str | Path, options: MidsOptions | None = None, source: str = "mids") -> Records:
    """Index a MIDS tree into Records (see the module docstring)."""
    opts = options or MidsOptions()
    base = Path(root)
    if not is_mids(base):
        raise RadbankError(
            f"{base}: not a MIDS tree (needs sub-<label> folders and participants.tsv or dataset_description.json)"
        )
    people = participant_rows(base)
    found = session_labels(base, Path(opts.label_table) if opts.label_table else None)
    ses_tables = {sub.name[4:]: session_rows(sub) for sub in subjects(base)}
    rows, sets, skipped = [], [], []
    for img in walk_images(base):
        entry = found.get((img.sub, img.ses)) or _legacy(base, img, found)
        terms = entry.for_image(img.rel)
        problem = row_problem(terms) if terms else "no labels for it in derivatives/labels/ (or a label table)"
        if problem is not None:
            skipped.append((str(img.path), problem))
            continue
        side = read_sidecar(img.path.with_name(img.path.name[: -len(img.name.ext)] + ".json"))
        session = ses_tables.get(img.sub, {}).get(img.ses, {})
        info = {**people.get(img.sub, {}), **{f"session_{k}": v for k, v in session.items()}}
        row = _row(img, side, info, entry, terms)
        if opts.view and str(row["view"]) != opts.view.strip().upper():
            continue
        rows.append(row)
        sets.append(usable(terms))
    if not rows:
        raise RadbankError(f"{base}: no labelled images under sub-*/ses-*/ ({len(skipped)} image(s) without labels)")
    records = labelled(pd.DataFrame(rows), sets, LabelSpec(opts.labels, opts.positive), str(base), source)
    records.skipped = skipped
    return records


def _legacy(base: Path, img: TreeImage, found: dict[tuple[str, str], SessionLabels]) -> SessionLabels:
    """The per-session findings table of an older radbank export (remembered in `found`)."""
    ses_dir = base / f"sub-{img.sub}" / f"ses-{img.ses}"
    entry = legacy_session_labels(ses_dir, f"sub-{img.sub}_ses-{img.ses}") or SessionLabels()
    found[(img.sub, img.ses)] = entry
    return entry


def read_mids(root: str | Path, labels: str | None = None, positive: str | None = None) -> Records:
    """Index a MIDS tree radbank (or BIMCV) wrote; the Python API of issue 6, kept."""
    return read_tree(root, MidsOptions(labels=labels, positive=positive))


def _has_legacy_findings(root: Path) -> bool:
    return any(any(sub.glob("ses-*/*_findings.tsv")) for sub in subjects(root)[:3])


class MidsReader(SourceReader[MidsOptions]):
    """MIDS trees radbank wrote (any layout), and MIDS trees in no BIMCV-specific layout."""

    options_type = MidsOptions

    @classmethod
    def can_read(cls, path: Path) -> bool:
        if not is_mids(path):
            return False
        if generated_by_radbank(path) or _has_legacy_findings(path):
            return True
        return layout_of(path) == "flat" and not bimcv_tables(path)

    def read(self, root: Path, options: MidsOptions, workers: int = 0) -> Records:
        return read_tree(root, options, "mids")
