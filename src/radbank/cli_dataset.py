"""Options that say which images a dataset holds and how they are split, shared by `train` and `split`."""

from __future__ import annotations

import argparse
from typing import Any

# Options that decide the images of a dataset and their split (config keys; `train` adds its own).
DATASET_OPTIONS = (
    "source",
    "positive",
    "labels",
    "view",
    "label_table",
    "modalities",
    "patient_regex",
    "uncertain",
    "test_split",
    "val_fraction",
    "seed",
    "workers",
)


def dataset_arguments(p: argparse.ArgumentParser) -> None:
    """Add the dataset and split options; each defaults to SUPPRESS, so only what is typed overrides `--config`."""
    from radbank.sources import source_choices

    s = argparse.SUPPRESS
    p.add_argument("--config", default=s, help="YAML config file (options given here override it)")
    p.add_argument(
        "--source",
        choices=source_choices(),
        default=s,
        help="dataset kind (default auto: each reader is asked if it can read the folder)",
    )
    p.add_argument(
        "--source-option",
        action="append",
        dest="source_option",
        default=s,
        metavar="KEY=VALUE",
        help="any option of the source's reader, e.g. hierarchy=false (repeatable)",
    )
    p.add_argument("--labels", default=s, help="multi-label sources: all, or a comma list of findings")
    p.add_argument("--view", default=s, help="keep only this View Position (PA, AP)")
    p.add_argument("--label-table", dest="label_table", default=s, help="DICOM folders: CSV of labels")
    p.add_argument(
        "--uncertain",
        choices=["masked", "ones", "zeros"],
        default=s,
        help="label tables: uncertain (-1) findings masked out of the loss (default), 1 or 0",
    )
    p.add_argument("--modalities", default=s, help="DICOM folders: accepted modalities (default CR,DX; any)")
    p.add_argument("--positive", default=s, help="the class that means disease (label 1), when names are unclear")
    p.add_argument(
        "--patient-regex",
        dest="patient_regex",
        default=s,
        help="regex whose group 1 is the patient ID in a file name (default: NIH names)",
    )
    p.add_argument(
        "--test-split",
        dest="test_split",
        default=s,
        help="none (default), official (NIH's test_list.txt) or a fraction of patients",
    )
    p.add_argument("--val-fraction", type=float, dest="val_fraction", default=s, help="validation share (0.2)")
    p.add_argument("--seed", type=int, default=s, help="random seed (default 42)")


def config_dict(args: argparse.Namespace, options: tuple[str, ...]) -> dict[str, Any]:
    """The config (from `--config`, else the defaults) with the typed `options` and `--source-option`s over it."""
    from radbank.config import TrainConfig, load_config

    base = load_config(args.config).to_dict() if getattr(args, "config", None) else TrainConfig().to_dict()
    base.update({k: getattr(args, k) for k in options if hasattr(args, k)})
    if getattr(args, "source_option", None):  # --source-option KEY=VALUE: any option of the source's reader
        from radbank.sources.options import parse_key_values

        base["source_options"] = dict(base.get("source_options") or {}) | parse_key_values(args.source_option)
    return base
