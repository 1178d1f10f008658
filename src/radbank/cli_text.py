"""CLI commands for report text: `radbank anonymize text` and `radbank eval-deid` (thin over radbank.text)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

NER_HELP = (
    "statistical NER beside the rules: 'default' (the packaged Spanish MEDDOCAN model and spaCy's "
    "en_core_web_sm), 'none' (rules alone), or the folder of a spaCy pipeline or Hugging Face NER model"
)
AGES_HELP = "over89: ages over 89 are identifiers (HIPAA Safe Harbor, default); all: every age (MEDDOCAN)"


def cmd_anonymize_text(args: argparse.Namespace) -> int:
    from radbank.anonymize.keys import Keyed
    from radbank.progress import bar
    from radbank.text.batch import TextOptions, run_text_batch

    key = Keyed.from_file(args.key) if args.key else None
    with bar(None, "pseudonymising", unit="file") as pbar:
        options = TextOptions(
            args.lang, args.mode, args.column, args.patient_column, args.max_bytes, args.ner, args.ages
        )
        report = run_text_batch(args.input, args.output, key, options, progress=pbar.update)
    found = ", ".join(f"{k} {v}" for k, v in sorted(report.spans.items())) or "none"
    print(
        f"{args.output}: {report.written} written, {report.resumed} already done, {len(report.skipped)} skipped; "
        f"identifiers replaced: {found}"
    )
    return 1 if report.skipped and not report.written and not report.resumed else 0


def cmd_eval_deid(args: argparse.Namespace) -> int:
    from pathlib import Path

    from radbank.fsutil import write_json
    from radbank.text.brat import read_brat
    from radbank.text.corpus import read_gold
    from radbank.text.evaluate import evaluate, format_table
    from radbank.text.pseudonymize import default_detector

    records = read_brat(args.gold) if Path(args.gold).is_dir() else read_gold(args.gold)
    ev = evaluate(records, default_detector(args.ner, args.ages))
    print(format_table(ev, args.show_missed))
    if args.json:
        write_json(args.json, ev.to_dict())
    return 0


def add_max_bytes(p: argparse.ArgumentParser) -> None:
    """`--max-bytes`: the report size limit of `anonymize text` and `label-reports` (text.batch.MAX_BYTES)."""
    p.add_argument(
        "--max-bytes",
        type=int,
        default=5 * 1024 * 1024,
        dest="max_bytes",
        help="larger report files are skipped (default 5 MiB)",
    )


def add_parsers(sub: Any, anon_sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register the text commands on the main parser's sub-parsers."""
    p = anon_sub.add_parser("text", help="pseudonymise free-text reports (names, dates, IDs... -> surrogates)")
    p.add_argument("input", help="folder of .txt reports (a MIDS tree too), or a .csv/.tsv/.jsonl file")
    p.add_argument("output", help="output folder (or file, for a table)")
    p.add_argument(
        "--key",
        help="secret key file (radbank keygen); needed for --mode surrogate (without it: "
        "one-line error, exit 2; --mode redact needs none)",
    )
    p.add_argument("--lang", choices=["es", "en", "auto"], default="auto")
    p.add_argument(
        "--mode",
        choices=["surrogate", "redact"],
        default="surrogate",
        help="surrogate: synthetic values of the same kind; redact: [NAME]-style tags",
    )
    p.add_argument("--column", help="the text column (CSV/TSV) or field (JSONL; default 'text')")
    p.add_argument(
        "--patient-column",
        dest="patient_column",
        help="column/field with the patient ID: consistent surrogates and date shifts per patient "
        "(the column is emptied in the output)",
    )
    add_max_bytes(p)
    p.add_argument("--ner", default="default", help=NER_HELP)
    p.add_argument("--ages", choices=["over89", "all"], default="over89", help=AGES_HELP)
    common(p)
    p.set_defaults(func=cmd_anonymize_text)

    p = sub.add_parser("eval-deid", help="score report de-identification against an annotated corpus")
    p.add_argument(
        "gold",
        help="JSONL (id, lang, text, spans [{start, end, label}]) or a brat folder (.txt + .ann "
        "with MEDDOCAN's labels: adds MEDDOCAN's official subtask 1 and 2 scores)",
    )
    p.add_argument("--ner", default="default", help=NER_HELP)
    p.add_argument("--ages", choices=["over89", "all"], default="over89", help=AGES_HELP)
    p.add_argument(
        "--json",
        help="also write the scores (subtask1, subtask2_strict, subtask2_merged, per_label for "
        "brat gold) and missed spans as JSON here",
    )
    p.add_argument("--show-missed", type=int, default=50, dest="show_missed")
    common(p)
    p.set_defaults(func=cmd_eval_deid)
