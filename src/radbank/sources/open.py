"""Open the dataset a config names, whatever its kind; `auto` asks each registered reader (radbank.sources)."""

from __future__ import annotations

from pathlib import Path

from radbank.config import TrainConfig
from radbank.errors import RadbankError
from radbank.sources.records import Records
from radbank.sources.registry import detect, read_source


def detect_source(data: str | Path) -> str:
    """The name of the reader auto-detection picks for `data` (see `radbank.sources.registry.detect`)."""
    return detect(data)


def open_source(cfg: TrainConfig) -> Records:
    """Read cfg.data as a `cfg.source` dataset (with cfg.source_options) into Records."""
    if not cfg.data:
        raise RadbankError("no data folder given")
    return read_source(cfg.source, cfg.data, cfg.source_options, workers=cfg.workers)
