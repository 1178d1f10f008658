"""Split files: which image goes to train, val or test, written once and shared (`path,patient,split`).

Paths are written relative to the dataset folder (POSIX separators), so one file serves everyone who
holds the same dataset; file names that are not UTF-8 are kept byte for byte (surrogate escapes).
Reading one checks it: the three columns, known split names, each path once, no patient on two sides.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from radbank.errors import RadbankError
from radbank.fsutil import atomic_path
from radbank.sources.records import Records

log = logging.getLogger(__name__)

COLUMNS = ("path", "patient", "split")
SPLITS = ("train", "val", "test")
NAMED = 3  # patients named in an error before "and N more"


def _absolute(path: str, cwd: str) -> str:
    """os.path.abspath without asking the system for the working folder every time."""
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(cwd, path))


def relative_paths(paths: list[str], root: str | Path) -> list[str]:
    """Each path relative to `root`, with '/' separators (the form a split file holds)."""
    cwd = os.getcwd()
    base = _absolute(str(root), cwd)
    prefix = base.rstrip(os.sep) + os.sep
    out = []
    for path in paths:
        full = _absolute(path, cwd)
        relative = full[len(prefix) :] if full.startswith(prefix) else os.path.relpath(full, base)
        out.append(relative if os.sep == "/" else PurePath(relative).as_posix())
    return out


def write_split_file(records: Records, split: NDArray[Any], root: str | Path, out: str | Path) -> None:
    """Write `out` (CSV): one row per record with its path relative to `root`, patient and split name."""
    target = Path(out)
    if target.is_dir():
        raise RadbankError(f"{target}: is a folder; give a file name for the split")
    table = pd.DataFrame(
        {
            "path": relative_paths(records.paths, root),
            "patient": records.table["patient"].astype(str).to_numpy(),
            "split": split,
        }
    )
    with atomic_path(target) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8", errors="surrogateescape")


def read_split_file(path: str | Path) -> pd.DataFrame:
    """Read and check a split file; a RadbankError names the file and the first problem."""
    p = Path(path)
    if not p.is_file():
        raise RadbankError(f"{p}: split file not found")
    try:
        table = pd.read_csv(p, dtype=str, keep_default_na=False, encoding_errors="surrogateescape")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RadbankError(f"{p}: not a readable split file ({str(exc).splitlines()[0]})") from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise RadbankError(f"{p}: missing column(s) {', '.join(missing)} (a split file has path, patient, split)")
    unknown = sorted(set(table["split"]) - set(SPLITS))
    if unknown:
        raise RadbankError(
            f"{p}: unknown split name(s) {', '.join(map(repr, unknown[:NAMED]))}; expected train, val, test"
        )
    repeated = table["path"][table["path"].duplicated()]
    if len(repeated):
        raise RadbankError(f"{p}: {repeated.iloc[0]} is listed more than once")
    _refuse_two_sides(table["patient"].to_numpy(), table["split"].to_numpy(), f"{p}: the file")
    return table


def _refuse_two_sides(patients: NDArray[Any], split: NDArray[Any], who: str) -> None:
    """RadbankError when a patient has images in two splits."""
    sides = pd.DataFrame({"patient": patients, "split": split}).groupby("patient")["split"].nunique()
    both = sorted(sides.index[sides > 1])
    if both:
        more = f" and {len(both) - NAMED} more" if len(both) > NAMED else ""
        raise RadbankError(f"{who} puts patient(s) {', '.join(map(str, both[:NAMED]))}{more} in two splits")


def assign_from_file(
    records: Records, table: pd.DataFrame, root: str | Path, origin: str
) -> tuple[NDArray[Any], list[tuple[str, str]]]:
    """The split name of each record from a checked split file ('' where the file lacks the image).

    Paths match relative to `root` (as `radbank split` writes them) or as written (absolute, or relative
    to the working folder, as a run's split.csv holds them). Returns the names and (path, reason) for
    every record the file does not list. Patients (as the dataset names them) on two sides: RadbankError.
    """
    cwd = os.getcwd()
    base = _absolute(str(root), cwd)
    wanted = {_absolute(p, cwd): i for i, p in enumerate(records.paths)}
    split = np.full(len(records), "", dtype=object)
    unmatched = 0
    for path, name in zip(table["path"], table["split"], strict=True):
        i = wanted.get(os.path.normpath(os.path.join(base, path)))
        if i is None:
            i = wanted.get(_absolute(path, cwd))
        if i is None:
            unmatched += 1
        else:
            split[i] = name
    if unmatched:
        log.warning("%s: %d listed image(s) are not in the dataset as read, ignored", origin, unmatched)
    absent = np.flatnonzero(split == "")
    skipped = [(records.paths[i], f"not listed in {origin}") for i in absent]
    if len(absent):
        log.warning("%s: %d image(s) of the dataset are not listed, left out (see skipped.csv)", origin, len(absent))
    listed = split != ""
    _refuse_two_sides(
        records.table["patient"].astype(str).to_numpy()[listed],
        split[listed],
        f"{origin} (by the dataset's patient IDs)",
    )
    return split, skipped
