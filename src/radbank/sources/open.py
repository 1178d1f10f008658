"""Open the dataset a config names, whatever its kind."""

from __future__ import annotations

from radbank.config import TrainConfig
from radbank.errors import RadbankError
from radbank.sources.folders import read_class_folders
from radbank.sources.records import Records

SOURCES = ("folders",)


def open_source(cfg: TrainConfig) -> Records:
    """Read cfg.data as a `cfg.source` dataset into Records."""
    if not cfg.data:
        raise RadbankError("no data folder given")
    if cfg.source == "folders":
        return read_class_folders(cfg.data, cfg.positive, cfg.patient_regex)
    raise RadbankError(f"unknown source {cfg.source!r}; choose one of {', '.join(SOURCES)}")
