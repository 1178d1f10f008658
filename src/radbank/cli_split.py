"""CLI command `radbank split DATA --out split.csv`: a patient-grouped split, written without decoding."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Options shared with `train` that decide which images a dataset holds and how they are split.
SPLIT_OPTIONS = (
    "source", "positive", "labels", "view", "label_table", "modalities", "patient_regex", "test_split",
    "val_fraction", "seed", "workers",
)  # fmt: skip


def cmd_split(args: argparse.Namespace) -> int:
    from radbank.config import TrainConfig, config_from_dict, load_config
    from radbank.data.prepare import write_split
    from radbank.runs import write_skipped

    base = load_config(args.config).to_dict() if getattr(args, "config", None) else TrainConfig().to_dict()
    base.update({k: getattr(args, k) for k in SPLIT_OPTIONS if hasattr(args, k)})
    base.update(data=args.data, limit=None, split_file=None)  # a split covers every image the source lists
    res = write_split(config_from_dict(base, "options"), args.out)
    skipped = res.records.skipped
    if skipped:
        where = Path(args.out).with_name(Path(args.out).stem + "-skipped.csv")
        write_skipped(where, skipped)
        print(f"{where}: {len(skipped)} file(s) of the dataset left out, with the reason")
    print(res.summary.to_string(index=False))
    print(f"{args.out}: {len(res.records)} images of {res.records.table['patient'].nunique()} patients")
    return 0


def add_parsers(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `split` on the main parser's sub-parsers."""
    s = argparse.SUPPRESS  # only options given on the command line override the config file
    p = sub.add_parser("split", help="split a dataset by patient into train/val(/test) and write the split file")
    p.add_argument("data", help="dataset: folder per class, NIH ChestX-ray14 folder, DICOM folder or MIDS tree")
    p.add_argument("--out", required=True, help="split file to write (CSV: path, patient, split)")
    p.add_argument("--val-fraction", type=float, dest="val_fraction", default=s, help="validation share (0.2)")
    p.add_argument(
        "--test-split",
        dest="test_split",
        default=s,
        help="none (default), official (NIH's test_list.txt) or a fraction",
    )
    p.add_argument("--seed", type=int, default=s, help="random seed (default 42, as train)")
    p.add_argument("--config", default=s, help="a train YAML config: its source and split settings are used")
    p.add_argument("--source", choices=["auto", "folders", "nih", "dicom", "mids"], default=s, help="dataset kind")
    p.add_argument("--labels", default=s, help="multi-label sources: all, or a comma list of findings")
    p.add_argument("--view", default=s, help="keep only this View Position (PA, AP)")
    p.add_argument("--label-table", dest="label_table", default=s, help="DICOM folders: CSV of labels")
    p.add_argument("--modalities", default=s, help="DICOM folders: accepted modalities (default CR,DX; any)")
    p.add_argument("--positive", default=s, help="the class that means disease (label 1), when names are unclear")
    p.add_argument("--patient-regex", dest="patient_regex", default=s, help="group 1 = patient ID in a file name")
    p.add_argument("--workers", type=int, default=s, help="header-reading processes for DICOM folders (0 = all)")
    common(p)
    p.set_defaults(func=cmd_split)
