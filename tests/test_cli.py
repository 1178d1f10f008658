"""Each command through main(argv), and the one-line errors users see."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers import write_dicom, write_png8
from radbank.cli import main
from radbank.fsutil import read_json


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("radbank: error: ")]
    assert len(errors) == 1 and err[-1] == errors[0], err  # warnings about single files may come first
    assert not any("Traceback" in line for line in err)
    return errors[0]


def test_phantom_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["phantom", str(tmp_path / "p"), "--n", "20", "--workers", "1", "-q"]) == 0
    assert len(list((tmp_path / "p").rglob("*.png"))) == 20
    assert "20 images" in capsys.readouterr().out


def test_train_prints_headline(trained_run: Path, phantom120: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The fixture's own command again: the run is complete, so train prints where it is and its figures.
    args = [
        "train",
        str(phantom120),
        "--out",
        str(trained_run),
        "--size",
        "32",
        "--epochs",
        "2",
        "--workers",
        "1",
        "--cache",
        str(trained_run.parent / "cache"),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    metrics = read_json(trained_run / "metrics.json")
    assert f"run:    {trained_run}" in out
    assert f"validation accuracy {metrics['accuracy']['value']:.3f}" in out
    assert "confusion matrix (rows = predicted, columns = truth):" in out
    assert "tutorial: accuracy 0.873" in out


def test_evaluate_reproduces_train_metrics(trained_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = read_json(trained_run / "metrics.json")
    predictions = (trained_run / "predictions.csv").read_bytes()
    assert main(["evaluate", str(trained_run), "-q"]) == 0
    assert (trained_run / "predictions.csv").read_bytes() == predictions
    after = read_json(trained_run / "metrics.json")
    assert after["confusion_matrix"] == before["confusion_matrix"]
    assert after["split"] == before["split"]
    assert after["roc_auc"] == before["roc_auc"]  # intervals too: the same probabilities bit for bit
    assert after == before
    out = capsys.readouterr().out
    assert "validation accuracy" in out
    assert "predicted" in out


def test_predict_files_folders_and_dicom(
    trained_run: Path, phantom120: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np
    from PIL import Image

    folder = tmp_path / "new"
    shutil.copytree(phantom120 / "Pneumothorax", folder)
    one = next((phantom120 / "No-Finding").glob("*.png"))
    arr = np.asarray(Image.open(one), dtype=np.uint16) * 16  # as 12-bit DICOM, MONOCHROME2
    dcm = write_dicom(tmp_path / "x.dcm", arr)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    out = tmp_path / "preds.csv"
    assert main(["predict", str(trained_run), str(folder), str(one), str(dcm), "--out", str(out), "-q"]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["file", "prob_Pneumothorax", "predicted"]
    assert len(table) == 62
    assert set(table.predicted) <= {"No-Finding", "Pneumothorax"}
    png_row = table[table.file == str(one)].iloc[0]
    dcm_row = table[table.file == str(dcm)].iloc[0]
    assert abs(png_row.prob_Pneumothorax - dcm_row.prob_Pneumothorax) < 0.02  # same pixels, same opinion
    skipped = pd.read_csv(tmp_path / "preds-skipped.csv")
    assert list(skipped.path) == [str(folder / "broken.png")]
    assert "1 file(s) skipped" in capsys.readouterr().err
    assert main(["predict", str(trained_run), str(one), "-q"]) == 0
    assert "prob_Pneumothorax" in capsys.readouterr().out


def test_demo_small_and_rerun(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["demo", "--out", str(tmp_path / "demo"), "--n", "60", "--epochs", "1", "--workers", "1", "-q"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "report:" in out
    assert "validation accuracy" in out
    assert "tutorial: accuracy 0.873" in out
    assert (tmp_path / "demo" / "run" / "report.html").exists()
    assert "mids:" in out
    assert "60 images written" in out
    assert "risk:" in out
    from radbank.mids.validate import validate_mids

    assert not [i for i in validate_mids(tmp_path / "demo" / "mids") if i.level == "error"]
    risk = json.loads((tmp_path / "demo" / "risk.json").read_text())
    assert risk["after"]["k"] >= 5
    assert risk["validation"]["errors"] == 0
    assert main(args) == 0  # reuses data and run; the MIDS images are already there
    out = capsys.readouterr().out
    assert "validation accuracy" in out
    assert "0 images written, 60 already there" in out


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "folder not found"),
        (lambda d: d.mkdir(), "no class folders with files"),
        (lambda d: write_png8(d / "Pneumothorax" / "a.png"), "only one class folder"),
        (lambda d: (d.parent.mkdir(exist_ok=True), d.write_text("x")), "not a folder"),
    ],
    ids=["missing", "empty", "one-class", "file-not-folder"],
)
def test_train_bad_data_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str], setup, message: str) -> None:
    data = tmp_path / "data"
    setup(data)
    assert main(["train", str(data), "--out", str(tmp_path / "run"), "-q"]) == 2
    line = _one_error_line(capsys)
    assert message in line
    assert str(data) in line


def test_train_too_few_readable_images(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    write_png8(data / "No-Finding" / "a.png")
    write_png8(data / "No-Finding" / "b.png")
    (data / "Pneumothorax").mkdir()
    (data / "Pneumothorax" / "c.png").write_bytes(b"")
    assert main(["train", str(data), "--out", str(tmp_path / "run"), "--workers", "1", "-q"]) == 2
    assert "too few in Pneumothorax (0)" in _one_error_line(capsys)


def test_bad_config_and_checkpoint(
    trained_run: Path, tmp_path: Path, phantom120: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("epochs: [\n")
    assert main(["train", str(phantom120), "--out", str(tmp_path / "r"), "--config", str(bad), "-q"]) == 2
    assert "malformed YAML" in _one_error_line(capsys)
    assert main(["train", str(phantom120), "--out", str(tmp_path / "r"), "--config", str(tmp_path / "no.yaml")]) == 2
    assert "config file not found" in _one_error_line(capsys)
    assert main(["evaluate", str(tmp_path / "nowhere"), "-q"]) == 2
    assert "run folder not found" in _one_error_line(capsys)
    broken = tmp_path / "broken_run"
    shutil.copytree(trained_run, broken)
    (broken / "model.safetensors").write_bytes(b"garbage")
    assert main(["predict", str(broken), str(phantom120), "-q"]) == 2
    assert "not a valid checkpoint" in _one_error_line(capsys)
    (broken / "config.yaml").write_text("size: {\n")
    assert main(["evaluate", str(broken), "-q"]) == 2
    assert "malformed YAML" in _one_error_line(capsys)


def test_predict_nothing_readable(trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("hello")
    assert main(["predict", str(trained_run), str(tmp_path / "a.txt"), str(tmp_path / "missing.png"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "a.txt: not an image" in err
    assert "missing.png: no such file or folder" in err


def test_library_errors_name_settings_and_the_cli_names_flags(
    phantom120: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "taken").write_text("not a run")
    assert main(["train", str(phantom120), "--out", str(tmp_path / "taken"), "--workers", "1", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("radbank: error: ")
    assert err.rstrip().endswith("choose another run folder (--out)")


def _options_of(command: str) -> dict[str, tuple[str, ...] | None]:
    import argparse

    from radbank.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        o: (tuple(a.choices) if a.choices else None) for a in sub.choices[command]._actions for o in a.option_strings
    }


def test_split_takes_every_dataset_option_of_train() -> None:
    train, split = _options_of("train"), _options_of("split")
    dataset = {
        "--source",
        "--source-option",
        "--labels",
        "--view",
        "--label-table",
        "--uncertain",
        "--modalities",
        "--positive",
        "--patient-regex",
        "--test-split",
        "--val-fraction",
        "--seed",
        "--config",
    }
    assert {o: train[o] for o in dataset} == {o: split[o] for o in dataset}


def test_source_choices_come_from_the_registry() -> None:
    from radbank.sources import source_choices

    assert _options_of("split")["--source"] == tuple(source_choices())
