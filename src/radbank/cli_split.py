"""CLI command `radbank split DATA --out split.csv`: a patient-grouped split, written without decoding."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cmd_split(args: argparse.Namespace) -> int:
    from radbank.cli_dataset import DATASET_OPTIONS, config_dict
    from radbank.config import config_from_dict
    from radbank.data.prepare import write_split
    from radbank.runs import write_skipped

    base = config_dict(args, DATASET_OPTIONS)
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
    from radbank.cli_dataset import dataset_arguments

    s = argparse.SUPPRESS  # only options given on the command line override the config file
    p = sub.add_parser("split", help="split a dataset by patient into train/val(/test) and write the split file")
    p.add_argument("data", help="dataset: folder per class, NIH ChestX-ray14 folder, DICOM folder or MIDS tree")
    p.add_argument("--out", required=True, help="split file to write (CSV: path, patient, split)")
    dataset_arguments(p)
    p.add_argument("--workers", type=int, default=s, help="header-reading processes for DICOM folders (0 = all)")
    common(p)
    p.set_defaults(func=cmd_split)
