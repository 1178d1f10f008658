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

Real corpus (`--real DIR`, a folder of DICOM files nobody here wrote: `python tests/real_dicom.py DIR` writes
pydicom's test files, pydicom-data and deid-data there): every file of DIR through radbank WITH its leak audit
and through dicognito, one process each, median of --repeat runs; files/s counts every input file.

Usage: python benchmarks/deid_compare.py [--patients 40] [--studies 2] [--images 2] [--real DIR]
"""

from __future__ import annotations

import argparse
import logging
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
    from radbank.anonymize.batch import DeidJob, run_batch

    return run_batch(DeidJob(str(src), str(out), str(key), workers=1)).counts["written"]


def run_radbank_audited(src: Path, out: Path, key: Path) -> int:
    """radbank as `radbank anonymize dicom` runs it: the batch, then the audit of every output."""
    from radbank.anonymize.audit import Provenance, run_audit
    from radbank.anonymize.batch import DeidJob, run_batch

    report = run_batch(DeidJob(str(src), str(out), str(key), workers=1))
    audit = run_audit(src, out, provenance=Provenance.of_batch(report))
    if not audit.passed:
        print(f"radbank: audit found {len(audit.leaks)} leak(s) on the real corpus", file=sys.stderr)
    return report.counts["written"]


def run_dicognito_all(src: Path, out: Path, key: Path) -> int:
    """dicognito over every file of a tree (files pydicom cannot read, or dicognito fails on, are passed over)."""
    import pydicom
    from dicognito.anonymizer import Anonymizer

    anonymizer = Anonymizer()
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for i, path in enumerate(sorted(p for p in src.rglob("*") if p.is_file())):
        try:
            ds = pydicom.dcmread(path)
            anonymizer.anonymize(ds)
            ds.save_as(out / f"{i:06d}.dcm")
            n += 1
        except Exception:  # the peer's failures are its own; counted by what it wrote
            continue
    return n


def real_corpus(folder: Path, repeat: int) -> list[tuple[str, int, int, float, float]]:
    """(tool, input files, files written, median wall seconds, median CPU seconds) over a folder of real DICOM
    files; the tools take turns run after run, so a load that comes and goes on the machine hits both alike."""
    from radbank.anonymize.keys import keygen

    inputs = sum(1 for p in folder.rglob("*") if p.is_file())
    tools: dict[str, Callable[[Path, Path, Path], int]] = {"radbank + audit": run_radbank_audited}
    try:
        __import__("dicognito")
        tools["dicognito"] = run_dicognito_all
    except ImportError:
        print("dicognito: not installed, left out", file=sys.stderr)
    walls: dict[str, list[float]] = {name: [] for name in tools}
    cpus: dict[str, list[float]] = {name: [] for name in tools}
    done: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="radbank-deid-real-") as tmp:
        keygen(Path(tmp) / "key")
        for k in range(repeat):
            for name, fn in tools.items():
                wall, cpu = time.perf_counter(), time.process_time()
                done[name] = fn(folder, Path(tmp) / f"out-{name.split()[0]}-{k}", Path(tmp) / "key")
                walls[name].append(time.perf_counter() - wall)
                cpus[name].append(time.process_time() - cpu)
    return [(name, inputs, done[name], statistics.median(walls[name]), statistics.median(cpus[name])) for name in tools]


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
    parser.add_argument("--real", type=Path, help="also time a folder of real DICOM files (see the docstring)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", module="pydicom")  # peers' invalid-value warnings would flood the table
    logging.getLogger("radbank").setLevel(logging.ERROR)  # per-file lines (skipped, quarantined) too

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
            times, cpus = [], []
            for k in range(args.repeat):
                out = root / f"out-{name}-{k}"
                started, cpu = time.perf_counter(), time.process_time()
                done = fn(src, out, root / "key")
                times.append(time.perf_counter() - started)
                cpus.append(time.process_time() - cpu)
            seconds, cpu_seconds = statistics.median(times), statistics.median(cpus)
            leaks, leaky_files = count_leaks(out, planted)
            audit = run_audit(src, out)
            rows.append((name, done, seconds, cpu_seconds, leaks, leaky_files, len(audit.leaks)))
    print(
        f"{n_files} files ({args.patients} patients x {args.studies} studies x {args.images} images), "
        f"{len(set(planted))} planted identifying strings; one process per tool"
    )
    print(
        "| tool      | files | seconds | CPU seconds | files per CPU s | planted strings left | files with a leak "
        "| audit leaks |"
    )
    print(
        "|-----------|-------|---------|-------------|-----------------|----------------------|-------------------"
        "|-------------|"
    )
    for name, done, seconds, cpu, leaks, leaky, audit_leaks in rows:
        print(
            f"| {name:<9} | {done:5d} | {seconds:7.2f} | {cpu:11.2f} | {done / cpu:15.1f} | {leaks:20d} "
            f"| {leaky:17d} | {audit_leaks:11d} |"
        )
    if args.real:
        print(f"\nreal corpus {args.real}: one process per tool, median of {args.repeat}")
        print("| tool            | input files | files written | seconds | CPU seconds | input files per CPU s |")
        print("|-----------------|-------------|---------------|---------|-------------|-----------------------|")
        for name, inputs, done, seconds, cpu in real_corpus(args.real, args.repeat):
            print(f"| {name:<15} | {inputs:11d} | {done:13d} | {seconds:7.2f} | {cpu:11.2f} | {inputs / cpu:21.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
