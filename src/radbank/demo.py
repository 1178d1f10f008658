"""`radbank demo`: the whole tutorial on the embedded phantom data, in one command."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from radbank.config import TrainConfig
from radbank.phantom import PhantomSpec, generate
from radbank.progress import bar
from radbank.train import TrainResult, train

log = logging.getLogger(__name__)


@dataclass
class DemoResult:
    """Where the demo wrote things and how long each part took."""

    data: Path
    result: TrainResult
    phantom_seconds: float
    seconds: float


def run_demo(
    out: str | Path = "radbank-demo",
    n: int = 1000,
    epochs: int = 20,
    seed: int = 0,
    device: str = "auto",
    workers: int = 0,
    overwrite: bool = False,
) -> DemoResult:
    """Generate the phantom (reused when present), train the tutorial's model, evaluate, report."""
    started = time.perf_counter()
    root = Path(out)
    data = root / "data"
    with bar(n, "phantom") as pbar:
        generate(data, PhantomSpec(n=n, seed=seed), workers=workers, progress=pbar.update)
    phantom_seconds = time.perf_counter() - started
    cfg = TrainConfig(
        data=str(data),
        out=str(root / "run"),
        limit=n,
        epochs=epochs,
        device=device,
        workers=workers,
        cache=str(root / "cache"),
    )
    result = train(cfg, overwrite=overwrite)
    return DemoResult(data, result, phantom_seconds, time.perf_counter() - started)
