#!/usr/bin/env python3
"""Report pseudonymisation speed and quality on one process: the dev corpus and generated reports.

Usage: python benchmarks/text_deid.py [--n 2000] [--seed 12345]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from radbank.anonymize.keys import Keyed
from radbank.text.corpus import generate, read_gold
from radbank.text.evaluate import evaluate
from radbank.text.pseudonymize import default_detector, pseudonymize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=12345, help="generator seed (never used while writing rules)")
    args = parser.parse_args()
    key = Keyed(b"benchmark-key-not-secret-000000000")
    corpora = {
        "dev (tests/data, 60 hand-written)": read_gold(Path(__file__).parents[1] / "tests/data/reports_dev.jsonl"),
        f"generated (seed {args.seed}, {args.n})": list(generate(args.n, seed=args.seed)),
    }
    default_detector()  # build the gazetteers once, outside the timings
    print(
        "| corpus | reports | detect reports/s | pseudonymise reports/s | NAME recall | ID recall | DATE recall "
        "| overall recall | overall precision |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, records in corpora.items():
        ev = evaluate(records)
        started = time.perf_counter()
        for i, rec in enumerate(records):
            pseudonymize(rec["text"], rec["lang"], key, patient=f"p{i % 50}")
        rate = len(records) / (time.perf_counter() - started)
        o = ev.overlap
        print(
            f"| {name} | {len(records)} | {ev.reports / ev.seconds:,.0f} | {rate:,.0f} | {o['NAME'].recall:.3f} | "
            f"{o['ID'].recall:.3f} | {o['DATE'].recall:.3f} | {o['ALL'].recall:.3f} | {o['ALL'].precision:.3f} |"
        )


if __name__ == "__main__":
    main()
