"""Sampling and splitting: stratified, patient-grouped, reproducible; split files and `radbank split`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radbank.cli import main
from radbank.data.split import describe_split, sample_stratified, split_grouped
from radbank.data.splitfile import assign_from_file, read_split_file, write_split_file
from radbank.errors import RadbankError
from radbank.sources.records import Records


def _data(n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    strata = (rng.random(n) < 0.3).astype(int)  # 30% positives
    groups = np.array([f"p{i // 2}" if i % 7 else f"q{i}" for i in range(n)])  # many patients with 2 images
    return strata, groups


def _skewed(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Like NIH: most patients have one or two images, a few have dozens (and are sicker)."""
    rng = np.random.default_rng(seed)
    sizes = np.concatenate([rng.integers(1, 3, 900), rng.integers(20, 60, 40)])
    groups = np.repeat(np.arange(len(sizes)), sizes).astype(str)
    sick = np.repeat(np.r_[np.full(900, 0.2), np.full(40, 0.6)], sizes)
    return (rng.random(len(groups)) < sick).astype(int), groups


def test_split_is_stratified_per_class() -> None:
    strata, groups = _data()
    _, val = split_grouped(strata, groups, 0.2, seed=1)
    for c in (0, 1):
        assert abs((strata[val] == c).sum() - 0.2 * (strata == c).sum()) <= 1


def test_split_covers_every_row_once() -> None:
    strata, groups = _data()
    train, val = split_grouped(strata, groups, 0.2, seed=1)
    assert sorted(np.r_[train, val]) == list(range(len(strata)))


def test_split_draws_the_share_of_patients() -> None:
    strata, groups = _data()
    _, val = split_grouped(strata, groups, 0.2, seed=1)
    assert len(set(groups[val])) == round(0.2 * len(set(groups)))


def test_split_keeps_patients_together() -> None:
    strata, groups = _data()
    train, val = split_grouped(strata, groups, 0.25, seed=5)
    assert not set(groups[train]) & set(groups[val])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_split_with_large_patients_keeps_patient_and_image_shares(seed: int) -> None:
    # The old largest-first greedy filled validation with the few large patients (4% of NIH's patients).
    strata, groups = _skewed(seed)
    _, val = split_grouped(strata, groups, 0.2, seed=seed)
    patients = len(set(groups[val])) / len(set(groups))
    assert abs(patients - 0.2) < 0.005
    assert abs(len(val) / len(groups) - 0.2) < 0.02


def test_split_of_large_patients_is_not_biased_towards_them() -> None:
    strata, groups = _skewed(0)
    _, val = split_grouped(strata, groups, 0.2, seed=0)
    large = {g for g, n in zip(*np.unique(groups, return_counts=True), strict=True) if n >= 20}
    assert 4 <= len(large & set(groups[val])) <= 12  # about 20% of the 40, not all of them


def test_split_multilabel_matrix_balances_each_finding() -> None:
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(600), rng.integers(1, 6, 600)).astype(str)
    labels = rng.random((len(groups), 3)) < [0.3, 0.1, 0.03]
    matrix = np.column_stack([labels, ~labels.any(axis=1)])
    _, val = split_grouped(matrix, groups, 0.2, seed=0)
    for j in range(3):
        assert abs(labels[val, j].sum() / labels[:, j].sum() - 0.2) < 0.02, j


def test_split_ignores_row_order() -> None:
    strata, groups = _data()
    perm = np.random.default_rng(9).permutation(len(strata))
    _, val = split_grouped(strata, groups, 0.2, seed=4)
    _, val_perm = split_grouped(strata[perm], groups[perm], 0.2, seed=4)
    assert set(perm[val_perm]) == set(val)


def test_split_reproducible_and_seed_dependent() -> None:
    strata, groups = _data()
    a = split_grouped(strata, groups, 0.2, seed=7)
    b = split_grouped(strata, groups, 0.2, seed=7)
    c = split_grouped(strata, groups, 0.2, seed=8)
    assert np.array_equal(a[1], b[1])
    assert np.array_equal(a[0], b[0])
    assert set(a[1]) != set(c[1])


def test_split_of_two_patients_puts_one_on_each_side() -> None:
    train, val = split_grouped(np.array([0, 1, 1]), np.array(["a", "b", "b"]), 0.2, seed=0)
    assert len(train)
    assert len(val)


def test_split_fraction_out_of_range_is_an_error() -> None:
    strata, groups = _data(20)
    with pytest.raises(RadbankError, match="between 0 and 1"):
        split_grouped(strata, groups, 1.0, seed=0)


def test_describe_split_gives_shares() -> None:
    strata, groups = _data()
    train, val = split_grouped(strata, groups, 0.2, seed=1)
    table = describe_split(strata, groups, {"train": train, "val": val}, ["healthy", "sick"])
    row = table.set_index("split").loc["val"]
    assert row["% patients"] == pytest.approx(100 * len(set(groups[val])) / len(set(groups)), abs=0.05)
    assert row["sick"] == (strata[val] == 1).sum()


def test_sample_keeps_proportions_and_limit() -> None:
    strata, _ = _data()
    idx = sample_stratified(strata, 100, seed=0)
    assert len(idx) == 100
    assert len(set(idx)) == 100
    assert abs((strata[idx] == 1).mean() - (strata == 1).mean()) <= 0.011
    assert np.array_equal(idx, sample_stratified(strata, 100, seed=0))
    everything = sample_stratified(strata, None, seed=0)
    assert sorted(everything) == list(range(len(strata)))
    assert not np.array_equal(everything, np.arange(len(strata)))


# --- split files ---------------------------------------------------------------------------------------


def _records(root: Path, names: list[str], patients: list[str]) -> Records:
    table = pd.DataFrame({"path": [str(root / n) for n in names], "patient": patients})
    labels = np.array([[i % 2] for i in range(len(names))], dtype=np.float32)
    return Records(table, labels, ["sick"], "binary", ["healthy", "sick"])


def _split_file(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    pd.DataFrame(rows, columns=["path", "patient", "split"]).to_csv(path, index=False)
    return path


def test_split_file_round_trip_keeps_non_utf8_names(tmp_path: Path) -> None:
    names = ["a/x.png", "a/caf\udce9.png", "b/y.png"]  # the middle one: a Latin-1 byte in the file name
    records = _records(tmp_path / "data", names, ["1", "1", "2"])
    write_split_file(records, np.array(["train", "train", "val"]), tmp_path / "data", tmp_path / "split.csv")
    table = read_split_file(tmp_path / "split.csv")
    assert list(table["path"]) == names
    split, skipped = assign_from_file(records, table, tmp_path / "data", "split.csv")
    assert list(split) == ["train", "train", "val"]
    assert skipped == []


def test_split_file_to_a_folder_is_an_error(tmp_path: Path) -> None:
    records = _records(tmp_path, ["x.png"], ["1"])
    with pytest.raises(RadbankError, match="is a folder"):
        write_split_file(records, np.array(["train"]), tmp_path, tmp_path)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("x.png", "1", "train"), ("y.png", "1", "val")], "patient\\(s\\) 1 in two splits"),
        ([("x.png", "1", "train"), ("y.png", "2", "holdout")], "unknown split name"),
        ([("x.png", "1", "train"), ("x.png", "1", "train")], "x.png is listed more than once"),
    ],
)
def test_bad_split_files_are_refused(tmp_path: Path, rows: list[tuple[str, str, str]], message: str) -> None:
    with pytest.raises(RadbankError, match=message):
        read_split_file(_split_file(tmp_path / "split.csv", rows))


def test_split_file_without_columns_is_refused(tmp_path: Path) -> None:
    (tmp_path / "split.csv").write_text("path,split\nx.png,train\n")
    with pytest.raises(RadbankError, match="missing column"):
        read_split_file(tmp_path / "split.csv")


def test_split_file_that_splits_a_datasets_patient_is_refused(tmp_path: Path) -> None:
    # The file's own patient IDs look fine, but the dataset says both images are patient 7's.
    records = _records(tmp_path, ["x.png", "y.png"], ["7", "7"])
    table = read_split_file(_split_file(tmp_path / "s.csv", [("x.png", "a", "train"), ("y.png", "b", "val")]))
    with pytest.raises(RadbankError, match="patient\\(s\\) 7 in two splits"):
        assign_from_file(records, table, tmp_path, "s.csv")


def test_images_missing_from_the_split_file_are_left_out_with_the_reason(tmp_path: Path) -> None:
    records = _records(tmp_path, ["x.png", "y.png"], ["1", "2"])
    table = read_split_file(_split_file(tmp_path / "s.csv", [("x.png", "1", "val")]))
    split, skipped = assign_from_file(records, table, tmp_path, "s.csv")
    assert list(split) == ["val", ""]
    assert skipped == [(str(tmp_path / "y.png"), "not listed in s.csv")]


def test_radbank_split_writes_a_patient_split_without_decoding(
    phantom120: Path, tmp_path: Path, isolated_cache: Path
) -> None:
    out = tmp_path / "split.csv"
    assert main(["split", str(phantom120), "--out", str(out), "--test-split", "0.2", "--seed", "3", "-q"]) == 0
    table = pd.read_csv(out, dtype=str)
    assert list(table.columns) == ["path", "patient", "split"]
    assert set(table["split"]) == {"train", "val", "test"}
    assert all((phantom120 / p).is_file() for p in table["path"])  # relative to the dataset folder
    assert table.groupby("patient")["split"].nunique().max() == 1
    assert not any(isolated_cache.rglob("*.*"))  # nothing was decoded into the cache


def test_radbank_split_to_a_folder_exits_2(phantom120: Path, tmp_path: Path) -> None:
    assert main(["split", str(phantom120), "--out", str(tmp_path), "-q"]) == 2


def test_train_uses_a_split_file(phantom120: Path, tmp_path: Path) -> None:
    out = tmp_path / "split.csv"
    assert main(["split", str(phantom120), "--out", str(out), "--seed", "11", "-q"]) == 0
    shared = pd.read_csv(out, dtype=str)
    dropped = shared["path"].iloc[0]
    shared.iloc[1:].to_csv(out, index=False)  # one image not listed: left out of training, with the reason
    run = tmp_path / "run"
    args = ["train", str(phantom120), "--out", str(run), "--split", str(out), "--size", "32", "--epochs", "1"]
    assert main([*args, "--workers", "1", "-q"]) == 0
    used = pd.read_csv(run / "split.csv", dtype=str)
    used["path"] = [str(Path(p).relative_to(phantom120).as_posix()) for p in used["path"]]
    expected = shared.iloc[1:].set_index("path")["split"]
    assert used.set_index("path")["split"].sort_index().equals(expected.sort_index())
    skipped = pd.read_csv(run / "skipped.csv")
    assert list(skipped["reason"]) == [f"not listed in {out}"]
    assert skipped["path"].iloc[0].endswith(dropped)


def test_train_refuses_split_file_with_test_split(phantom120: Path, tmp_path: Path) -> None:
    args = ["train", str(phantom120), "--out", str(tmp_path / "r"), "--split", "s.csv", "--test-split", "0.2"]
    assert main([*args, "-q"]) == 2
