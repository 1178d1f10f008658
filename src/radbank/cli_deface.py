"""CLI command `radbank deface` (thin over radbank.anonymize.deface.batch)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def cmd_deface(args: argparse.Namespace) -> int:
    from radbank.anonymize.deface.batch import run_deface
    from radbank.anonymize.deface.core import DefaceOptions
    from radbank.progress import bar

    with bar(None, "deface", unit="volume") as pbar:
        rep = run_deface(
            args.input,
            args.output,
            DefaceOptions(args.method, args.ears),
            qc_dir=args.qc,
            key_file=args.key,
            work=args.work,
            workers=args.workers,
            progress=pbar.update,
        )
    print(rep.summary())
    print(f"report: {rep.work}/report.json" + (f"  QC: {args.qc}/index.html" if args.qc else ""))
    if rep.counts.get("quarantined"):
        print(f"quarantined (failed QC, not published): {rep.work}/quarantine")
    done = sum(rep.counts.get(k, 0) for k in ("written", "resumed"))
    return 0 if done or not any(v.status in ("skipped", "quarantined") for v in rep.volumes) else 1


def add_parsers(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `deface` on the main parser's sub-parsers."""
    p = sub.add_parser("deface", help="remove the face (and ears) from head MRI: NIfTI, BIDS/MIDS trees, DICOM MR")
    p.add_argument("input", help="a .nii/.nii.gz file, a folder of them, a BIDS/MIDS tree, or a DICOM folder")
    p.add_argument("output", help="output of the same kind (a file for a file, else a folder)")
    p.add_argument(
        "--method",
        choices=["unet", "template"],
        default="unet",
        help="unet: DeepDefacer's network (default); template: pydeface's template registered",
    )
    p.add_argument(
        "--qc",
        metavar="DIR",
        help="write before/after pictures and an HTML page per volume here (they show the faces: keep DIR private)",
    )
    p.add_argument("--ears", action="store_true", help="remove the ears too")
    p.add_argument("--key", metavar="KEYFILE", help="DICOM input: the key for header de-identification")
    p.add_argument("--work", help="folder for report.json and the quarantine (default OUTPUT.deface)")
    p.add_argument("--workers", type=int, default=1, help="processes (default 1; each uses all its cores' share)")
    common(p)
    p.set_defaults(func=cmd_deface)
