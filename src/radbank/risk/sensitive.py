"""l-diversity, t-closeness and inference risk of one sensitive column, counted over persons.

Within an equivalence class, a sensitive value's frequency is the number of distinct persons of the class
who have it (a patient with 20 images labelled "normal" counts once); over the table, the number of
distinct persons who have it. With one row per person these are the usual record counts, so the figures
equal pycanon's on such tables (checked in the tests). Definitions:
- distinct l: the fewest distinct values in a class; entropy l: exp of the smallest class entropy
  (Machanavajjhala et al. 2007, as pycanon's `l_diversity`/`entropy_l_diversity`);
- t: the largest Earth Mover's Distance between a class's distribution and the table's (Li et al. 2007):
  ordered distance over the sorted values for a numeric column, equal distance (total variation) otherwise,
  as pycanon's `t_closeness`;
- inference certain: persons with a record in a class where one value is held by every person of the class
  (with one value per person: a class with a single value); accuracy: how often the class's commonest value
  is one the person has, against guessing the table's commonest value.
Computed from the distinct (class, value, person) triples with sorts and bincounts, never a classes x values
matrix (PadChest's Labels column has ~28,800 distinct values).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from radbank.risk.classes import Ints, Subjects, any_per_person, pairs

Floats = NDArray[np.float64]
MIN_ORDERED = 2  # an ordered distance needs two values


@dataclass
class SensitiveFigures:
    """The figures of one sensitive column."""

    l_distinct: int
    l_entropy: float
    t_closeness: float
    inference_certain: float
    inference_accuracy: float
    inference_baseline: float


def _codes(column: pd.Series) -> tuple[Ints, int, bool]:
    """Integer codes of the values (in value order for numbers), the number of values, numeric or not."""
    num = pd.to_numeric(column, errors="coerce")
    if num.notna().all():
        codes, uniques = pd.factorize(num.to_numpy(), sort=True)
        return codes.astype(np.int64), len(uniques), True
    codes, uniques = pd.factorize(column.astype(str), sort=True)
    return codes.astype(np.int64), len(uniques), False


def _range_abs(c: Floats, a: Ints, b: Ints, cum_q: Floats, prefix: Floats) -> Floats:
    """sum over i in [a, b) of |c - cum_q[i]|, cum_q non-decreasing, prefix[i] = sum of cum_q[:i]."""
    t = np.clip(np.searchsorted(cum_q, c, side="left"), a, b)
    return c * (t - a) - (prefix[t] - prefix[a]) + (prefix[b] - prefix[t]) - c * (b - t)


def ordered_emd(cls: Ints, val: Ints, p: Floats, q: Floats, n_classes: int) -> Floats:
    """Per class: (1/(m-1)) sum_i |P_E(i) - Q(i)| over the m sorted values, from the class's sparse entries.

    `cls`, `val`, `p`: one entry per (class, value) present, sorted by class then value; q: the table's
    distribution. Between two values a class has, P_E is constant and Q non-decreasing, so each stretch is
    summed in O(log m) from prefix sums.
    """
    m = len(q)
    if m < MIN_ORDERED:
        return np.zeros(n_classes)
    cum_q = np.cumsum(q)
    prefix = np.concatenate([[0.0], np.cumsum(cum_q)])
    cum_p = np.cumsum(p)
    starts = np.r_[0, np.flatnonzero(np.diff(cls)) + 1]
    cum_p -= np.repeat(np.r_[0.0, cum_p[starts[1:] - 1]], np.diff(np.r_[starts, len(cls)]))
    last = np.r_[cls[1:] != cls[:-1], True]
    nxt = np.where(last, m, np.r_[val[1:], m])
    total = np.bincount(cls, weights=_range_abs(cum_p, val, nxt, cum_q, prefix), minlength=n_classes)
    total += prefix[val[starts]]  # before a class's first value P_E is 0: the sum of Q there
    return total / (m - 1)


def sensitive_figures(column: pd.Series, ids: Ints, who: Subjects, persons: Ints) -> SensitiveFigures:
    """All figures of one sensitive column; `persons` holds the number of persons of each class."""
    codes, n_values, numeric = _codes(column)
    n_classes = len(persons)
    cv_code, cv_key = pd.factorize(ids * n_values + codes)  # (class, value) of each row
    cv_of_pair, _ = pairs(cv_code.astype(np.int64), who.codes, who.count)  # distinct (class, value, person)
    cv_keys, holders = np.unique(cv_key[cv_of_pair], return_counts=True)  # persons per (class, value), sorted
    cls, val = cv_keys // n_values, cv_keys % n_values
    total = np.bincount(cls, weights=holders, minlength=n_classes)
    p = holders / total[cls]
    entropy = -np.bincount(cls, weights=p * np.log(p), minlength=n_classes)
    distinct = np.bincount(cls, minlength=n_classes)
    commonest = np.zeros(n_classes, dtype=np.int64)
    np.maximum.at(commonest, cls, holders)
    value_of_pair, _ = pairs(codes, who.codes, who.count)
    overall = np.bincount(value_of_pair, minlength=n_values).astype(np.float64)
    q = overall / overall.sum()
    if numeric:
        emd = ordered_emd(cls, val, p, q, n_classes)
    else:  # 0.5 sum_v |p - q| = 0.5 (1 + sum over the class's values of (|p - q| - q))
        emd = 0.5 * (1.0 + np.bincount(cls, weights=np.abs(p - q[val]) - q[val], minlength=n_classes))
    certain = any_per_person((commonest == persons)[ids], who)
    return SensitiveFigures(
        l_distinct=int(distinct.min()),
        l_entropy=round(float(np.exp(entropy.min())), 6),
        t_closeness=round(float(emd.max()), 6),
        inference_certain=float(certain.mean()),
        inference_accuracy=float(commonest.sum() / persons.sum()),
        inference_baseline=float(overall.max() / who.count),
    )
