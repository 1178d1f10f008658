"""One table for every dataset: metadata rows aligned with a label matrix (NaN = unknown).

Modelled on torchxrayvision's datasets (`csv` + `labels` + `pathologies`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from radbank.badinput import printable
from radbank.errors import RadbankError

log = logging.getLogger(__name__)

Task = Literal["binary", "multiclass", "multilabel"]  # what a label matrix means
TASKS: tuple[Task, ...] = get_args(Task)
META_COLUMNS = ("path", "patient", "study", "view", "age", "sex")
MAX_AGE = 120  # years; ages beyond are data errors (NIH's release has a few like 412)
BINARY = 2  # classes of a binary task
MATRIX_DIMS = 2  # labels are (images, label names)


@dataclass
class Records:
    """Images of a dataset and their labels.

    - `table`: one row per image with at least `path` and `patient` (also `study`, `view`, `age`, `sex`).
    - `labels`: float32 (n, L); 1 = present, 0 = absent, NaN = unknown.
    - `label_names`: the L column names. Binary: one column, the positive class.
    - `task`: "binary" (one column), "multiclass" (one-hot, exactly one 1 per row) or "multilabel".
    - `class_names`: display names; binary: [negative, positive]; otherwise the label names.
    - `skipped`: (path, reason) for files the reader itself rejected.
    """

    table: pd.DataFrame
    labels: npt.NDArray[np.float32]
    label_names: list[str]
    task: Task
    class_names: list[str]
    source: str = ""
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}")
        if len(self.table) != len(self.labels):
            raise ValueError("table and labels must have the same number of rows")
        if self.labels.ndim != MATRIX_DIMS or self.labels.shape[1] != len(self.label_names):
            raise ValueError("labels must be (n, len(label_names))")
        for col in META_COLUMNS:
            if col not in self.table.columns:
                self.table[col] = None if col not in ("patient", "study") else self.table["path"]

    def __len__(self) -> int:
        return len(self.table)

    @property
    def paths(self) -> list[str]:
        return [str(p) for p in self.table["path"]]

    def subset(self, index: npt.NDArray[Any] | list[int]) -> Records:
        """Rows `index` (integer positions or a boolean mask), in that order."""
        idx = np.arange(len(self))[np.asarray(index)] if len(self) else np.asarray(index, dtype=int)
        return replace(
            self, table=self.table.iloc[idx].reset_index(drop=True), labels=self.labels[idx], skipped=list(self.skipped)
        )

    def targets(self) -> npt.NDArray[Any]:
        """Training targets: 0/1 (binary), class index (multiclass) or the label matrix (multilabel)."""
        if self.task == "binary":
            return self.labels[:, 0].astype(np.int64)
        if self.task == "multiclass":
            index: npt.NDArray[np.int64] = np.nanargmax(self.labels, axis=1).astype(np.int64)
            return index
        return self.labels.astype(np.float32, copy=False)

    def strata(self) -> npt.NDArray[np.int64]:
        """An integer class per row for stratified sampling and splitting."""
        if self.task != "multilabel":
            return self.targets().astype(np.int64)
        # Multi-label: stratify by the rarest positive label of each row (-1 when none).
        pos = np.nan_to_num(self.labels, nan=0.0) > 0
        freq = pos.sum(axis=0)
        rank = np.where(pos, freq[None, :], np.inf)
        return np.where(pos.any(axis=1), np.argmin(rank, axis=1), -1).astype(np.int64)

    def counts(self) -> dict[str, int]:
        """Images per class (binary, multiclass) or positives per label (multilabel)."""
        if self.task == "binary":
            t = self.targets()
            return {self.class_names[0]: int((t == 0).sum()), self.class_names[1]: int((t == 1).sum())}
        return {n: int(np.nansum(self.labels[:, j] == 1)) for j, n in enumerate(self.label_names)}


def printable_skipped(records: Records) -> Records:
    """Records whose skipped paths are printable (names that are not valid UTF-8 shown with \\xNN escapes)."""
    records.skipped = [(printable(p), reason) for p, reason in records.skipped]
    return records


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


def is_healthy_name(name: str) -> bool:
    """True for class names that mean 'no finding' (any case or separator, English or Spanish)."""
    return re.sub(r"[^a-z0-9]", "", name.lower()) in HEALTHY_NAMES


def from_class_names(
    table: pd.DataFrame, classes: list[str], positive: str | None, origin: str, source: str
) -> Records:
    """Records from one class name per row: binary for two classes (1 = not healthy), else multi-class
    (classes in sorted order)."""
    names = sorted(set(classes))
    index = {n: k for k, n in enumerate(names)}
    k = np.array([index[c] for c in classes], dtype=np.int64)
    if len(names) == BINARY:
        neg, pos = binary_roles(names, positive, origin)
        labels = (k == names.index(pos)).astype(np.float32)[:, None]
        return Records(table, labels, [pos], "binary", [neg, pos], source=source)
    if positive is not None:
        raise RadbankError(
            f"{origin}: a positive class applies to two classes, found {len(names)}: {', '.join(names)}",
            settings=("positive",),
        )
    return Records(
        table, np.eye(len(names), dtype=np.float32)[k], list(names), "multiclass", list(names), source=source
    )


def binary_roles(names: list[str], positive: str | None, origin: str) -> tuple[str, str]:
    """(healthy, sick) of two class names: `positive` is sick; else the non-healthy-sounding one."""
    if positive is not None:
        if positive not in names:
            raise RadbankError(
                f"{origin}: positive class {positive!r} is not one of the classes {', '.join(names)}",
                settings=("positive",),
            )
        return next(n for n in names if n != positive), positive
    healthy = [n for n in names if is_healthy_name(n)]
    if len(healthy) == 1:
        return healthy[0], next(n for n in names if n != healthy[0])
    neg, pos = names
    log.warning("%s: cannot tell which class is healthy; taking %r as 0 and %r as 1 (use --positive)", origin, neg, pos)
    return neg, pos
