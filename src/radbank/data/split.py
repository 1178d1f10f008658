"""Sampling and splitting: stratified by class, grouped by patient, reproducible for a seed.

The unit of a split is the patient: patients are drawn, and each takes all of its images along.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from radbank.errors import RadbankError

SWAP_TRIES = 8  # candidates looked at per swap (from the patient's own stratum)
SWAP_PASSES = 4  # passes over the validation patients; stops early when a pass moves nobody
MIN_GAIN = 1e-9  # a swap must lower the distance by more than rounding noise


def sample_stratified(strata: NDArray[Any], limit: int | None, seed: int) -> NDArray[Any]:
    """Indices of at most `limit` rows, class proportions kept, in a shuffled order."""
    n = len(strata)
    rng = np.random.default_rng([seed, 1])
    if limit is None or limit >= n:
        return rng.permutation(n)
    classes, counts = np.unique(strata, return_counts=True)
    quota = np.floor(counts * limit / n).astype(int)
    # Hand out what rounding left, largest remainders first, at least one per class where possible.
    rest = counts * limit / n - quota
    for j in np.argsort(-rest)[: limit - quota.sum()]:
        quota[j] += 1
    chosen = [
        rng.choice(np.flatnonzero(strata == c), size=q, replace=False) for c, q in zip(classes, quota, strict=True)
    ]
    return rng.permutation(np.concatenate(chosen))


def indicators(strata: NDArray[Any]) -> NDArray[Any]:
    """A (n, k) 0/1 matrix from one class per row (n,), or a label matrix (n, k) with NaN as 0."""
    s = np.asarray(strata)
    if s.ndim > 1:
        return np.nan_to_num(s.astype(np.float64), nan=0.0) > 0
    _, class_of = np.unique(s, return_inverse=True)
    return np.eye(int(class_of.max()) + 1 if len(s) else 0, dtype=bool)[class_of]


def split_grouped(
    strata: NDArray[Any], groups: NDArray[Any], val_fraction: float, seed: int
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Split rows into (train, val) index arrays, shuffled; no group (patient) on both sides.

    `strata` is one class per row, or a (rows, classes) 0/1 matrix for multi-label data (add a column
    for "no finding" so those rows count too). Validation gets `val_fraction` of the patients, of the
    images and, as closely as whole patients allow, of each class's images and patients:

    1. Every patient gets a stratum: the rarest class among its images and the size class of its
       image count (1, 2-3, 4-7, ...). Each stratum gives round(val_fraction x its patients) to
       validation (largest remainders, ties at random, so the total is exact), drawn at random, as
       scikit-learn's GroupShuffleSplit draws groups, but within strata.
    2. Patients are then swapped between the sides within a stratum (so the patient count stays) when
       that brings the per-class image and patient counts and the image total closer to their targets
       (a chi-square distance), as StratifiedGroupKFold assigns groups to the fold that fits best.

    The result depends only on the seed and the table's content, not on the order of its rows.
    """
    if not 0.0 < val_fraction < 1.0:
        raise RadbankError(f"validation fraction must be between 0 and 1, not {val_fraction}")
    group_ids, group_of = np.unique(pd.Series(groups).astype(str).to_numpy(), return_inverse=True)
    rng = np.random.default_rng([seed, 2])
    counts = np.zeros((len(group_ids), indicators(strata).shape[1]))
    np.add.at(counts, group_of, indicators(strata))
    sizes = np.bincount(group_of, minlength=len(group_ids))
    stratum = _patient_strata(counts, sizes)
    in_val = _draw(stratum, val_fraction, rng)
    in_val = _rebalance(in_val, np.column_stack([counts, counts > 0, sizes]), stratum, val_fraction, rng)
    is_val = in_val[group_of]
    train, val = np.flatnonzero(~is_val), np.flatnonzero(is_val)
    return rng.permutation(train), rng.permutation(val)


def _patient_strata(counts: NDArray[Any], sizes: NDArray[Any]) -> NDArray[Any]:
    """One integer per patient: its rarest class (by image count overall) x the log2 class of its size."""
    has = counts > 0
    frequency = counts.sum(axis=0)
    rarest = np.where(has.any(axis=1), np.argmin(np.where(has, frequency, np.inf), axis=1), counts.shape[1])
    size_class = np.floor(np.log2(np.maximum(sizes, 1))).astype(np.int64)
    _, stratum = np.unique(rarest * (int(size_class.max(initial=0)) + 1) + size_class, return_inverse=True)
    return np.asarray(stratum, dtype=np.int64)


def _draw(stratum: NDArray[Any], fraction: float, rng: np.random.Generator) -> NDArray[Any]:
    """Which patients go to validation: an exact share of each stratum (largest remainders), at random."""
    n = len(stratum)
    total = min(max(round(fraction * n), 1), n - 1) if n > 1 else 0
    per_stratum = np.bincount(stratum)
    exact = per_stratum * fraction
    quota = np.floor(exact).astype(np.int64)
    by_remainder = np.lexsort((rng.random(len(quota)), -(exact - quota)))
    quota[by_remainder[: max(total - int(quota.sum()), 0)]] += 1
    order = rng.permutation(n)
    order = order[np.argsort(stratum[order], kind="stable")]  # strata in turn, random order within each
    starts = np.concatenate([[0], np.cumsum(per_stratum)[:-1]])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts[stratum[order]]
    return np.asarray(rank < quota[stratum])


def _rebalance(
    in_val: NDArray[Any], features: NDArray[Any], stratum: NDArray[Any], fraction: float, rng: np.random.Generator
) -> NDArray[Any]:
    """Swap validation patients with training patients of their stratum while that fits the targets better.

    `features` (patients, m) are the counts to balance; the distance is sum((val - target)^2 / target).
    """
    features = features.astype(np.float64)
    in_val = in_val.copy()
    target = fraction * features.sum(axis=0)
    weight = 1.0 / np.maximum(target, 1.0)
    deviation = features[in_val].sum(axis=0) - target
    pools = [np.flatnonzero((stratum == s) & ~in_val) for s in range(int(stratum.max(initial=-1)) + 1)]
    for _ in range(SWAP_PASSES):
        moved = 0
        for a in rng.permutation(np.flatnonzero(in_val)):
            pool = pools[stratum[a]]
            if len(pool) == 0:
                continue
            picks = rng.integers(0, len(pool), min(SWAP_TRIES, len(pool)))
            delta = features[pool[picks]] - features[a]
            change = (weight * delta * (2 * deviation + delta)).sum(axis=1)
            best = int(np.argmin(change))
            if change[best] < -MIN_GAIN:
                b = pool[picks[best]]
                in_val[a], in_val[b] = False, True
                pool[picks[best]] = a
                deviation += delta[best]
                moved += 1
        if not moved:
            break
    return in_val


def describe_split(
    labels: NDArray[Any], groups: NDArray[Any], parts: dict[str, NDArray[Any]], class_names: list[str]
) -> pd.DataFrame:
    """Images and patients per split (e.g. {"train": idx, "val": idx}), with their shares, and per class.

    `labels` is one class per row (binary, multi-class) or the (rows, classes) label matrix (multi-label:
    the class columns then count the images showing each finding).
    """
    ind = indicators(labels) if np.asarray(labels).ndim > 1 else np.eye(len(class_names), dtype=bool)[labels]
    n_images, n_patients = len(groups), len(set(groups))
    rows = []
    for name, idx in parts.items():
        patients = len(set(groups[idx]))
        row: dict[str, object] = {
            "split": name,
            "images": len(idx),
            "patients": patients,
            "% images": round(100 * len(idx) / max(n_images, 1), 1),
            "% patients": round(100 * patients / max(n_patients, 1), 1),
        }
        for j, cname in enumerate(class_names):
            row[cname] = int(ind[idx, j].sum())
        rows.append(row)
    return pd.DataFrame(rows)
