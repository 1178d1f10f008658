"""torchrun with 2 CPU processes (gloo): each trains on its shard, rank 0 writes the run."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd

from radbank.fsutil import read_json


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_torchrun_two_cpu_processes(phantom120: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc-per-node",
        "2",
        "--master-addr",
        "127.0.0.1",
        "--master-port",
        str(_free_port()),
        "-m",
        "radbank",
        "train",
        str(phantom120),
        "--out",
        str(run),
        "--size",
        "32",
        "--epochs",
        "2",
        "--batch-size",
        "8",
        "--device",
        "cpu",
        "--workers",
        "1",
        "--cache",
        str(tmp_path / "cache"),
        "-q",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("run:") == 2  # both processes finish and report the run folder
    metrics = read_json(run / "metrics.json")
    assert metrics["trained"]["processes"] == 2
    history = pd.read_csv(run / "history.csv")
    train_images = int((pd.read_csv(run / "split.csv").split == "train").sum())
    # each epoch covers the training set once across both ranks (DistributedSampler-style padding: +1 at most)
    assert list(history["epoch"]) == [1, 2]
    assert (history["train_images"] - train_images).between(0, 1).all()
    assert not (run / ".train-state.pt").exists()
    assert not list(run.glob("*.part"))
