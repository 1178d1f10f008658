#!/usr/bin/env python3
"""Benchmark of the tutorial exercise on this machine: loading, caching, training, the whole demo.

Prints a table:
  - loading + preprocessing (decode, grayscale, resize to 100x100), cold (empty cache) and warm (cache)
  - training throughput of the default seed CNN, and of the tutorial's literal Keras layout
  - wall time of `radbank demo` from nothing (phantom generation included), and of its rerun

Usage: python benchmarks/seed_exercise.py [--n 1000] [--epochs 20] [--workers 0]
Targets (issue 2, 2-core machine): demo < 60 s; warm loading >= 3x faster than cold.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd


def _time(fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()

    from radbank.data.cache import load_images
    from radbank.data.preprocess import Preprocess
    from radbank.parallel import default_workers
    from radbank.phantom import PhantomSpec, generate

    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="radbank-bench-") as tmp:
        root = Path(tmp)
        env = {**os.environ, "RADBANK_CACHE": str(root / "usercache")}
        cmd = [
            sys.executable,
            "-m",
            "radbank",
            "demo",
            "--out",
            str(root / "demo"),
            "--n",
            str(args.n),
            "--epochs",
            str(args.epochs),
            "--workers",
            str(args.workers),
            "-q",
        ]
        _, demo_cold = _time(lambda: subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL))
        _, demo_warm = _time(
            lambda: subprocess.run([*cmd, "--overwrite"], check=True, env=env, stdout=subprocess.DEVNULL)
        )
        history = pd.read_csv(root / "demo" / "run" / "history.csv")
        metrics = pd.read_json(root / "demo" / "run" / "metrics.json", typ="series")

        data = generate(root / "demo" / "data", PhantomSpec(n=args.n))  # already there: reused
        paths = sorted(str(p) for p in data.rglob("*.png"))
        pp = Preprocess(size=100)
        _, cold = _time(lambda: load_images(paths, pp, root / "bench-cache", workers=args.workers))
        warm_res, warm = _time(lambda: load_images(paths, pp, root / "bench-cache", workers=args.workers))
        assert warm_res.decoded == 0

        tut_cfg = [
            sys.executable,
            "-m",
            "radbank",
            "train",
            str(data),
            "--out",
            str(root / "tut"),
            "--model",
            "tutorialcnn",
            "--epochs",
            "2",
            "--cache",
            str(root / "bench-cache"),
            "-q",
        ]
        subprocess.run(tut_cfg, check=True, env=env, stdout=subprocess.DEVNULL)
        tut_hist = pd.read_csv(root / "tut" / "history.csv")

        n = len(paths)
        acc = metrics["accuracy"]
        rows += [
            ("machine", f"{default_workers()} cores", os.uname().machine),
            ("load + preprocess, cold (decode -> cache)", f"{n / cold:,.0f} img/s", f"{cold:.2f} s for {n}"),
            (
                "load + preprocess, warm (from cache)",
                f"{n / warm:,.0f} img/s",
                f"{warm:.3f} s, {cold / warm:.0f}x faster",
            ),
            (
                "train seedcnn 100 px (median epoch)",
                f"{history['train_images_per_s'].median():,.0f} img/s",
                f"{len(history)} epochs, {history['seconds'].sum():.1f} s",
            ),
            (
                "train tutorialcnn 100 px (median epoch)",
                f"{tut_hist['train_images_per_s'].median():,.0f} img/s",
                "the tutorial's Keras layout",
            ),
            ("radbank demo, from nothing", f"{demo_cold:.1f} s", f"target < 60 s; val acc {acc['value']:.3f}"),
            ("radbank demo --overwrite (data + cache warm)", f"{demo_warm:.1f} s", "retrains, reuses phantom/cache"),
        ]
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure':<{width}} | {'value':>14} | note")
    print(f"|{'-' * (width + 2)}|{'-' * 16}|------")
    for name, value, note in rows:
        print(f"| {name:<{width}} | {value:>14} | {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
