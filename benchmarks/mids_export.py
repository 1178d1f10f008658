#!/usr/bin/env python3
"""MIDS export, validation and risk assessment speed on a phantom of N images (with reports).

Usage: python benchmarks/mids_export.py [--n 2000] [--workers 0]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from radbank.demo import QUASI, SENSITIVE, TARGET_K
from radbank.mids.validate import validate_mids
from radbank.phantom import PhantomSpec, generate
from radbank.risk.generalize import generalise
from radbank.risk.measures import assess
from radbank.tables import read_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    from radbank.demo import publish

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "data", PhantomSpec(n=args.n), workers=args.workers)
        rows = []
        for label in ("demo publish step: export + validate + risk (cold)", "same, rerun (images resume)"):
            t0 = time.perf_counter()
            rep, _ = publish(root / "data", root, args.n, 0, args.workers)
            rows.append((label, time.perf_counter() - t0, f"{rep.written} written, {rep.resumed} resumed"))
        t0 = time.perf_counter()
        issues = validate_mids(root / "mids")
        rows.append(("validate", time.perf_counter() - t0, f"{len(issues)} issue(s)"))
        table = read_table(root / "mids" / "participants.tsv")
        t0 = time.perf_counter()
        r = assess(table, QUASI, SENSITIVE)
        g = generalise(table, QUASI, TARGET_K)
        rows.append(("risk + generalise", time.perf_counter() - t0, f"{len(table)} rows, k {r.k} -> {g.k}"))
    print(f"| step ({args.n} images) | seconds | images/s | note |")
    print("|---|---|---|---|")
    for label, sec, note in rows:
        print(f"| {label} | {sec:.2f} | {args.n / sec:,.0f} | {note} |")


if __name__ == "__main__":
    main()
