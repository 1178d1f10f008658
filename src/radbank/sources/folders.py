"""The tutorial's layout: one sub-folder per class (`No-Finding/`, `Pneumothorax/`, ...).

Two classes give a binary task (label 1 = the finding, 0 = the healthy class: a folder named like
"No Finding", "normal", "healthy"... or the one given as `positive`); three or more a multi-class one.
Patient IDs come from NIH-style names (`00012345_001.png` -> patient 00012345) so that follow-ups
stay together in splits; other names count as one patient per file.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from radbank.errors import RadbankError
from radbank.fsutil import is_hidden
from radbank.sources.records import Records

log = logging.getLogger(__name__)

NIH_PATIENT_REGEX = r"^(\d{8})_(\d{3})\."
HEALTHY_NAMES = {
    "nofinding",
    "nofindings",
    "normal",
    "normals",
    "healthy",
    "negative",
    "control",
    "controls",
    "sano",
    "sanos",
    "sinhallazgos",
    "nohallazgos",
    "normales",
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def is_healthy_name(name: str) -> bool:
    """True for class names that mean 'no finding' (any case or separator, English or Spanish)."""
    return _norm(name) in HEALTHY_NAMES


def read_class_folders(
    root: str | Path, positive: str | None = None, patient_regex: str = NIH_PATIENT_REGEX
) -> Records:
    """Index a folder-per-class tree (files are checked later, when decoded)."""
    base = Path(root)
    if not base.exists():
        raise RadbankError(f"{base}: folder not found")
    if not base.is_dir():
        raise RadbankError(f"{base}: not a folder (expected one sub-folder per class)")
    classes: dict[str, list[Path]] = {}
    for sub in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(f for f in sub.rglob("*") if f.is_file() and not is_hidden(f.relative_to(base)))
        if files:
            classes[sub.name] = files
        else:
            log.warning("%s: empty class folder, ignored", sub)
    if not classes:
        raise RadbankError(f"{base}: no class folders with files (expected e.g. No-Finding/ and Pneumothorax/)")
    if len(classes) == 1:
        raise RadbankError(f"{base}: only one class folder with files ({next(iter(classes))}); need at least two")
    names = list(classes)
    pattern = re.compile(patient_regex) if patient_regex else None
    rows = []
    for k, name in enumerate(names):
        for f in classes[name]:
            m = pattern.match(f.name) if pattern else None
            rel = f.relative_to(base).as_posix()
            patient = m.group(1) if m else rel
            rows.append({"path": str(f), "patient": patient, "study": f.stem, "class_index": k})
    table = pd.DataFrame(rows)
    k = table.pop("class_index").to_numpy()
    if len(names) == 2:
        neg, pos = _binary_roles(names, positive, base)
        labels = (k == names.index(pos)).astype(np.float32)[:, None]
        return Records(table, labels, [pos], "binary", [neg, pos], source="folders")
    if positive is not None:
        raise RadbankError(f"{base}: --positive applies to two classes, found {len(names)}: {', '.join(names)}")
    onehot = np.eye(len(names), dtype=np.float32)[k]
    return Records(table, onehot, names, "multiclass", names, source="folders")


def _binary_roles(names: list[str], positive: str | None, base: Path) -> tuple[str, str]:
    if positive is not None:
        if positive not in names:
            raise RadbankError(f"{base}: --positive {positive!r} is not one of the classes {', '.join(names)}")
        return next(n for n in names if n != positive), positive
    healthy = [n for n in names if is_healthy_name(n)]
    if len(healthy) == 1:
        return healthy[0], next(n for n in names if n != healthy[0])
    neg, pos = names
    log.warning("%s: cannot tell which class is healthy; taking %r as 0 and %r as 1 (use --positive)", base, neg, pos)
    return neg, pos
