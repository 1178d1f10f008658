"""CLI commands `radbank mids export|validate` (thin over radbank.mids)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any


def cmd_mids_export(args: argparse.Namespace) -> int:
    from radbank.badinput import printable
    from radbank.config import TrainConfig
    from radbank.mids.export import ExportOptions, export_mids
    from radbank.mids.reports import reports_by_study
    from radbank.progress import bar
    from radbank.sources.open import open_source
    from radbank.tables import read_table

    options = {k: v for k, v in source_options(args).items() if v is not None}
    cfg = TrainConfig(data=args.src, source=args.source, source_options=options, workers=args.workers)
    cfg.validate("options")
    records = open_source(cfg)
    if args.metadata:
        from radbank.mids.metadata import apply_metadata

        matched = apply_metadata(records, read_table(args.metadata), args.src, args.metadata)
        print(f"{args.metadata}: metadata for {matched} of {len(records)} images")
    reports = None
    if args.reports:
        reports = reports_by_study(records, read_table(args.reports), args.reports, args.reports_deidentified)
    with bar(len(records), "mids export") as pbar:
        how = ExportOptions(
            args.name, args.modality, args.body_part, args.layout, args.workers, args.deface_method, args.ears
        )
        rep = export_mids(records, args.out, reports, how, progress=pbar.update)
    print(rep.summary())
    for path, reason in rep.skipped:
        print(f"skipped {printable(path)}: {reason}", file=sys.stderr)
    if rep.unknown_labels:
        print("labels without a UMLS code (written as n/a): " + ", ".join(sorted(rep.unknown_labels)), file=sys.stderr)
    return 0 if rep.written or rep.resumed else 1


SOURCE_FLAGS = ("label_table", "labels", "positive", "modalities", "view")


def source_options(args: argparse.Namespace) -> dict[str, Any]:
    """Reader options from the export's flags and its repeated --source-option KEY=VALUE."""
    from radbank.sources.options import parse_key_values

    options: dict[str, Any] = {k: getattr(args, k, None) for k in SOURCE_FLAGS}
    return options | parse_key_values(getattr(args, "source_option", None), "--source-option")


def cmd_mids_validate(args: argparse.Namespace) -> int:
    from radbank.mids.validate import validate_mids

    issues = validate_mids(args.dir)
    shown = [i for i in issues if i.level == "error" or not args.errors_only]
    for issue in shown:
        print(issue)
    errors = sum(i.level == "error" for i in issues)
    from radbank.badinput import printable

    print(f"{printable(args.dir)}: {errors} error(s), {len(issues) - errors} warning(s)")
    return 1 if errors else 0


def add_parsers(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `mids` on the main parser's sub-parsers."""
    from radbank.mids.layouts import DEFAULT_LAYOUT, LAYOUTS
    from radbank.sources import source_choices

    mids = sub.add_parser("mids", help="MIDS datasets: export, validate")
    mids_sub = mids.add_subparsers(dest="mids_command", metavar="ACTION", required=True)
    p = mids_sub.add_parser("export", help="write a dataset (PNG + labels, de-identified DICOM) as a MIDS tree")
    p.add_argument("src", help="dataset folder (class folders, NIH, PadChest, DICOM tree, MIDS tree)")
    p.add_argument("out", help="MIDS output folder")
    p.add_argument(
        "--layout",
        choices=sorted(LAYOUTS),
        default=DEFAULT_LAYOUT,
        help=f"folders as BIMCV writes them: bimcv-release (mod-rx/) or dcm2mids (mim-rx/cr/); "
        f"default {DEFAULT_LAYOUT}",
    )
    p.add_argument("--source", choices=source_choices(), default="auto")
    p.add_argument(
        "--label-table", dest="label_table", help="DICOM folders: CSV of labels; MIDS trees: a BIMCV labels table"
    )
    p.add_argument("--labels", help="multi-label sources: a comma list of findings (default all)")
    p.add_argument("--positive", help="the class that means disease, when names are unclear")
    p.add_argument("--modalities", help="DICOM: accepted modalities (default CR,DX)")
    p.add_argument("--view", help="keep only this view (PA, AP...)")
    p.add_argument(
        "--source-option",
        action="append",
        dest="source_option",
        metavar="KEY=VALUE",
        help="any other option of the source's reader (repeatable)",
    )
    p.add_argument(
        "--metadata",
        help="CSV/TSV of per-image metadata keyed by path or file name (patient, study, "
        "view, age, sex, pixel_spacing; NIH spellings too), for PNG/JPEG sources",
    )
    p.add_argument(
        "--reports",
        help="CSV/TSV/JSONL of reports: a key column (study, StudyInstanceUID, "
        "AccessionNumber, path or Image Index) and a text column (report or text)",
    )
    p.add_argument(
        "--reports-deidentified",
        action="store_true",
        dest="reports_deidentified",
        help="the reports are de-identified already (default: redact identifiers in them)",
    )
    p.add_argument("--name", default="radbank MIDS export", help="dataset name (dataset_description.json)")
    p.add_argument("--modality", default="CR", help="DICOM modality of non-DICOM images (default CR)")
    p.add_argument("--body-part", default="CHEST", dest="body_part", help="Body Part Examined (default CHEST)")
    p.add_argument(
        "--deface-method",
        choices=["unet", "template"],
        default="unet",
        dest="deface_method",
        help="head MR volumes (written defaced under mim-mr/anat/): unet (default) or template",
    )
    p.add_argument("--ears", action="store_true", help="head MR volumes: remove the ears too")
    p.add_argument("--workers", type=int, default=0, help="processes (0 = all cores)")
    common(p)
    p.set_defaults(func=cmd_mids_export)

    p = mids_sub.add_parser("validate", help="check a MIDS tree; exit status 1 when it has errors")
    p.add_argument("dir", help="MIDS root folder")
    p.add_argument("--errors-only", action="store_true", dest="errors_only", help="do not print warnings")
    common(p)
    p.set_defaults(func=cmd_mids_validate)
