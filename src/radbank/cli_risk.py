"""CLI command `radbank risk` (thin over radbank.risk): figures of a table, generalisation to a target k."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from radbank.errors import RadbankError


def _names(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _check_args(args: argparse.Namespace) -> None:
    """Command-level mistakes, before any work: one line each."""
    if not _names(args.quasi):
        raise RadbankError(f"--quasi {args.quasi!r} names no column")
    if args.threshold < 1:
        raise RadbankError(f"--threshold must be at least 1 (got {args.threshold})")
    if args.target_k is not None and args.target_k < 1:
        raise RadbankError("--target-k must be at least 1")
    if not 0.0 <= args.max_suppression < 1.0:
        raise RadbankError(f"--max-suppression must be a fraction in [0, 1) (got {args.max_suppression})")
    if args.out and args.target_k is None:
        raise RadbankError("--out writes the generalised table: give --target-k too")
    for flag, path in (("--out", args.out), ("--json", args.json)):
        if path and Path(path).is_dir():
            raise RadbankError(f"{flag} {path} is a folder; give a file name")
        if path and Path(path).resolve() == Path(args.table).resolve():
            raise RadbankError(f"{flag} {path} is the input table; give another file name")


def cmd_risk(args: argparse.Namespace) -> int:
    from radbank.fsutil import atomic_path, write_json
    from radbank.risk.classes import AUTO
    from radbank.risk.generalize import generalise
    from radbank.risk.hierarchy import describe_odd, hierarchy
    from radbank.risk.measures import assess, format_report
    from radbank.tables import header, read_table

    _check_args(args)
    table = read_table(args.table)
    quasi, sensitive = _names(args.quasi), _names(args.sensitive)
    subject = None if args.per_record else (args.subject or AUTO)
    before = assess(table, quasi, sensitive, args.threshold, subject)
    print(format_report(before, f"{args.table}: as released"))
    result: dict[str, Any] = {"before": before.to_dict()}
    if args.target_k is None:
        hierarchies = {q: hierarchy(q, table[q]) for q in quasi}
        for line in filter(None, (describe_odd(q, h.kind, h.odd) for q, h in hierarchies.items())):
            print(line)
    else:
        g = generalise(table, quasi, args.target_k, args.max_suppression, subject)
        after = assess(g.table, quasi, sensitive, args.threshold, subject)
        levels = ", ".join(f"{q} {g.kinds[q]} level {g.levels[q]}/{g.top_levels[q]}" for q in quasi)
        print(
            f"\ngeneralised to k >= {args.target_k} {g.unit}s: {levels}; {g.suppressed} record(s) of "
            f"{g.subjects_suppressed} {g.unit}(s) suppressed ({g.subjects_removed} of them entirely)"
        )
        for q, odd in g.odd.items():
            print(describe_odd(q, g.kinds[q], odd))
        print("information loss: " + ", ".join(f"{k} {v}" for k, v in g.loss.items()))
        print(format_report(after, "after generalisation"))
        result.update(
            after=after.to_dict(),
            levels=g.levels,
            suppressed=g.suppressed,
            subjects_suppressed=g.subjects_suppressed,
            odd_values=g.odd,
            loss=g.loss,
        )
        if args.out:
            sep = "\t" if Path(args.out).suffix.lower() == ".tsv" else ","
            names = [] if Path(args.table).suffix.lower() in (".jsonl", ".ndjson") else header(args.table)
            with atomic_path(args.out) as tmp:  # the input's column names as written (pandas renames "")
                g.table.to_csv(tmp, sep=sep, index=False, header=names if len(names) == g.table.shape[1] else True)
            print(f"{args.out}: generalised table written")
    if args.json:
        write_json(args.json, result)
    return 0


def add_parsers(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `risk` on the main parser's sub-parsers."""
    p = sub.add_parser("risk", help="k-anonymity, l-diversity, t-closeness and re-identification risks of a table")
    p.add_argument("table", help="a TSV (participants.tsv) or CSV")
    p.add_argument("--quasi", required=True, help="comma list of quasi-identifier columns (e.g. age,sex)")
    p.add_argument("--sensitive", default="", help="comma list of sensitive columns (e.g. finding)")
    unit = p.add_mutually_exclusive_group()
    unit.add_argument(
        "--subject",
        metavar="COLUMN",
        help="the column naming the person of each row; figures count "
        "distinct persons (default: participant_id, PatientID or Patient ID when present)",
    )
    unit.add_argument(
        "--per-record",
        action="store_true",
        dest="per_record",
        help="count each row as a person (tables with one row per person)",
    )
    p.add_argument("--threshold", type=int, default=5, help="classes smaller than this are at risk (default 5)")
    p.add_argument("--target-k", type=int, dest="target_k", help="generalise and suppress until k >= this")
    p.add_argument(
        "--max-suppression",
        type=float,
        default=0.05,
        dest="max_suppression",
        help="largest share of persons (of records with --per-record) who may lose records (default 0.05)",
    )
    p.add_argument("--out", help="with --target-k: write the generalised table here (.tsv or .csv)")
    p.add_argument("--json", help="write all figures as JSON here")
    common(p)
    p.set_defaults(func=cmd_risk)
