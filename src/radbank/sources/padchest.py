"""PadChest as BIMCV releases it: `PADCHEST_chest_x_ray_images_labels_160K_01.02.19.csv` + 16-bit PNGs.

The CSV (also shipped gzipped in the torchxrayvision wheel) has a leading unnamed index column, then
`ImageID, ImageDir, StudyDate_DICOM, StudyID, PatientID, PatientBirth, PatientSex_DICOM, ...,
Projection, ..., Modality_DICOM, ..., ReportID, Report, MethodLabel, Labels, Localizations,
LabelsLocalizationsBySentence, labelCUIS, LocalizationsCUIS`. Images lie in `<ImageDir>/<ImageID>`
(the release's 0.zip ... 54.zip unpacked), or in one flat folder (`images/` or the root).

Labels are PadChest terms (`['pleural effusion', 'cardiomegaly']`, `['normal']`): a multi-label task over
`labels` ("all": every finding term present; or a comma list of PadChest terms, NIH ChestX-ray14 or
CheXpert names, matched by UMLS concept). With `hierarchy`, a term is present when a more specific term
below it in BIMCV's label tree is ("loculated pleural effusion" counts as "pleural effusion"), as BIMCV's
own data handler does (BIMCV-CSUSP/BIMCV-COVID-19, Notebooks/padchest_handler.py, labels_to_indexes).
Rows marked `exclude`, rows whose only label is `unchanged` (it refers to an earlier study), rows
without labels and listed images missing on disk are skipped with the reason.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from radbank.errors import RadbankError
from radbank.sources.cells import parse_list
from radbank.sources.label_sets import label_matrix, resolve_names, row_problem, usable
from radbank.sources.records import MAX_AGE, Records
from radbank.sources.registry import SourceReader

log = logging.getLogger(__name__)

CSV_GLOB = "PADCHEST_chest_x_ray_images_labels_160K*.csv*"
REQUIRED = ("ImageID", "ImageDir", "StudyID", "PatientID", "Projection", "Labels")
VIEWS = {"PA": "PA", "AP": "AP", "AP_HORIZONTAL": "AP", "L": "LATERAL"}  # Projection -> DICOM View Position


@dataclass(frozen=True)
class PadchestOptions:
    """Options of a PadChest folder."""

    labels: str | None = "all"  # "all" or a comma list of PadChest terms / NIH / CheXpert names
    view: str | None = None  # a Projection (PA, AP, AP_horizontal, L, COSTAL) or View Position (LATERAL)
    hierarchy: bool = True  # count a term present when a term below it in BIMCV's label tree is


def find_csv(root: Path) -> Path | None:
    """PadChest's label CSV in `root` (plain or .gz), if there is one."""
    found = sorted(p for p in root.glob(CSV_GLOB) if p.suffix in (".csv", ".gz"))
    return found[0] if found else None


def read_padchest_table(path: Path) -> pd.DataFrame:
    """The CSV as strings, checked for PadChest's columns (a clear error naming the file otherwise)."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, low_memory=False)
    except (OSError, UnicodeDecodeError, EOFError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RadbankError(f"{path}: not a readable CSV ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise RadbankError(f"{path}: missing column(s) {', '.join(missing)} (expected PadChest's label CSV)")
    return table


def image_paths(root: Path, table: pd.DataFrame) -> list[str | None]:
    """Each row's image file: `<ImageDir>/<ImageID>` under root, else the same name in a flat folder."""
    flat: dict[str, str] | None = None
    out: list[str | None] = []
    for folder, image in zip(table["ImageDir"], table["ImageID"], strict=True):
        path = root / str(folder).split(".")[0] / str(image)
        if path.is_file():
            out.append(str(path))
            continue
        if flat is None:
            flat = _flat_index(root)
        out.append(flat.get(str(image)))
    return out


def _flat_index(root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in (root / "images", root):
        if folder.is_dir():
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.lower().endswith(".png") and entry.is_file():
                        found.setdefault(entry.name, entry.path)
    return found


def study_age(birth: str, study_date: str) -> float:
    """Age in years at the study from PadChest's birth year ("1930.0") and StudyDate_DICOM (20140915)."""
    try:
        age = float(str(study_date)[:4]) - float(birth)
    except ValueError:
        return float("nan")
    return age if 0 <= age <= MAX_AGE else float("nan")


def read_padchest(root: str | Path, options: PadchestOptions | None = None) -> Records:
    """Index a PadChest folder as a multi-label dataset (see the module docstring)."""
    opts = options or PadchestOptions()
    base = Path(root)
    csv_file = find_csv(base) if base.is_dir() else None
    if csv_file is None:
        raise RadbankError(f"{base}: no PADCHEST_chest_x_ray_images_labels_160K_01.02.19.csv (PadChest's layout)")
    table = read_padchest_table(csv_file)
    table = _select_view(table, opts.view)
    paths = image_paths(base, table)
    rows, sets, skipped = [], [], []
    for r, path in zip(table.to_dict("records"), paths, strict=True):
        terms = parse_list(r["Labels"])
        problem = row_problem(terms, str(r["Projection"]))
        where = path or str(base / str(r["ImageDir"]) / str(r["ImageID"]))
        if problem is None and path is None:
            problem = f"listed in {csv_file.name} but not found under {base}"
        if problem is not None:
            skipped.append((where, problem))
            continue
        rows.append(_row(r, where))
        sets.append(usable(terms))
    if not rows:
        raise RadbankError(f"{base}: no usable PadChest images ({len(skipped)} row(s) skipped, see skipped.csv)")
    if skipped:
        log.warning("%s: %d PadChest row(s) skipped (see skipped.csv)", base, len(skipped))
    present = {t for s in sets for t in s}
    columns = resolve_names(opts.labels, present)
    names = [c for c, _ in columns]
    matrix = label_matrix(sets, columns, opts.hierarchy)
    return Records(pd.DataFrame(rows), matrix, names, "multilabel", names, source="padchest", skipped=skipped)


def _select_view(table: pd.DataFrame, view: str | None) -> pd.DataFrame:
    if not view:
        return table
    wanted = view.strip().upper()
    projection = table["Projection"].str.upper()
    mapped = projection.map(VIEWS).fillna("")
    return table[(projection == wanted) | (mapped == wanted)]


def _row(r: dict[str, str], path: str) -> dict[str, object]:
    projection = str(r["Projection"])
    spacing = pd.to_numeric(pd.Series([r.get("SpatialResolution_DICOM", "")]), errors="coerce").iloc[0]
    return {
        "path": path,
        "patient": str(r["PatientID"]),
        "study": str(r["StudyID"]),
        "view": VIEWS.get(projection.upper(), ""),
        "projection": projection,
        "age": study_age(str(r.get("PatientBirth", "")), str(r.get("StudyDate_DICOM", ""))),
        "sex": str(r.get("PatientSex_DICOM", "")).upper()[:1],
        "modality": str(r.get("Modality_DICOM", "") or "CR").upper(),
        "finding_labels": "|".join(parse_list(r["Labels"])),
        "localizations": "|".join(parse_list(r.get("Localizations", ""))),
        "report": str(r.get("Report", "")).strip(),
        "report_id": str(r.get("ReportID", "")),
        "pixel_spacing": float(spacing) if pd.notna(spacing) else np.nan,
    }


class PadchestReader(SourceReader[PadchestOptions]):
    """PadChest as released."""

    options_type = PadchestOptions

    @classmethod
    def can_read(cls, path: Path) -> bool:
        return path.is_dir() and find_csv(path) is not None

    def read(self, root: Path, options: PadchestOptions, workers: int = 0) -> Records:
        return read_padchest(root, options)
