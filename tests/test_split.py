"""Sampling and splitting: stratified, patient-grouped, reproducible."""

from __future__ import annotations

import numpy as np

from radbank.data.split import sample_stratified, split_grouped


def _data(n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    strata = (rng.random(n) < 0.3).astype(int)  # 30% positives
    groups = np.array([f"p{i // 2}" if i % 7 else f"q{i}" for i in range(n)])  # many patients with 2 images
    return strata, groups


def test_split_is_stratified() -> None:
    strata, groups = _data()
    train, val = split_grouped(strata, groups, 0.2, seed=1)
    assert len(train) + len(val) == len(strata) and not set(train) & set(val)
    for c in (0, 1):
        target = 0.2 * (strata == c).sum()
        assert abs((strata[val] == c).sum() - target) <= 2  # groups of <= 2 images
    assert abs(len(val) - 200) <= 3


def test_split_keeps_patients_together() -> None:
    strata, groups = _data()
    train, val = split_grouped(strata, groups, 0.25, seed=5)
    assert not set(groups[train]) & set(groups[val])


def test_split_reproducible_and_seed_dependent() -> None:
    strata, groups = _data()
    a = split_grouped(strata, groups, 0.2, seed=7)
    b = split_grouped(strata, groups, 0.2, seed=7)
    c = split_grouped(strata, groups, 0.2, seed=8)
    assert np.array_equal(a[1], b[1]) and np.array_equal(a[0], b[0])
    assert set(a[1]) != set(c[1])


def test_sample_keeps_proportions_and_limit() -> None:
    strata, _ = _data()
    idx = sample_stratified(strata, 100, seed=0)
    assert len(idx) == 100 and len(set(idx)) == 100
    assert abs((strata[idx] == 1).mean() - (strata == 1).mean()) <= 0.011
    assert np.array_equal(idx, sample_stratified(strata, 100, seed=0))
    everything = sample_stratified(strata, None, seed=0)
    assert sorted(everything) == list(range(len(strata))) and not np.array_equal(everything, np.arange(len(strata)))
