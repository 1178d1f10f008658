"""Worker processes die with their parent: SIGKILL the parent, then nothing is written and nobody survives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from helpers import write_png16

TESTS = Path(__file__).parent
RADBANK = Path(sys.executable).with_name("radbank")
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to list processes")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _descendants(pid: int) -> list[int]:
    kids, out, todo = _children(), [], [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if state != b"Z":
            alive.append(pid)
    return alive


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def _wait_for_workers(proc: subprocess.Popen[bytes], at_least: int, timeout: float = 120.0) -> list[int]:
    """Descendants of `proc` once it has `at_least` grandchildren (pool workers under the forkserver)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the command ended before its workers were seen"
        found = _descendants(proc.pid)
        grandchildren = [p for p in found if p not in _children().get(proc.pid, [])]
        if len(grandchildren) >= at_least:
            return found
        time.sleep(0.02)
    raise AssertionError("no worker processes appeared")


def _kill_and_check(proc: subprocess.Popen[bytes], watched: Path) -> Iterator[str]:
    """SIGKILL the parent; yield a message per broken promise (survivors, files written afterwards)."""
    family = _descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 5
    while _alive(family) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        survivors = _alive(family)
        if survivors:
            yield f"processes outlived their parent: {survivors}"
        before = _snapshot(watched)
        time.sleep(1.5)
        after = _snapshot(watched)
        if before != after:
            yield f"written after the parent died: {sorted(set(after.items()) ^ set(before.items()))[:5]}"
        leftovers = [p for p in after if p.endswith(".part")]
        if leftovers:
            yield f"unfinished temporary files left: {leftovers[:5]}"
    finally:
        for pid in _alive(family):
            os.kill(pid, signal.SIGKILL)


def test_map_parallel_workers_die_with_their_parent(tmp_path: Path) -> None:
    """The shared pool (map_parallel) with workers that write files: none writes once the parent is dead."""
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, str(TESTS / "slow_tasks.py"), str(out)],
        env=env,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_for_workers(proc, 2)
    deadline = time.monotonic() + 60
    while len(list(out.glob("*.txt"))) < 10 and time.monotonic() < deadline:  # workers are writing
        time.sleep(0.02)
    written = len(list(out.glob("*.txt")))
    assert 10 <= written < 2000
    assert list(_kill_and_check(proc, out)) == []


def test_train_killed_while_decoding_leaves_no_worker_and_no_run(tmp_path: Path) -> None:
    """`radbank train --workers 2` SIGKILLed while its workers decode: workers gone, no run folder, cache still."""
    big = tmp_path / "big.png"  # 2048x2048 16-bit: ~60 ms to decode, 60 KB on disk; copied under 120 names
    write_png16(big, np.add.outer(np.linspace(0, 0.5, 2048), np.linspace(0, 0.5, 2048)).astype(np.float32))
    data = big.read_bytes()
    for cls, first in (("No-Finding", 0), ("Pneumothorax", 60)):
        folder = tmp_path / "data" / cls
        folder.mkdir(parents=True)
        for i in range(first, first + 60):
            (folder / f"{i:08d}_000.png").write_bytes(data)
    run, cache = tmp_path / "run", tmp_path / "cache"
    cmd = [
        str(RADBANK),
        "-q",
        "train",
        str(tmp_path / "data"),
        "--out",
        str(run),
        "--workers",
        "2",
        "--size",
        "32",
        "--epochs",
        "1",
        "--cache",
        str(cache),
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    _wait_for_workers(proc, 2)
    assert list(_kill_and_check(proc, tmp_path)) == []
    assert not run.exists()  # the run folder is made only once the data is ready
