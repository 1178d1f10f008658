"""Generalise and suppress quasi-identifiers until every class holds at least k distinct persons.

Hierarchies: radbank.risk.hierarchy. Each round tries generalising each quasi-identifier one level and keeps
the step that leaves the fewest persons at risk (a person is at risk when any of their records sits in a
class of fewer than k persons; ties: the smallest loss of precision, then the column order). When at most
`max_suppression` of the persons remain at risk, the records in classes of fewer than k persons are
suppressed: removing a whole class leaves the others as they are, so every class of the output holds at
least k persons. A person may lose some records and keep others (those sit in classes of >= k persons).
When even the fully generalised table needs more suppression than allowed (fewer than k persons in all),
the target cannot be met: an error, and nothing is written.
Information loss (counted in persons, as the classes): each column's level / its top level, precision,
records and persons suppressed, the discernibility metric (sum of squared class sizes plus the persons
suppressed times all persons) and the normalised average class size (mean class size / k).
The search works on integer codes of each column's distinct values; the table is rebuilt once at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from radbank.errors import RadbankError
from radbank.risk.classes import (
    AUTO,
    Flags,
    Ints,
    Subjects,
    any_per_person,
    check_columns,
    combine,
    persons_per_class,
    subjects,
)
from radbank.risk.hierarchy import Hierarchy, hierarchy

__all__ = ["Generalised", "generalise", "hierarchy", "information_loss"]


@dataclass
class Generalised:
    """The k-anonymous table and what it cost."""

    table: pd.DataFrame
    k: int
    levels: dict[str, int]
    top_levels: dict[str, int]
    kinds: dict[str, str]
    suppressed: int
    loss: dict[str, Any] = field(default_factory=dict)
    unit: str = "record"
    subjects: int = 0
    subjects_suppressed: int = 0
    subjects_removed: int = 0
    odd: dict[str, list[str]] = field(default_factory=dict)


class _Column:
    """One quasi-identifier column as codes of its distinct values, generalised level by level (cached)."""

    def __init__(self, name: str, values: pd.Series) -> None:
        self.hierarchy: Hierarchy = hierarchy(name, values)
        codes, uniques = pd.factorize(values.astype(str))
        self.codes_ = codes.astype(np.int64)
        self.uniques = [str(u) for u in uniques]
        self._cache: dict[int, tuple[Ints, NDArray[np.object_]]] = {}

    def _level(self, level: int) -> tuple[Ints, NDArray[np.object_]]:
        if level not in self._cache:
            labels, names = pd.factorize(pd.Series([self.hierarchy.apply(u, level) for u in self.uniques]))
            self._cache[level] = (labels.astype(np.int64), np.asarray(names, dtype=object))
        return self._cache[level]

    def codes(self, level: int) -> Ints:
        return np.asarray(self._level(level)[0][self.codes_], dtype=np.int64)

    def values(self, level: int) -> NDArray[np.object_]:
        labels, names = self._level(level)
        return np.asarray(names[labels][self.codes_], dtype=object)


def _risk(codes: list[Ints], who: Subjects, k: int) -> tuple[int, Flags]:
    """Persons at risk and, per record, whether its class holds fewer than k persons."""
    ids = combine(codes, len(who.codes))
    small = persons_per_class(ids, who)[ids] < k
    return int(any_per_person(small, who).sum()), small


def _check(k: int, max_suppression: float) -> None:
    if k < 1:
        raise RadbankError(f"the target k must be at least 1 (got {k})")
    if not 0.0 <= max_suppression < 1.0:
        raise RadbankError(f"the suppression limit must be a fraction in [0, 1) (got {max_suppression})")


def generalise(
    table: pd.DataFrame, quasi: list[str], k: int, max_suppression: float = 0.05, subject: str | None = AUTO
) -> Generalised:
    """Generalise `quasi` and suppress records until every class holds at least k persons (module docstring)."""
    check_columns(table, quasi, "quasi-identifier")
    _check(k, max_suppression)
    if not quasi:
        raise RadbankError("no quasi-identifier columns given")
    who = subjects(table, subject)
    cols = {q: _Column(q, table[q]) for q in quasi}
    levels = dict.fromkeys(quasi, 0)
    at_risk, small = _risk([cols[q].codes(0) for q in quasi], who, k)
    while at_risk > max_suppression * who.count:
        open_cols = [q for q in quasi if levels[q] < cols[q].hierarchy.levels]
        if not open_cols:
            raise RadbankError(
                f"k = {k} cannot be reached: with every quasi-identifier generalised to '*', {at_risk} of "
                f"{who.count} {who.unit}s ({at_risk / who.count:.1%}) are in classes of fewer than {k} "
                f"{who.unit}s, more than the {max_suppression:.1%} that may be suppressed"
            )
        trials = {}
        for q in open_cols:
            codes = [cols[c].codes(levels[c] + (c == q)) for c in quasi]
            trials[q] = (*_risk(codes, who, k), 1.0 / cols[q].hierarchy.levels, quasi.index(q))
        col = min(trials, key=lambda q: (trials[q][0], *trials[q][2:]))
        levels[col] += 1
        at_risk, small = trials[col][0], trials[col][1]
    kept = ~small
    out = table.loc[kept].copy()
    for q in quasi:
        out[q] = cols[q].values(levels[q])[kept]
    out = out.reset_index(drop=True)
    kept_codes, kept_persons = pd.factorize(who.codes[kept])
    kept_who = Subjects(kept_codes.astype(np.int64), len(kept_persons), who.column)
    sizes = persons_per_class(combine([cols[q].codes(levels[q])[kept] for q in quasi], int(kept.sum())), kept_who)
    g = Generalised(
        out,
        int(sizes.min()) if len(sizes) else 0,
        levels,
        {q: c.hierarchy.levels for q, c in cols.items()},
        {q: c.hierarchy.kind for q, c in cols.items()},
        int(small.sum()),
        unit=who.unit,
        subjects=who.count,
        subjects_suppressed=at_risk,
        subjects_removed=who.count - kept_who.count,
        odd={q: c.hierarchy.odd for q, c in cols.items() if c.hierarchy.odd},
    )
    g.loss = information_loss(sizes, levels, g.top_levels, g, k)
    return g


def information_loss(
    sizes: Ints, levels: dict[str, int], top: dict[str, int], g: Generalised, k: int
) -> dict[str, Any]:
    """Generalisation intensity per column, precision (1 - mean intensity), suppression, DM and C_avg.

    `sizes`: the persons of each class of the output.
    """
    intensity = {q: round(levels[q] / top[q], 4) if top[q] else 0.0 for q in levels}
    n = g.subjects
    return {
        "intensity": intensity,
        "precision": round(1.0 - float(np.mean(list(intensity.values()))), 4) if levels else 1.0,
        "suppressed_fraction": round(g.subjects_suppressed / n, 4) if n else 0.0,
        "suppressed_records": g.suppressed,
        "discernibility": int((sizes.astype(np.int64) ** 2).sum() + g.subjects_suppressed * n),
        "avg_class_size_ratio": round(float(sizes.mean()) / k, 4) if len(sizes) else 0.0,
    }
