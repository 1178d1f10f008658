#!/usr/bin/env python3
"""radbank's DICOM de-identification beside installed peers, on the same PHI-laden files.

The files (radbank.phantom.dicom) carry fake identifiers everywhere real exports do: names in descriptions and
comments, Other Patient IDs Sequence, sequences two levels deep, private blocks, organisation-root UIDs with
the patient ID in them, dates, and identifying file and folder names. Each tool processes them on ONE process
(so files/s compares work per core; median of --repeat runs); then every output file's bytes and path are
searched for every planted string (case-insensitive; names as whole words). A leak = one planted string found
in one output file. Peers' outputs get neutral file names (their APIs leave naming to the caller), so they are
judged on content; radbank names its outputs itself, so its paths are searched too.

Peers, each with its documented default configuration:
  dicognito  `Anonymizer().anonymize(ds)`, saved under the input's relative path
  deid       `replace_identifiers(files, save=True)` with its default recipe (deid.dicom)

Usage: python benchmarks/deid_compare.py [--patients 40] [--studies 2] [--images 2]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path


def count_leaks(out: Path, planted: list[str]) -> tuple[int, int]:
    """(leaks, files with a leak) over every file under `out`: names as whole words ("Mary" is not a leak
    inside "PRIMARY"), anything with a digit as a substring."""
    patterns = [
        re.compile(rf"(?<![a-z0-9]){re.escape(p)}(?![a-z0-9])")
        if p.replace(" ", "").isalpha()
        else re.compile(re.escape(p))
        for p in sorted({p.lower() for p in planted})
    ]
    total, files = 0, 0
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        text = (path.relative_to(out).as_posix() + "\n" + path.read_bytes().decode("latin-1")).lower()
        found = sum(1 for p in patterns if p.search(text))
        total += found
        files += bool(found)
    return total, files


def run_radbank(src: Path, out: Path, key: Path) -> int:
    from radbank.anonymize.batch import run_batch

    return run_batch(src, out, key, workers=1).counts["written"]


def run_dicognito(src: Path, out: Path, key: Path) -> int:
    import pydicom
    from dicognito.anonymizer import Anonymizer

    anonymizer = Anonymizer()
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for n, path in enumerate(sorted(src.rglob("*.dcm")), 1):
        ds = pydicom.dcmread(path)
        anonymizer.anonymize(ds)
        ds.save_as(out / f"{n:06d}.dcm")  # neutral names: the peer is judged on content only
    return n


def run_deid(src: Path, out: Path, key: Path) -> int:
    from deid.dicom import replace_identifiers

    files = [str(p) for p in sorted(src.rglob("*.dcm"))]
    out.mkdir(parents=True, exist_ok=True)
    replace_identifiers(dicom_files=files, save=True, output_folder=str(out), overwrite=True)
    for n, path in enumerate(sorted(out.glob("*.dcm")), 1):  # deid keeps input names; neutralise them
        path.rename(out / f"{n:06d}.neutral.dcm")
    return len(files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=40)
    parser.add_argument("--studies", type=int, default=2)
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the median time is reported")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", module="pydicom")  # peers' invalid-value warnings would flood the table

    from radbank.anonymize.audit import run_audit
    from radbank.anonymize.keys import keygen
    from radbank.phantom.dicom import planted_identifiers, write_phi_set

    tools: dict[str, Callable[[Path, Path, Path], int]] = {"radbank": run_radbank}
    for name, module, fn in (("dicognito", "dicognito", run_dicognito), ("deid", "deid", run_deid)):
        try:
            __import__(module)
            tools[name] = fn
        except ImportError:
            print(f"{name}: not installed, left out", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory(prefix="radbank-deid-") as tmp:
        root = Path(tmp)
        write_phi_set(root / "in", args.patients, args.studies, args.images, seed=11)
        src = root / "src"
        src.mkdir()
        for path in (root / "in").rglob("*.dcm"):  # the same files for everyone (planted.json stays aside)
            target = src / path.relative_to(root / "in")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
        planted = planted_identifiers(root / "in")
        n_files = len(list(src.rglob("*.dcm")))
        keygen(root / "key")
        for name, fn in tools.items():
            times = []
            for k in range(args.repeat):
                out = root / f"out-{name}-{k}"
                started = time.perf_counter()
                done = fn(src, out, root / "key")
                times.append(time.perf_counter() - started)
            seconds = statistics.median(times)
            leaks, leaky_files = count_leaks(out, planted)
            audit = run_audit(src, out)
            rows.append((name, done, seconds, done / seconds, leaks, leaky_files, len(audit.leaks)))
    print(
        f"{n_files} files ({args.patients} patients x {args.studies} studies x {args.images} images), "
        f"{len(set(planted))} planted identifying strings; one process per tool"
    )
    print("| tool      | files | seconds | files/s | planted strings left | files with a leak | audit leaks |")
    print("|-----------|-------|---------|---------|----------------------|-------------------|-------------|")
    for name, done, seconds, rate, leaks, leaky, audit_leaks in rows:
        print(
            f"| {name:<9} | {done:5d} | {seconds:7.2f} | {rate:7.1f} | {leaks:20d} | {leaky:17d} | {audit_leaks:11d} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
