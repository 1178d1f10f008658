"""`radbank subset`: the tutorial's selection from NIH ChestX-ray14 or PadChest, written as folder-per-class.

Images labelled exactly "No Finding" (PadChest: exactly `['normal']`) versus images whose only label is the
finding (rows with several findings are left out, so the finding class is unambiguous; PadChest findings
are matched by UMLS concept, so `--finding Effusion` selects PadChest's "pleural effusion"). An image
listed twice with contradictory labels is left out. Sampling goes patient by patient: a
sampled patient brings all of his eligible follow-ups of that class, so a later patient-grouped split
stays honest. Files are hard-linked (copied across file systems, or with `copy=True`); a manifest
records where each came from. Reruns skip what is already there.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from radbank.badinput import Skipped, printable
from radbank.errors import RadbankError
from radbank.fsutil import atomic_path
from radbank.runs import write_skipped
from radbank.sources.nih import (
    NO_FINDING,
    drop_contradictions,
    find_csv,
    index_images,
    official_split,
    parse_labels,
    read_table,
)

log = logging.getLogger(__name__)

NEGATIVE_FOLDER = "No-Finding"
RATIOS = ("balanced", "natural")


@dataclass
class SubsetResult:
    """What `write_subset` wrote."""

    out: Path
    images: dict[str, int] = field(default_factory=dict)  # class -> images
    patients: dict[str, int] = field(default_factory=dict)  # class -> patients
    linked: int = 0
    copied: int = 0
    missing: int = 0  # eligible rows whose image file is not on disk


def eligible_rows(table: pd.DataFrame, finding: str, view: str | None = None) -> pd.DataFrame:
    """Rows labelled exactly 'No Finding' or exactly `finding`, with a `class` column."""
    labels = table["Finding Labels"].str.strip()
    keep = (labels == NO_FINDING) | (labels == finding)
    if view:
        keep &= table["View Position"].str.strip().str.upper() == view.upper()
    rows = table[keep].copy()
    rows["class"] = np.where(rows["Finding Labels"].str.strip() == finding, finding, NEGATIVE_FOLDER)
    return rows


def sample_by_patient(rows: pd.DataFrame, target: int, seed: int) -> pd.DataFrame:
    """About `target` rows, drawn patient by patient (all of a patient's rows or none)."""
    if target >= len(rows):
        return rows
    rng = np.random.default_rng(seed)
    groups = {pid: idx for pid, idx in rows.groupby("Patient ID").indices.items()}
    order = list(groups)
    rng.shuffle(order)
    chosen: list[int] = []
    for pid in order:
        idx = groups[pid]
        if len(chosen) + len(idx) <= target:
            chosen.extend(idx.tolist())
        if len(chosen) == target:
            break
    return rows.iloc[sorted(chosen)]


def class_targets(n_pos: int, n_neg: int, n: int | None, ratio: str) -> tuple[int, int]:
    """How many finding / no-finding images to take."""
    if ratio == "balanced":
        each = min(n_pos, n_neg) if not n else min(n_pos, n_neg, n // 2)
        return each, each
    total = n_pos + n_neg
    if not n or n >= total:
        return n_pos, n_neg
    pos = round(n * n_pos / total)
    return pos, n - pos


NIH_MANIFEST = [
    "Image Index",
    "class",
    "Patient ID",
    "Follow-up #",
    "Patient Age",
    "Patient Gender",
    "View Position",
    "Finding Labels",
    "official_split",
    "source",
]
PADCHEST_MANIFEST = ["ImageID", "class", "PatientID", "StudyID", "Projection", "Labels", "ImageDir", "source"]


@dataclass
class _Eligible:
    """Rows that qualify, with `Patient ID`, `class`, `file` (name in the class folder) and `path` columns."""

    rows: pd.DataFrame
    finding: str
    manifest: list[str]
    missing: int
    absent: list[tuple[str, str]] = field(default_factory=list)  # (file, reason) of listed images not on disk


def _nih(base: Path, finding: str, view: str | None, exclude_test: bool) -> _Eligible:
    csv_file = find_csv(base)
    if csv_file is None:
        raise RadbankError(f"{base}: no Data_Entry_2017.csv (expected NIH ChestX-ray14's layout)")
    (name,) = parse_labels(finding)
    files = index_images(base)
    table = drop_contradictions(read_table(csv_file), files, base, csv_file.name, [])
    split = official_split(base)
    table["official_split"] = table["Image Index"].map(split).fillna("")
    if exclude_test:
        if not split:
            raise RadbankError(f"{base}: excluding the official test list needs test_list.txt")
        table = table[table["official_split"] != "test"]
    rows = eligible_rows(table, name, view)
    present = rows["Image Index"].isin(files)
    where = f"listed in {csv_file.name} but not found under {base}"
    absent = [(printable(base / image), where) for image in rows.loc[~present, "Image Index"]]
    rows = rows[present].assign(file=lambda t: t["Image Index"], path=lambda t: t["Image Index"].map(files))
    return _Eligible(rows, name, NIH_MANIFEST, int((~present).sum()), absent)


def _padchest(base: Path, csv_file: Path, finding: str, view: str | None, exclude_test: bool) -> _Eligible:
    from radbank.mids.umls import lookup, normalize
    from radbank.sources.cells import parse_list
    from radbank.sources.padchest import _select_view, image_paths, read_padchest_table

    if exclude_test:
        raise RadbankError(f"{base}: PadChest has no official test list to exclude")
    concept = lookup(finding)
    term = concept.padchest if concept is not None and concept.padchest else finding
    table = _select_view(read_padchest_table(csv_file), view)
    labels = table["Labels"].map(lambda cell: "|".join(normalize(x) for x in parse_list(cell)))
    keep = labels.isin(["normal", normalize(term)])
    rows = table[keep].assign(**{"class": np.where(labels[keep] == "normal", NEGATIVE_FOLDER, term)})
    paths = image_paths(base, rows)
    present = pd.Series([p is not None for p in paths], index=rows.index)
    where = f"listed in {csv_file.name} but not found under {base}"
    absent = [(printable(base / str(image)), where) for image in rows.loc[~present, "ImageID"]]
    rows = rows.assign(path=paths, file=rows["ImageID"], **{"Patient ID": rows["PatientID"]})[present]
    return _Eligible(rows, term, PADCHEST_MANIFEST, int((~present).sum()), absent)


RECORDS_MANIFEST = ["file", "class", "Patient ID", "study", "view", "finding_labels", "source"]


def _from_records(base: Path, finding: str, view: str | None, exclude_test: bool) -> _Eligible:
    """Any other dataset radbank reads (MIDS trees: BIMCV-COVID19+, dcm2mids, radbank's exports) whose
    reader lists each image's labels."""
    from radbank.sources.records import is_healthy_name
    from radbank.sources.registry import read_source

    if exclude_test:
        raise RadbankError(f"{base}: only NIH ChestX-ray14 has an official test list to exclude")
    records = read_source("auto", base, {"view": view} if view else {}, strict=False)
    t = records.table
    if "finding_labels" not in t.columns:
        raise RadbankError(f"{base}: needs a dataset that lists each image's labels (NIH, PadChest or a MIDS tree)")
    key = _concept_key(finding)

    def kind(cell: object) -> str:
        terms = {x for x in str(cell).split("|") if x.strip()}
        keys = {"normal" if is_healthy_name(x) else _concept_key(x) for x in terms}
        return NEGATIVE_FOLDER if keys == {"normal"} else (finding if keys == {key} else "")

    classes = t["finding_labels"].map(kind)
    rows = t[classes != ""].assign(**{"class": classes[classes != ""]})
    rows = rows.assign(file=[Path(p).name for p in rows["path"]], **{"Patient ID": rows["patient"]})
    return _Eligible(rows, finding, RECORDS_MANIFEST, 0)


def _concept_key(term: str) -> str:
    from radbank.mids.umls import lookup, normalize

    concept = lookup(term)
    return normalize(concept.padchest or concept.label) if concept is not None else normalize(term)


@dataclass(frozen=True)
class SubsetOptions:
    """How many images, which view, the class ratio, the seed, copy or hard-link, official test list left out."""

    n: int | None = 1000  # images in all (None or 0: every eligible image)
    view: str | None = None
    ratio: str = "balanced"  # balanced or natural
    seed: int = 0
    copy: bool = False
    exclude_test: bool = False  # NIH: leave out the images of test_list.txt


def write_subset(root: str | Path, out: str | Path, finding: str, options: SubsetOptions | None = None) -> SubsetResult:
    """Select and write the subset of an NIH ChestX-ray14, PadChest or MIDS folder; see the module docstring."""
    opts = options or SubsetOptions()
    n, view, ratio, seed, copy, exclude_test = opts.n, opts.view, opts.ratio, opts.seed, opts.copy, opts.exclude_test
    from radbank.mids.tree import is_mids
    from radbank.sources.padchest import find_csv as find_padchest

    if ratio not in RATIOS:
        raise RadbankError(f"ratio must be one of {', '.join(RATIOS)}, not {ratio!r}")
    base, dest = Path(root), Path(out)
    if not base.is_dir():
        raise RadbankError(f"{base}: folder not found")
    padchest = find_padchest(base)
    if padchest:
        found = _padchest(base, padchest, finding, view, exclude_test)
    elif find_csv(base) or not is_mids(base):
        found = _nih(base, finding, view, exclude_test)
    else:
        found = _from_records(base, finding, view, exclude_test)
    name, rows = found.finding, found.rows
    result = SubsetResult(dest, missing=found.missing)
    skipped = Skipped(log)  # per-file problems: listed in DIR/skipped.csv, the subset goes on
    skipped.rows.extend(found.absent)
    if result.missing:  # one line for all of them: a partial download may miss thousands
        log.warning(
            "%s: %d eligible image(s) listed in the CSV are missing on disk, left out (see %s)",
            base,
            result.missing,
            dest / "skipped.csv",
        )
    pos_rows, neg_rows = rows[rows["class"] == name], rows[rows["class"] == NEGATIVE_FOLDER]
    if pos_rows.empty or neg_rows.empty:
        raise RadbankError(
            f"{base}: no images labelled only {name!r}"
            if pos_rows.empty
            else f"{base}: no images labelled {NO_FINDING!r}"
        )
    n_pos, n_neg = class_targets(len(pos_rows), len(neg_rows), n, ratio)
    picked = pd.concat([sample_by_patient(pos_rows, n_pos, seed), sample_by_patient(neg_rows, n_neg, seed + 1)])
    for cls, folder in ((name, dest / name), (NEGATIVE_FOLDER, dest / NEGATIVE_FOLDER)):
        folder.mkdir(parents=True, exist_ok=True)
        part = picked[picked["class"] == cls]
        result.images[cls] = len(part)
        result.patients[cls] = int(part["Patient ID"].nunique())
        for file, path in zip(part["file"], part["path"], strict=True):
            target = folder / str(file)
            if target.exists():
                continue
            try:
                linked = _link_or_copy(Path(path), target, copy)
            except OSError as exc:  # this source file cannot be read: the others still can
                skipped.skip(str(path), f"cannot copy ({exc.strerror or exc})")
                continue
            result.linked += linked
            result.copied += not linked
    manifest = picked.assign(source=[os.path.relpath(p, base) for p in picked["path"]])
    with atomic_path(dest / "manifest.csv") as tmp:
        manifest[found.manifest].to_csv(tmp, index=False)
    write_skipped(dest / "skipped.csv", skipped.rows)
    return result


def _link_or_copy(src: Path, dst: Path, copy: bool) -> bool:
    """Hard-link src to dst (True), or copy it atomically (False) when asked or across file systems."""
    if not copy:
        try:
            os.link(src, dst)
            return True
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise RadbankError(f"{dst}: cannot link ({exc.strerror})") from None
    with atomic_path(dst) as tmp:
        shutil.copy2(src, tmp)
    return False
