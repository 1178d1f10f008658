"""CLI command `radbank label-reports` (thin over radbank.findings.table)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from radbank.cli_text import add_max_bytes


def cmd_label_reports(args: argparse.Namespace) -> int:
    from radbank.findings.table import LabelOptions, label_reports

    options = LabelOptions(args.lang, args.labels, args.column, args.id_column, args.workers, args.max_bytes)
    summary = label_reports(args.input, args.out, options)
    print("\n".join(summary.lines()))
    for where, reason in summary.skipped:
        print(f"skipped {where}: {reason}", file=sys.stderr)
    return 0 if summary.reports else 1


def add_parsers(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `label-reports` on the main parser's sub-parsers."""
    p = sub.add_parser("label-reports", help="findings from report text: 1 present, 0 negated, -1 uncertain")
    p.add_argument("input", help="folder of .txt reports (a MIDS tree too), a .txt file, or a .csv/.tsv/.jsonl table")
    p.add_argument("--out", required=True, help="the label table to write (.csv, or .tsv)")
    p.add_argument("--lang", choices=["en", "es", "auto"], default="auto", help="report language (default auto)")
    p.add_argument(
        "--labels",
        choices=["nih", "padchest", "all"],
        default="nih",
        help="NIH's 14 findings (default), PadChest's terms, or both",
    )
    p.add_argument(
        "--column", help="tables: the text column(s), comma-separated and joined (default: report, text or informe)"
    )
    p.add_argument(
        "--id-column",
        dest="id_column",
        help="tables: the column naming each report (default: report_id or id, else the row number)",
    )
    p.add_argument("--workers", type=int, default=0, help="processes (0 = all cores)")
    add_max_bytes(p)
    common(p)
    p.set_defaults(func=cmd_label_reports)
