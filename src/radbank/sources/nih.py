"""NIH ChestX-ray14 as released: `Data_Entry_2017.csv` + `images_001/images/ ... images_012/images/`.

The CSV's header is `Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,
View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],` (the bracketed names span
two columns each and every line ends with a comma, so pandas sees 12 columns, the last unnamed).
`Finding Labels` holds `No Finding` or findings joined by `|`. Images may also lie in one flat folder.
The official `train_val_list.txt` / `test_list.txt`, when present, give each image's official split.
The 2020 update of the CSV (`Data_Entry_2017_v2020.csv`) has the same columns and is found too.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from radbank.errors import RadbankError
from radbank.sources.records import MAX_AGE, Records
from radbank.sources.registry import SourceReader

log = logging.getLogger(__name__)

NIH_FINDINGS = (
    "Atelectasis",
    "Cardiomegaly",
    "Effusion",
    "Infiltration",
    "Mass",
    "Nodule",
    "Pneumonia",
    "Pneumothorax",
    "Consolidation",
    "Edema",
    "Emphysema",
    "Fibrosis",
    "Pleural_Thickening",
    "Hernia",
)
NO_FINDING = "No Finding"
CSV_NAMES = ("Data_Entry_2017.csv", "Data_Entry_2017_v2020.csv")
REQUIRED = (
    "Image Index",
    "Finding Labels",
    "Follow-up #",
    "Patient ID",
    "Patient Age",
    "Patient Gender",
    "View Position",
)


def find_csv(root: Path) -> Path | None:
    """The metadata CSV of an NIH release folder, if there is one."""
    for name in CSV_NAMES:
        if (root / name).is_file():
            return root / name
    return None


def parse_labels(spec: str | None) -> list[str]:
    """`all` (or None) -> the 14 findings; otherwise a comma list, each checked against them."""
    if spec is None or spec.strip().lower() == "all":
        return list(NIH_FINDINGS)
    names = [s.strip() for s in spec.split(",") if s.strip()]
    lookup = {n.lower(): n for n in NIH_FINDINGS} | {n.lower().replace("_", " "): n for n in NIH_FINDINGS}
    unknown = [n for n in names if n.lower() not in lookup]
    if unknown:
        raise RadbankError(f"unknown NIH finding(s) {', '.join(unknown)}; known: {', '.join(NIH_FINDINGS)}")
    if not names:
        raise RadbankError("labels: no finding named", settings=("labels",))
    return [lookup[n.lower()] for n in names]


def index_images(root: Path) -> dict[str, str]:
    """Image file name -> path, from images_*/images/, images/ and the root itself."""
    found: dict[str, str] = {}
    parts = sorted(p for p in root.glob("images_*") if p.is_dir())
    # images_NNN/images/ as released, or images_NNN/ when unpacked without the inner folder
    folders = [root, root / "images", *(p / "images" for p in parts), *parts]
    for folder in folders:
        if not folder.is_dir():
            continue
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.lower().endswith(".png") and entry.is_file():
                    found.setdefault(entry.name, entry.path)
    return found


def read_table(csv_path: Path) -> pd.DataFrame:
    """Read and check the CSV (a clear error naming the file for wrong columns or unreadable text)."""
    try:
        table = pd.read_csv(
            csv_path,
            dtype={
                "Image Index": str,
                "Finding Labels": str,
                "Patient ID": str,
                "Patient Age": str,
                "Patient Gender": str,
                "View Position": str,
            },
        )
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise RadbankError(f"{csv_path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise RadbankError(
            f"{csv_path}: missing column(s) {', '.join(missing)} (expected NIH ChestX-ray14's Data_Entry_2017.csv)"
        )
    table = table.dropna(subset=["Image Index"])
    table["Finding Labels"] = table["Finding Labels"].fillna("").str.strip()
    return table


def drop_contradictions(
    table: pd.DataFrame, files: dict[str, str], base: Path, csv_name: str, skipped: list[tuple[str, str]]
) -> pd.DataFrame:
    """Rows of an `Image Index` listed more than once: all dropped (and listed in `skipped`) when their label
    sets differ, so that no image ever lands in two classes; one kept when they agree."""
    repeated = table["Image Index"].duplicated(keep=False)
    if not repeated.any():
        return table
    sets = table["Finding Labels"].map(lambda cell: frozenset(f.strip() for f in str(cell).split("|") if f.strip()))
    drop = pd.Series(False, index=table.index)
    for image, idx in table[repeated].groupby("Image Index").groups.items():
        variants = sorted({"|".join(sorted(sets[i])) for i in idx})
        if len(variants) > 1:
            drop[idx] = True
            where = files.get(str(image), str(base / str(image)))
            skipped.append(
                (where, f"listed {len(idx)} times in {csv_name} with contradictory labels ({' / '.join(variants)})")
            )
    kept = table[~drop]
    return kept[~kept["Image Index"].duplicated(keep="first")]


def _spacing(table: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Image Index -> (OriginalImagePixelSpacing x in mm, OriginalImage width); the header splits both names."""
    xs, ws = "OriginalImagePixelSpacing[x", "OriginalImage[Width"
    if xs not in table.columns or ws not in table.columns:
        return {}
    x = pd.to_numeric(table[xs], errors="coerce")
    w = pd.to_numeric(table[ws], errors="coerce")
    return {i: (float(a), float(b)) for i, a, b in zip(table["Image Index"], x, w, strict=True)}


def parse_age(value: object) -> float:
    """Patient Age: an integer (2017 release) or '058Y' (earlier files); implausible values -> NaN."""
    text = str(value).strip().upper()
    if text.endswith("Y"):
        text = text[:-1]
    try:
        age = float(text)
    except ValueError:
        return float("nan")
    return age if 0 <= age <= MAX_AGE else float("nan")  # the release has a few ages like 412


def official_split(root: Path) -> dict[str, str]:
    """Image Index -> 'train_val' or 'test' from NIH's list files (empty when absent)."""
    split: dict[str, str] = {}
    for name, value in (("train_val_list.txt", "train_val"), ("test_list.txt", "test")):
        path = root / name
        if path.is_file():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.strip():
                    split[line.strip()] = value
    return split


def read_nih(
    root: str | Path, labels: str | None = "all", view: str | None = None, csv_path: str | Path | None = None
) -> Records:
    """Index an NIH ChestX-ray14 folder as a multi-label dataset over `labels`."""
    base = Path(root)
    if not base.is_dir():
        raise RadbankError(f"{base}: folder not found")
    csv_file = Path(csv_path) if csv_path else find_csv(base)
    if csv_file is None:
        raise RadbankError(f"{base}: no Data_Entry_2017.csv (expected NIH ChestX-ray14's layout)")
    names = parse_labels(labels)
    files = index_images(base)
    skipped: list[tuple[str, str]] = []
    table = drop_contradictions(read_table(csv_file), files, base, csv_file.name, skipped)
    listed = set(table["Image Index"])
    unlisted = len(set(files) - listed)
    if unlisted:
        log.warning("%s: %d image file(s) not listed in %s, ignored", base, unlisted, csv_file.name)
    known = set(NIH_FINDINGS) | {NO_FINDING}
    rows, label_rows = [], []
    split = official_split(base)
    wanted_view = view.upper() if view else None
    spacing = _spacing(table)
    for image, findings_cell, followup, patient, age, sex, view_pos in table[list(REQUIRED)].itertuples(
        index=False, name=None
    ):
        findings = [f.strip() for f in findings_cell.split("|") if f.strip()]
        unknown = [f for f in findings if f not in known]
        path = files.get(image)
        if path is None:
            skipped.append((str(base / image), f"listed in {csv_file.name} but not found under {base}"))
            continue
        if unknown:
            skipped.append((path, f"unknown finding label(s) {', '.join(unknown)}"))
            continue
        if not findings:
            skipped.append((path, "empty Finding Labels"))
            continue
        view_pos = str(view_pos).strip().upper()
        if wanted_view and view_pos != wanted_view:
            continue
        rows.append(
            {
                "path": path,
                "patient": str(patient).strip(),
                "study": image.rsplit(".", 1)[0],
                "followup": int(followup),
                "view": view_pos,
                "age": parse_age(age),
                "sex": str(sex).strip().upper()[:1],
                "finding_labels": findings_cell,
                "official_split": split.get(image, ""),
                "pixel_spacing": spacing.get(image, (np.nan, np.nan))[0],
                "original_width": spacing.get(image, (np.nan, np.nan))[1],
            }
        )
        label_rows.append([1.0 if n in findings else 0.0 for n in names])
    if skipped:
        missing = sum(1 for _, r in skipped if r.startswith("listed in"))
        log.warning(
            "%s: %d listed image(s) missing, %d row(s) with unusable labels (see skipped.csv)",
            base,
            missing,
            len(skipped) - missing,
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "path",
            "patient",
            "study",
            "followup",
            "view",
            "age",
            "sex",
            "finding_labels",
            "official_split",
            "pixel_spacing",
            "original_width",
        ],
    )
    matrix = np.array(label_rows, dtype=np.float32).reshape(len(rows), len(names))
    return Records(frame, matrix, names, "multilabel", names, source="nih", skipped=skipped)


@dataclass(frozen=True)
class NihOptions:
    """Options of an NIH ChestX-ray14 folder."""

    labels: str | None = "all"  # "all" (the 14 findings) or a comma list of them
    view: str | None = None  # keep only this View Position (PA, AP)


class NihReader(SourceReader[NihOptions]):
    """NIH ChestX-ray14 as released."""

    options_type = NihOptions

    @classmethod
    def can_read(cls, path: Path) -> bool:
        return path.is_dir() and find_csv(path) is not None

    def read(self, root: Path, options: NihOptions, workers: int = 0) -> Records:
        return read_nih(root, options.labels, options.view)
