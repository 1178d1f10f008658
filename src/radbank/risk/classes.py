"""Who is who in a table: the subject (person) of each row, equivalence classes, classes counted in persons.

A table may hold several rows per person (PadChest: one row per image, up to 119 per patient). The unit of
every privacy figure is then the person, named by a subject column (`participant_id` in MIDS/BIDS,
`PatientID` in PadChest, `Patient ID` in NIH ChestX-ray14); without one, each row counts as a person.
Rows whose subject cell is empty count as a person each. Everything here is a sort or a group-by over
integer codes: memory grows with the rows, never with classes x values.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from radbank.errors import RadbankError

SUBJECT_COLUMNS = ("participant_id", "PatientID", "Patient ID")
AUTO = "<auto>"  # find the subject column among SUBJECT_COLUMNS
MISSING = ("", "n/a", "nan", "NaN", "None")
Ints = NDArray[np.int64]
Flags = NDArray[np.bool_]
Array = NDArray[Any]


@dataclass
class Subjects:
    """The person of each row as a code in 0..count-1."""

    codes: Ints
    count: int
    column: str | None
    without_id: int = 0

    @property
    def unit(self) -> str:
        return "person" if self.column else "record"


def check_columns(table: pd.DataFrame, columns: list[str], what: str, origin: str = "table") -> None:
    """A clear error when a named column is not in the table."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise RadbankError(f"{origin}: no {what} column(s) {', '.join(missing)} (columns: {', '.join(table.columns)})")


def find_subject(columns: list[str]) -> str | None:
    """The first of SUBJECT_COLUMNS the table has, or None."""
    return next((c for c in SUBJECT_COLUMNS if c in columns), None)


def subjects(table: pd.DataFrame, subject: str | None = AUTO) -> Subjects:
    """Code the subject column (`AUTO`: the first of SUBJECT_COLUMNS present; None: each row is a person)."""
    column = find_subject(list(table.columns)) if subject == AUTO else subject
    n = len(table)
    if column is None:
        return Subjects(np.arange(n, dtype=np.int64), n, None)
    check_columns(table, [column], "subject")
    values = table[column].astype(str)
    missing = values.isin(MISSING).to_numpy()
    codes, uniques = pd.factorize(values.where(~missing, None))
    codes = codes.astype(np.int64)
    count = len(uniques)
    codes[missing] = np.arange(count, count + int(missing.sum()), dtype=np.int64)  # each its own person
    return Subjects(codes, count + int(missing.sum()), column, int(missing.sum()))


def codes_of(values: Any) -> Ints:
    """pandas.factorize codes (0..distinct-1, -1 for missing) as int64."""
    return np.asarray(pd.factorize(values)[0], dtype=np.int64)


def combine(codes: list[Array], n: int) -> Ints:
    """One class id per row (0..classes-1) from several per-row integer codes."""
    if not codes:
        return np.zeros(n, dtype=np.int64)
    key = np.asarray(codes[0], dtype=np.int64)
    for c in codes[1:]:
        key = key * (int(c.max()) + 1) + c
        key = codes_of(key)  # keep the key below n x cardinality
    return codes_of(key)


def class_ids(table: pd.DataFrame, quasi: list[str]) -> Ints:
    """The equivalence class of each row (missing values form a value of their own)."""
    return combine([codes_of(table[q].astype(str)) for q in quasi], len(table))


def pairs(a: Array, b: Array, b_count: int) -> tuple[Ints, Ints]:
    """The distinct (a, b) pairs of two per-row codes, sorted by a then b."""
    key = np.unique(a.astype(np.int64) * b_count + b)
    return key // b_count, key % b_count


def persons_per_class(ids: Ints, who: Subjects) -> Ints:
    """The number of distinct persons in each class."""
    cls, _ = pairs(ids, who.codes, who.count)
    return np.bincount(cls, minlength=int(ids.max()) + 1 if len(ids) else 0)


def worst_per_person(per_row: Array, who: Subjects) -> Ints:
    """The smallest per-row value of each person (e.g. the size of the smallest class a person is in)."""
    out = np.full(who.count, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, who.codes, per_row.astype(np.int64))
    return out


def any_per_person(flags: Flags, who: Subjects) -> Flags:
    """Per person: whether any of their rows has the flag."""
    out = np.zeros(who.count, dtype=bool)
    out[who.codes[flags]] = True
    return out


def unique_combinations(ids: Ints, who: Subjects) -> int:
    """Persons whose set of classes (all their rows joined on the subject column) no other person has."""
    person, cls = pairs(who.codes, ids, int(ids.max()) + 1)  # sorted by person, then class
    bounds = np.r_[0, np.flatnonzero(np.diff(person)) + 1, len(person)] * cls.itemsize
    buf = cls.astype(np.int64).tobytes()
    signatures = Counter(buf[a:b] for a, b in itertools.pairwise(bounds))  # exact: the bytes of the set
    return sum(1 for n in signatures.values() if n == 1)
