"""The source registry: names and choices, detection, per-reader options, old configs, odd file names."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import write_png8
from radbank.cli import main
from radbank.config import TrainConfig, config_from_dict, load_config
from radbank.errors import RadbankError
from radbank.sources import source_choices, source_names
from radbank.sources.cells import format_list, parse_cuis, parse_list
from radbank.sources.registry import detect, make_options, read_source, register_source

BUILT_IN = ("mids", "bimcv-release", "dcm2mids", "padchest", "nih", "dicom", "folders")


def test_registry_names_choices_and_options() -> None:
    assert source_names() == BUILT_IN  # detection order
    assert set(source_choices()) == {"auto", *BUILT_IN, "dicom_dir"}
    assert make_options("dicom_dir", {"modalities": "any"}).modalities == "any"  # an alias
    with pytest.raises(RadbankError, match=r"\(folders\): unknown option\(s\) view \(known: patient_regex, positive\)"):
        make_options("folders", {"view": "PA"})
    with pytest.raises(RadbankError, match="hierarchy must be true or false"):
        make_options("padchest", {"hierarchy": "maybe"})
    with pytest.raises(ValueError, match="already registered"):
        register_source("nih", "radbank.sources.nih:NihReader", description="again")


def test_detection(tmp_path: Path, phantom120: Path) -> None:
    assert detect(phantom120) == "folders"
    nih = tmp_path / "nih"
    write_png8(nih / "images" / "00000001_000.png")
    (nih / "Data_Entry_2017.csv").write_text("Image Index,Finding Labels\n")
    assert detect(nih) == "nih"
    padchest = tmp_path / "padchest"
    padchest.mkdir()
    (padchest / "PADCHEST_chest_x_ray_images_labels_160K_01.02.19.csv").write_text(",ImageID\n")
    assert detect(padchest) == "padchest"
    with pytest.raises(RadbankError, match="folder not found"):
        detect(tmp_path / "nowhere")


def test_config_source_options_validated_by_the_reader() -> None:
    cfg = config_from_dict({"source": "padchest", "source_options": {"labels": "pneumothorax", "hierarchy": False}})
    assert cfg.source_options == {"labels": "pneumothorax", "hierarchy": False}
    with pytest.raises(RadbankError, match=r"options: source_options .*unknown option\(s\) positive"):
        config_from_dict({"source": "padchest", "source_options": {"positive": "x"}}, "options")
    with pytest.raises(RadbankError, match=r"unknown source option\(s\) colour"):
        config_from_dict({"source_options": {"colour": "red"}})
    with pytest.raises(RadbankError, match="source must be one of auto, mids"):
        config_from_dict({"source": "kaggle"})


def test_legacy_keys_become_source_options() -> None:
    cfg = TrainConfig(labels="Pneumothorax", view="PA")  # the Python API of issue 3
    assert cfg.source_options == {"labels": "Pneumothorax", "view": "PA"}
    assert "labels" not in cfg.to_dict()
    cli = config_from_dict({"source_options": {"labels": "all"}, "labels": "Effusion"})  # a flag over a config file
    assert cli.source_options == {"labels": "Effusion"}


def test_an_old_run_folder_config_loads_and_resumes(phantom120: Path, tmp_path: Path) -> None:
    """config.yaml as radbank wrote it before issue 16 (reader settings at the top level)."""
    old = {
        "data": str(phantom120),
        "out": str(tmp_path / "run"),
        "source": "folders",
        "positive": None,
        "labels": None,
        "view": None,
        "label_table": None,
        "modalities": "CR,DX",
        "test_split": "none",
        "patient_regex": r"^(\d{8})_(\d{3})\.",
        "size": 16,
        "fit": "stretch",
        "limit": 40,
        "val_fraction": 0.2,
        "epochs": 1,
        "batch_size": 8,
        "lr": 0.001,
        "weight_decay": 0.0001,
        "lr_schedule": "cosine",
        "seed": 42,
        "model": "seedcnn",
        "weights": None,
        "device": "cpu",
        "augment": False,
        "threshold": 0.5,
        "workers": 1,
        "cache": None,
        "max_pixels": 80000000,
    }
    args = [
        "train",
        str(phantom120),
        "--out",
        str(tmp_path / "run"),
        "--size",
        "16",
        "--limit",
        "40",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--device",
        "cpu",
        "--workers",
        "1",
        "--source",
        "folders",
        "-q",
    ]
    assert main(args) == 0
    (tmp_path / "run" / "config.yaml").write_text(yaml.safe_dump(old, sort_keys=False))
    cfg = load_config(tmp_path / "run" / "config.yaml")
    assert cfg.source_options == {}  # old defaults carry no information
    assert main(args) == 0  # same settings: the finished run is reused, not refused as another run's folder


def test_source_option_flag(phantom120: Path, tmp_path: Path) -> None:
    args = [
        "train",
        str(phantom120),
        "--out",
        str(tmp_path / "run"),
        "--size",
        "16",
        "--limit",
        "40",
        "--epochs",
        "1",
        "--workers",
        "1",
        "--source-option",
        "positive=Pneumothorax",
        "-q",
    ]
    assert main(args) == 0
    assert load_config(tmp_path / "run" / "config.yaml").source_options == {"positive": "Pneumothorax"}
    assert main([*args[:-1], "--source-option", "oops", "-q"]) == 2


def test_non_utf8_file_names_are_read_and_exported(
    phantom120: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    for cls in ("No-Finding", "Pneumothorax"):
        shutil.copytree(phantom120 / cls, data / cls)
    odd = os.fsdecode(os.path.join(os.fsencode(data / "Pneumothorax"), b"\xff\xfe_000.png"))
    shutil.copy(next((data / "Pneumothorax").glob("*.png")), odd)
    records = read_source("auto", data, {})
    assert odd in records.paths
    assert records.skipped == []
    assert main(["mids", "export", str(data), str(tmp_path / "mids"), "--workers", "1", "-q"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    exported = len(list((tmp_path / "mids").rglob("*.png")))
    assert exported == len(list(phantom120.glob("*/*.png"))) + 1
    run = ["train", str(data), "--out", str(tmp_path / "run"), "--size", "16", "--epochs", "1", "--workers", "1", "-q"]
    assert main(run) == 0
    split = pd.read_csv(tmp_path / "run" / "split.csv")
    assert split["path"].str.endswith("\\xff\\xfe_000.png").sum() == 1


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("['pulmonary fibrosis', 'chronic changes']", ["pulmonary fibrosis", "chronic changes"]),  # PadChest Labels
        ("['COVID 19'\t 'pneumonia']", ["COVID 19", "pneumonia"]),  # BIMCV-COVID19+ labels table
        ("['normal', '']", ["normal"]),
        ("[]", []),
        ("nan", []),
    ],
)
def test_list_cells(cell: str, items: list[str]) -> None:
    assert parse_list(cell) == items


def test_cui_cells_and_writing_lists() -> None:
    assert parse_cuis("['C0034069' 'C0742362']") == ["C0034069", "C0742362"]  # NumPy's printout, as PadChest's
    assert parse_list(format_list(["a'b", "c"])) == ["a\\'b", "c"]
    assert format_list(["pleural effusion", "cardiomegaly"]) == "['pleural effusion', 'cardiomegaly']"


def test_read_source_reports_what_no_reader_can_use(tmp_path: Path) -> None:
    (tmp_path / "only").mkdir()
    write_png8(tmp_path / "only" / "a" / "x.png", np.zeros((8, 8)))
    with pytest.raises(RadbankError, match=r"no class folders with files|only one class folder"):
        read_source("auto", tmp_path / "only", {})
