"""The tutorial's layout: one sub-folder per class (`No-Finding/`, `Pneumothorax/`, ...).

Two classes give a binary task (label 1 = the finding, 0 = the healthy class: a folder named like
"No Finding", "normal", "healthy"... or the one given as `positive`); three or more a multi-class one.
Patient IDs come from NIH-style names (`00012345_001.png` -> patient 00012345) so that follow-ups
stay together in splits; other names count as one patient per file.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from radbank.badinput import Skipped, iter_files
from radbank.errors import RadbankError
from radbank.sources.records import BINARY, Records, from_class_names
from radbank.sources.registry import SourceReader

log = logging.getLogger(__name__)

NIH_PATIENT_REGEX = r"^(\d{8})_(\d{3})\."


def class_folders(base: Path, skipped: Skipped | None = None) -> dict[str, list[Path]]:
    """Non-empty first-level sub-folders of `base` and their files (recursively, hidden ones left out;
    dangling links, link loops and special files go to `skipped`)."""
    if not base.exists():
        raise RadbankError(f"{base}: folder not found")
    if not base.is_dir():
        raise RadbankError(f"{base}: not a folder (expected one sub-folder per class)")
    classes: dict[str, list[Path]] = {}
    for sub in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = list(iter_files(sub, skipped))
        if files:
            classes[sub.name] = files
        else:
            log.warning("%s: empty class folder, ignored", sub)
    if not classes:
        raise RadbankError(f"{base}: no class folders with files (expected e.g. No-Finding/ and Pneumothorax/)")
    if len(classes) == 1:
        raise RadbankError(f"{base}: only one class folder with files ({next(iter(classes))}); need at least two")
    return classes


def read_class_folders(
    root: str | Path, positive: str | None = None, patient_regex: str = NIH_PATIENT_REGEX
) -> Records:
    """Index a folder-per-class tree (files are checked later, when decoded)."""
    base = Path(root)
    skipped = Skipped(log)
    classes = class_folders(base, skipped)
    pattern = re.compile(patient_regex) if patient_regex else None
    rows, names = [], []
    for name, files in classes.items():
        for f in files:
            m = pattern.match(f.name) if pattern else None
            rows.append(
                {"path": str(f), "patient": m.group(1) if m else f.relative_to(base).as_posix(), "study": f.stem}
            )
            names.append(name)
    records = from_class_names(pd.DataFrame(rows), names, positive, str(base), source="folders")
    records.skipped.extend(skipped.rows)
    return records


@dataclass(frozen=True)
class FoldersOptions:
    """Options of a folder-per-class dataset."""

    positive: str | None = None  # the class that means disease, when names are unclear
    patient_regex: str = NIH_PATIENT_REGEX  # group 1 of a match on the file name is the patient ID


class FoldersReader(SourceReader[FoldersOptions]):
    """Folder-per-class trees (the fallback of auto-detection)."""

    options_type = FoldersOptions

    @classmethod
    def can_read(cls, path: Path) -> bool:
        if not path.is_dir():
            return False
        subs = [p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")]
        return len(subs) >= BINARY

    def read(self, root: Path, options: FoldersOptions, workers: int = 0) -> Records:
        return read_class_folders(root, options.positive, options.patient_regex)
