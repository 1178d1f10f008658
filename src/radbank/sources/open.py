"""Open the dataset a config names, whatever its kind; `auto` looks at the folder to decide."""

from __future__ import annotations

from pathlib import Path

from radbank.config import TrainConfig
from radbank.errors import RadbankError
from radbank.io import sniff_format
from radbank.sources.records import Records

SOURCES = ("auto", "folders", "nih", "dicom", "mids")


def detect_source(data: str | Path, label_table: str | None = None) -> str:
    """mids when dataset_description.json and sub- folders are there, nih when Data_Entry_2017.csv is,
    dicom when a label table is given or the first file is DICOM, else folders (one sub-folder per class)."""
    from radbank.sources.mids import is_mids
    from radbank.sources.nih import find_csv

    base = Path(data)
    if base.is_dir() and is_mids(base):
        return "mids"
    if base.is_dir() and find_csv(base):
        return "nih"
    if label_table:
        return "dicom"
    if base.is_dir():
        first = next((f for f in sorted(base.rglob("*")) if f.is_file() and not f.name.startswith(".")), None)
        try:
            if first is not None and sniff_format(first) == "dicom":
                return "dicom"
        except Exception:
            pass
    return "folders"


def open_source(cfg: TrainConfig) -> Records:
    """Read cfg.data as a `cfg.source` dataset into Records."""
    if not cfg.data:
        raise RadbankError("no data folder given")
    kind = detect_source(cfg.data, cfg.label_table) if cfg.source == "auto" else cfg.source
    if kind == "folders":
        from radbank.sources.folders import read_class_folders

        return read_class_folders(cfg.data, cfg.positive, cfg.patient_regex)
    if kind == "nih":
        from radbank.sources.nih import read_nih

        return read_nih(cfg.data, cfg.labels, cfg.view)
    if kind == "dicom":
        from radbank.sources.dicom_dir import read_dicom_dir

        return read_dicom_dir(
            cfg.data, cfg.label_table, cfg.labels, cfg.positive, cfg.modalities, cfg.workers, uncertain=cfg.uncertain
        )
    if kind == "mids":
        from radbank.sources.mids import read_mids

        return read_mids(cfg.data, cfg.labels, cfg.positive)
    raise RadbankError(f"unknown source {cfg.source!r}; choose one of {', '.join(SOURCES)}")
