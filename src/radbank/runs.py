"""The run folder: where train writes and evaluate/predict/serve read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from radbank.badinput import PRINTABLE_ERRORS
from radbank.errors import RadbankError
from radbank.fsutil import atomic_path


@dataclass(frozen=True)
class SplitFiles:
    """The evaluation outputs of one split."""

    metrics: Path
    predictions: Path
    confusion: Path
    roc: Path


@dataclass(frozen=True)
class RunPaths:
    """Names of everything in a run folder."""

    root: Path

    @classmethod
    def of(cls, path: str | Path) -> RunPaths:
        return cls(Path(path))

    config = property(lambda self: self.root / "config.yaml")
    checkpoint = property(lambda self: self.root / "model.safetensors")
    state = property(lambda self: self.root / ".train-state.pt")  # resumable, removed when done
    metrics = property(lambda self: self.root / "metrics.json")
    history = property(lambda self: self.root / "history.csv")
    split = property(lambda self: self.root / "split.csv")
    skipped = property(lambda self: self.root / "skipped.csv")
    predictions = property(lambda self: self.root / "predictions.csv")
    preview = property(lambda self: self.root / "preview.png")
    curves = property(lambda self: self.root / "curves.png")
    confusion = property(lambda self: self.root / "confusion.png")
    roc = property(lambda self: self.root / "roc.png")
    report = property(lambda self: self.root / "report.html")

    def of_split(self, split: str) -> SplitFiles:
        """Evaluation files of a split: `metrics.json` etc. for val, `metrics_test.json` etc. for test."""
        suffix = "" if split == "val" else f"_{split}"
        return SplitFiles(
            self.root / f"metrics{suffix}.json",
            self.root / f"predictions{suffix}.csv",
            self.root / f"confusion{suffix}.png",
            self.root / f"roc{suffix}.png",
        )

    def is_complete(self) -> bool:
        """A finished run has its checkpoint and metrics, and no resume state left."""
        return self.checkpoint.exists() and self.metrics.exists() and not self.state.exists()

    def require(self) -> None:
        """Raise a clear error unless this looks like a trained run folder."""
        if not self.root.is_dir():
            raise RadbankError(f"{self.root}: run folder not found")
        if not self.checkpoint.exists():
            hint = " (training did not finish; rerun train to resume)" if self.state.exists() else ""
            raise RadbankError(f"{self.checkpoint}: checkpoint not found{hint}")


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV atomically (UTF-8, no index; file names that are not UTF-8 written as `\\xNN`)."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8", errors=PRINTABLE_ERRORS)


def write_skipped(path: str | Path, skipped: list[tuple[str, str]]) -> None:
    """skipped.csv: every input left out, with the reason (written even when empty)."""
    write_csv(pd.DataFrame(skipped, columns=["path", "reason"]), path)
