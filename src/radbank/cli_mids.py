"""CLI commands `radbank mids export|validate` and `radbank risk` (thin over radbank.mids and radbank.risk)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cmd_mids_export(args: argparse.Namespace) -> int:
    from radbank.config import TrainConfig
    from radbank.mids.export import ExportOptions, export_mids
    from radbank.mids.reports import reports_by_study
    from radbank.progress import bar
    from radbank.sources.open import open_source
    from radbank.sources.records import printable
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
        how = ExportOptions(args.name, args.modality, args.body_part, args.layout, args.workers)
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
    from radbank.sources.records import printable

    print(f"{printable(args.dir)}: {errors} error(s), {len(issues) - errors} warning(s)")
    return 1 if errors else 0


def cmd_risk(args: argparse.Namespace) -> int:
    from radbank.fsutil import atomic_path, write_json
    from radbank.risk.generalize import generalise
    from radbank.risk.measures import assess, format_report
    from radbank.tables import read_table

    table = read_table(args.table)
    quasi = [c.strip() for c in args.quasi.split(",") if c.strip()]
    sensitive = [c.strip() for c in args.sensitive.split(",") if c.strip()] if args.sensitive else []
    before = assess(table, quasi, sensitive, args.threshold)
    print(format_report(before, f"{args.table}: as released"))
    result: dict[str, Any] = {"before": before.to_dict()}
    if args.target_k is not None:
        g = generalise(table, quasi, args.target_k, args.max_suppression)
        after = assess(g.table, quasi, sensitive, args.threshold) if len(g.table) else None
        levels = ", ".join(f"{q} {g.kinds[q]} level {g.levels[q]}/{g.top_levels[q]}" for q in quasi)
        print(f"\ngeneralised to k >= {args.target_k}: {levels}; {g.suppressed} record(s) suppressed")
        print("information loss: " + ", ".join(f"{k} {v}" for k, v in g.loss.items()))
        if after is not None:
            print(format_report(after, "after generalisation"))
        result.update(after=after.to_dict() if after else None, levels=g.levels, suppressed=g.suppressed, loss=g.loss)
        if args.out:
            sep = "\t" if Path(args.out).suffix.lower() == ".tsv" else ","
            with atomic_path(args.out) as tmp:
                g.table.to_csv(tmp, sep=sep, index=False)
            print(f"{args.out}: generalised table written")
    if args.json:
        write_json(args.json, result)
    return 0


def add_parsers(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `mids` and `risk` on the main parser's sub-parsers."""
    from radbank.mids.layouts import DEFAULT_LAYOUT, LAYOUTS
    from radbank.sources import source_choices

    mids = sub.add_parser("mids", help="MIDS datasets: export, validate")
    mids_sub = mids.add_subparsers(dest="mids_command", metavar="ACTION", required=True)
    p = mids_sub.add_parser("export", help="write a dataset (PNG + labels, de-identified DICOM) as a MIDS tree")
    p.add_argument("src", help="dataset folder (class folders, NIH, PadChest, DICOM tree, MIDS tree)")
    p.add_argument("out", help="MIDS output folder")
    p.add_argument("--layout", choices=sorted(LAYOUTS), default=DEFAULT_LAYOUT,
                   help=f"folders as BIMCV writes them: bimcv-release (mod-rx/) or dcm2mids (mim-rx/cr/); "
                        f"default {DEFAULT_LAYOUT}")  # fmt: skip
    p.add_argument("--source", choices=source_choices(), default="auto")
    p.add_argument(
        "--label-table", dest="label_table", help="DICOM folders: CSV of labels; MIDS trees: a BIMCV labels table"
    )
    p.add_argument("--labels", help="multi-label sources: a comma list of findings (default all)")
    p.add_argument("--positive", help="the class that means disease, when names are unclear")
    p.add_argument("--modalities", help="DICOM: accepted modalities (default CR,DX)")
    p.add_argument("--view", help="keep only this view (PA, AP...)")
    p.add_argument("--source-option", action="append", dest="source_option", metavar="KEY=VALUE",
                   help="any other option of the source's reader (repeatable)")  # fmt: skip
    p.add_argument("--metadata", help="CSV/TSV of per-image metadata keyed by path or file name (patient, study, "
                   "view, age, sex, pixel_spacing; NIH spellings too), for PNG/JPEG sources")  # fmt: skip
    p.add_argument("--reports", help="CSV/TSV/JSONL of reports: a key column (study, StudyInstanceUID, "
                   "AccessionNumber, path or Image Index) and a text column (report or text)")  # fmt: skip
    p.add_argument("--reports-deidentified", action="store_true", dest="reports_deidentified",
                   help="the reports are de-identified already (default: redact identifiers in them)")  # fmt: skip
    p.add_argument("--name", default="radbank MIDS export", help="dataset name (dataset_description.json)")
    p.add_argument("--modality", default="CR", help="DICOM modality of non-DICOM images (default CR)")
    p.add_argument("--body-part", default="CHEST", dest="body_part", help="Body Part Examined (default CHEST)")
    p.add_argument("--workers", type=int, default=0, help="processes (0 = all cores)")
    common(p)
    p.set_defaults(func=cmd_mids_export)

    p = mids_sub.add_parser("validate", help="check a MIDS tree; exit status 1 when it has errors")
    p.add_argument("dir", help="MIDS root folder")
    p.add_argument("--errors-only", action="store_true", dest="errors_only", help="do not print warnings")
    common(p)
    p.set_defaults(func=cmd_mids_validate)

    p = sub.add_parser("risk", help="k-anonymity, l-diversity, t-closeness and re-identification risks of a table")
    p.add_argument("table", help="a TSV (participants.tsv) or CSV")
    p.add_argument("--quasi", required=True, help="comma list of quasi-identifier columns (e.g. age,sex)")
    p.add_argument("--sensitive", default="", help="comma list of sensitive columns (e.g. finding)")
    p.add_argument("--threshold", type=int, default=5, help="classes smaller than this are at risk (default 5)")
    p.add_argument("--target-k", type=int, dest="target_k", help="generalise and suppress until k >= this")
    p.add_argument("--max-suppression", type=float, default=0.05, dest="max_suppression",
                   help="largest share of records that may be suppressed (default 0.05)")  # fmt: skip
    p.add_argument("--out", help="with --target-k: write the generalised table here (.tsv or .csv)")
    p.add_argument("--json", help="write all figures as JSON here")
    common(p)
    p.set_defaults(func=cmd_risk)
