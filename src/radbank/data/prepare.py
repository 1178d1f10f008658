"""From a config to decoded images and a split: source -> sample -> cache -> train/val(/test).

Splits never put one patient on two sides. The test split is either NIH's official `test_list.txt`
(`test_split: official`) or a fraction of patients drawn first (`test_split: 0.2`); validation is then
drawn, patient-grouped and stratified, from the rest: `val_fraction` of all patients after a drawn test
split, `val_fraction` of the non-test patients after the official one (whose size NIH chose). A split
file (`split_file`, written by `radbank split`) replaces all of that: its names are used as they are.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from numpy.typing import NDArray

from radbank.badinput import Skipped
from radbank.config import TrainConfig
from radbank.data.cache import load_images
from radbank.data.preprocess import Preprocess
from radbank.data.split import describe_split, sample_stratified, split_grouped
from radbank.data.splitfile import assign_from_file, read_split_file, write_split_file
from radbank.errors import RadbankError
from radbank.progress import bar
from radbank.sources import Records
from radbank.sources.open import open_source

log = logging.getLogger(__name__)
MIN_PER_CLASS = 2  # readable images a class needs (one may go to each side of the split)

MIN_PER_CLASS = 2  # readable images per class (binary, multi-class): one for training, one for validation


@dataclass
class PreparedData:
    """Decoded images of the selected records, and the split (index arrays into records)."""

    records: Records
    images: npt.NDArray[np.uint8]  # (n, size, size) uint8, aligned with records
    train: npt.NDArray[np.int64]
    val: npt.NDArray[np.int64]
    test: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    skipped: list[tuple[str, str]] = field(default_factory=list)
    load_seconds: float = 0.0
    decoded: int = 0

    def split_column(self) -> npt.NDArray[np.object_]:
        """'train' / 'val' / 'test' per record."""
        out = np.full(len(self.records), "", dtype=object)
        out[self.train], out[self.val], out[self.test] = "train", "val", "test"
        return out

    def summary(self) -> pd.DataFrame:
        """Images and patients per split and class."""
        parts = {"train": self.train, "val": self.val} | ({"test": self.test} if len(self.test) else {})
        return summarise(self.records, parts)


def summarise(records: Records, parts: dict[str, NDArray[Any]]) -> pd.DataFrame:
    """Images and patients (counts and shares) per split, and images per class or finding."""
    labels = records.labels if records.task == "multilabel" else records.targets()
    return describe_split(labels, records.table["patient"].astype(str).to_numpy(), parts, records.class_names)


def prepare_data(cfg: TrainConfig) -> PreparedData:
    """Index the source, sample `limit` images, decode them through the cache, and split by patient."""
    records = open_source(cfg)
    if len(records) == 0:
        raise RadbankError(f"{cfg.data}: no images found")
    assigned, left_out = _from_split_file(records, cfg)
    pool = np.arange(len(records)) if assigned is None else np.flatnonzero(assigned != "")
    keep = pool[sample_stratified(records.strata()[pool], cfg.limit, cfg.seed)]
    records = records.subset(keep)
    pp = Preprocess(cfg.size, cfg.fit)
    started = time.perf_counter()
    with bar(len(records), "loading") as pbar:
        loaded = load_images(records.paths, pp, cfg.cache, cfg.workers, cfg.max_pixels, progress=pbar.update)
    seconds = time.perf_counter() - started
    skipped = Skipped(log)
    skipped.rows.extend(records.skipped + left_out)  # the reader and the split file have reported their own
    for i, reason in loaded.errors.items():
        skipped.skip(records.paths[i], reason)
    records = records.subset(np.flatnonzero(loaded.ok))
    check_classes(records, cfg.data, len(skipped))
    if assigned is None:
        train, val, test = split_records(records, cfg)
    else:
        train, val, test = _named_split(records, assigned[keep][loaded.ok], cfg)
    return PreparedData(records, loaded.images, train, val, test, skipped.rows, seconds, loaded.decoded)


def _from_split_file(records: Records, cfg: TrainConfig) -> tuple[NDArray[Any] | None, list[tuple[str, str]]]:
    """The split name per record from cfg.split_file ('' = not listed), and the records it leaves out."""
    if not cfg.split_file:
        return None, []
    assigned, left_out = assign_from_file(records, read_split_file(cfg.split_file), cfg.data, cfg.split_file)
    if not (assigned != "").any():
        raise RadbankError(f"{cfg.split_file}: lists none of the images of {cfg.data}")
    return assigned, left_out


def _named_split(
    records: Records, names: NDArray[Any], cfg: TrainConfig
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """(train, val, test) from a split name per record, checked like a drawn split."""
    train, val, test = (np.flatnonzero(names == n) for n in ("train", "val", "test"))
    _check_parts(records, train, val, test, origin=str(cfg.split_file))
    return train, val, test


def split_records(records: Records, cfg: TrainConfig) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """(train, val, test) drawn as cfg says, with every class (binary, multi-class) on every side."""
    train, val, test = three_way_split(records, cfg)
    _check_parts(records, train, val, test, origin=cfg.data)
    return train, val, test


def _check_parts(records: Records, train: NDArray[Any], val: NDArray[Any], test: NDArray[Any], origin: str) -> None:
    for name, idx in (("training", train), ("validation", val), ("test", test)):
        missing = missing_classes(records.subset(idx)) if len(idx) or name != "test" else []
        if missing or (name != "test" and not len(idx)):
            what = ", ".join(missing) or "any image"
            raise RadbankError(f"{origin}: too few images to put {what} in the {name} split")


def split_strata(records: Records) -> NDArray[Any]:
    """What a split balances: the class per image, or the findings plus "no finding" (multi-label)."""
    if records.task != "multilabel":
        return records.targets()
    positive = np.nan_to_num(records.labels, nan=0.0) > 0
    return np.column_stack([positive, ~positive.any(axis=1)])


@dataclass
class SplitWritten:
    """What `write_split` wrote: the records indexed, the split name of each, and its summary."""

    records: Records
    split: NDArray[Any]
    summary: pd.DataFrame


def write_split(cfg: TrainConfig, out: str) -> SplitWritten:
    """Index cfg.data (no decoding), split it by patient as cfg says, and write the split file `out`."""
    records = open_source(cfg)
    if len(records) == 0:
        raise RadbankError(f"{cfg.data}: no images found")
    train, val, test = split_records(records, cfg)
    split = np.full(len(records), "train", dtype=object)
    split[val], split[test] = "val", "test"
    write_split_file(records, split, cfg.data, out)
    parts = {"train": train, "val": val} | ({"test": test} if len(test) else {})
    return SplitWritten(records, split, summarise(records, parts))


def three_way_split(
    records: Records, cfg: TrainConfig
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(train, val, test) index arrays; test is empty unless cfg.test_split asks for one."""
    strata = split_strata(records)
    groups = records.table["patient"].astype(str).to_numpy()
    everyone = np.arange(len(records))
    if cfg.test_split == "none":
        train, val = split_grouped(strata, groups, cfg.val_fraction, cfg.seed)
        return train, val, np.zeros(0, dtype=np.int64)
    if cfg.test_split == "official":
        if "official_split" not in records.table or not (records.table["official_split"] == "test").any():
            raise RadbankError(f"{cfg.data}: test_split official needs NIH's test_list.txt (source nih)")
        is_test = (records.table["official_split"] == "test").to_numpy()
        clash = set(groups[is_test]) & set(groups[~is_test])
        if clash:
            log.warning("%d patient(s) appear in both the official test list and train_val list", len(clash))
        test, rest = everyone[is_test], everyone[~is_test]
        val_share = cfg.val_fraction
    else:
        fraction = float(cfg.test_split)
        rest_local, test_local = split_grouped(strata, groups, fraction, cfg.seed + 17)
        test, rest = everyone[test_local], everyone[rest_local]
        val_share = min(cfg.val_fraction / (1.0 - fraction), 0.9)
    train_local, val_local = split_grouped(strata[rest], groups[rest], val_share, cfg.seed)
    return rest[train_local], rest[val_local], np.sort(test)


def missing_classes(records: Records) -> list[str]:
    """Classes with no image (binary/multi-class); multi-label tolerates absent findings."""
    if records.task == "multilabel":
        return []
    return [name for name, n in records.counts().items() if n == 0]


def check_classes(records: Records, data: str, skipped: int = 0) -> None:
    """At least two readable images per class (binary/multi-class), at least one image, and (multi-label)
    at least one image with a finding."""
    left_out = f"; {skipped} image(s) or row(s) were left out" if skipped else ""
    if len(records) == 0:
        raise RadbankError(f"{data}: no readable images{left_out}")
    if records.task == "multilabel":
        if not (np.nan_to_num(records.labels, nan=0.0) > 0).any():
            raise RadbankError(
                f"{data}: no readable image has any of the findings {', '.join(records.label_names)}{left_out}"
            )
        return
    few = [f"{name} ({n})" for name, n in records.counts().items() if n < MIN_PER_CLASS]
    if few:
        raise RadbankError(
            f"{data}: need at least {MIN_PER_CLASS} readable images per class; too few in {', '.join(few)}"
        )
