"""From a config to decoded images and a split: source -> sample -> cache -> train/val(/test).

Splits never put one patient on two sides. The test split is either NIH's official `test_list.txt`
(`test_split: official`) or a fraction of patients drawn first (`test_split: 0.2`); validation is then
drawn, patient-grouped and stratified, from the rest so that overall shares are as configured.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from radbank.config import TrainConfig
from radbank.data.cache import load_images
from radbank.data.preprocess import Preprocess
from radbank.data.split import describe_split, sample_stratified, split_grouped
from radbank.errors import RadbankError
from radbank.progress import bar
from radbank.sources import Records
from radbank.sources.open import open_source

log = logging.getLogger(__name__)
MIN_PER_CLASS = 2  # readable images a class needs (one may go to each side of the split)


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
        r = self.records
        return describe_split(r.strata(), r.table["patient"].astype(str).to_numpy(), parts, r.class_names)


def prepare_data(cfg: TrainConfig) -> PreparedData:
    """Index the source, sample `limit` images, decode them through the cache, and split by patient."""
    records = open_source(cfg)
    if len(records) == 0:
        raise RadbankError(f"{cfg.data}: no images found")
    records = records.subset(sample_stratified(records.strata(), cfg.limit, cfg.seed))
    pp = Preprocess(cfg.size, cfg.fit)
    started = time.perf_counter()
    with bar(len(records), "loading") as pbar:
        loaded = load_images(records.paths, pp, cfg.cache, cfg.workers, cfg.max_pixels, progress=pbar.update)
    seconds = time.perf_counter() - started
    skipped = list(records.skipped)
    for i, reason in loaded.errors.items():
        log.warning("%s: %s (skipped)", records.paths[i], reason)
        skipped.append((records.paths[i], reason))
    records = records.subset(np.flatnonzero(loaded.ok))
    check_classes(records, cfg.data)
    train, val, test = three_way_split(records, cfg)
    for name, idx in (("training", train), ("validation", val), ("test", test)):
        missing = missing_classes(records.subset(idx)) if len(idx) or name != "test" else []
        if missing:
            raise RadbankError(f"{cfg.data}: too few images to put {', '.join(missing)} in the {name} split")
    return PreparedData(records, loaded.images, train, val, test, skipped, seconds, loaded.decoded)


def three_way_split(
    records: Records, cfg: TrainConfig
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(train, val, test) index arrays; test is empty unless cfg.test_split asks for one."""
    strata = records.strata()
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


def check_classes(records: Records, data: str) -> None:
    """At least two readable images per class (binary/multi-class), and at least one image."""
    if len(records) == 0:
        raise RadbankError(f"{data}: no readable images (see skipped.csv)")
    if records.task == "multilabel":
        return
    few = [f"{name} ({n})" for name, n in records.counts().items() if n < MIN_PER_CLASS]
    if few:
        raise RadbankError(f"{data}: need at least 2 readable images per class; too few in {', '.join(few)}")
