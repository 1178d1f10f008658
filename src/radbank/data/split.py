"""Sampling and splitting: stratified by class, grouped by patient, reproducible for a seed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from radbank.errors import RadbankError


def sample_stratified(strata: np.ndarray, limit: int | None, seed: int) -> np.ndarray:
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


def split_grouped(
    strata: np.ndarray, groups: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split rows into (train, val) index arrays, shuffled.

    No group (patient) is on both sides. Each class gets about `val_fraction` of its images in
    validation: groups are visited largest first (random order among equals) and one joins the
    validation side when that brings the per-class counts closer to their targets without pushing
    any class past its target, so patients whose images span several classes are handled too.
    """
    if not 0.0 < val_fraction < 1.0:
        raise RadbankError(f"validation fraction must be between 0 and 1, not {val_fraction}")
    classes, class_of = np.unique(strata, return_inverse=True)
    group_ids, group_of = np.unique(pd.Series(groups).astype(str).to_numpy(), return_inverse=True)
    counts = np.zeros((len(group_ids), len(classes)))
    np.add.at(counts, (group_of, class_of), 1)
    target = val_fraction * counts.sum(axis=0)
    rng = np.random.default_rng([seed, 2])
    visit = np.lexsort((rng.permutation(len(group_ids)), -counts.sum(axis=1)))
    current = np.zeros(len(classes))
    in_val = np.zeros(len(group_ids), bool)
    for g in visit:
        after = current + counts[g]
        if np.all(after <= target + 0.5) and np.sum((after - target) ** 2) < np.sum((current - target) ** 2):
            in_val[g] = True
            current = after
    is_val = in_val[group_of]
    train, val = np.flatnonzero(~is_val), np.flatnonzero(is_val)
    return rng.permutation(train), rng.permutation(val)


def describe_split(
    strata: np.ndarray, groups: np.ndarray, parts: dict[str, np.ndarray], class_names: list[str]
) -> pd.DataFrame:
    """Images and patients per split (e.g. {"train": idx, "val": idx}) and per class."""
    rows = []
    for name, idx in parts.items():
        row: dict[str, object] = {"split": name, "images": len(idx), "patients": len(set(groups[idx]))}
        for j, cname in enumerate(class_names):
            row[cname] = int((strata[idx] == j).sum())
        rows.append(row)
    return pd.DataFrame(rows)
