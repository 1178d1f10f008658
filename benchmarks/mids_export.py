#!/usr/bin/env python3
"""MIDS export, validation and risk assessment speed on a phantom of N images (with reports), and how many of
the export's files the Python bids-validator rejects once .bidsignore is applied (0 expected).

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


def bids_check(root: Path) -> tuple[int, int]:
    """(files, files rejected by bids-validator and not listed in .bidsignore); dot-files are not dataset files."""
    import re

    import pathspec
    from bids_validator import BIDSValidator

    spec = pathspec.GitIgnoreSpec.from_lines((root / ".bidsignore").read_text().splitlines())
    v = BIDSValidator()
    v._init_regexes()
    v.regexes = [re.compile(r) if isinstance(r, str) else r for r in v.regexes]  # compiled once, same verdicts
    rel = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return len(rel), sum(1 for r in rel if not spec.match_file(r) and not v.is_bids("/" + r))


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
        errors = sum(i.level == "error" for i in issues)
        rows.append(("validate", time.perf_counter() - t0, f"{errors} error(s), {len(issues) - errors} warning(s)"))
        t0 = time.perf_counter()
        files, rejected = bids_check(root / "mids")
        rows.append(
            ("bids-validator (+ .bidsignore)", time.perf_counter() - t0, f"{rejected} of {files} files rejected")
        )
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
