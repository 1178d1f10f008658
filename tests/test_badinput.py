"""The bad-input policy: one line and one row per bad file, the batch goes on; a command-level problem is one
error line (exit 2); no traceback, no half-made run folder; names that are not UTF-8 work."""

from __future__ import annotations

import io
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from helpers import write_dicom
from radbank.badinput import Skipped, file_warnings, from_printable, iter_files, printable
from radbank.cli import main
from radbank.data.preprocess import Preprocess, decode_task

NON_UTF8 = b"caf\xe9.png"  # latin-1 "café.png": not valid UTF-8


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _collector() -> tuple[Skipped, _Lines]:
    logger = logging.getLogger("test_badinput")
    logger.propagate = False
    handler = _Lines()
    logger.handlers[:] = [handler]
    return Skipped(logger), handler


def _bad_tree(folder: Path, good: Path) -> None:
    """Beside the images already there: a non-UTF-8 name, a dangling link, a loop, a FIFO, a self-link."""
    shutil.copy(good, os.path.join(os.fsencode(folder), NON_UTF8))
    (folder / "dangling.png").symlink_to(folder / "gone.png")
    (folder / "loop").symlink_to(folder)
    (folder / "self.png").symlink_to(folder / "self.png")
    os.mkfifo(folder / "pipe.png")


def test_printable_names_and_back(tmp_path: Path) -> None:
    raw = os.path.join(os.fsencode(tmp_path), NON_UTF8)
    Path(os.fsdecode(raw)).write_bytes(b"x")
    shown = printable(raw)
    assert shown.endswith("caf\\xe9.png")
    shown.encode("utf-8")  # always writable as UTF-8
    assert from_printable(shown) == os.fsdecode(raw)
    assert from_printable(str(tmp_path / "plain.png")) == str(tmp_path / "plain.png")


def test_iter_files_reports_every_file_it_leaves_out(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.png").write_bytes(b"a")
    (root / ".hidden.png").write_bytes(b"h")
    (root / "link.png").symlink_to(root / "sub" / "a.png")
    (root / "sub-again").symlink_to(root / "sub")
    _bad_tree(root / "sub", root / "sub" / "a.png")
    skipped, handler = _collector()
    files = [printable(p.relative_to(root)) for p in iter_files(root, skipped)]
    assert files == ["link.png", "sub/a.png", "sub/caf\\xe9.png"]
    reasons = {Path(p).name: r for p, r in skipped}
    assert reasons["dangling.png"].startswith("dangling symbolic link")
    assert reasons["loop"].startswith("symbolic link loop")
    assert reasons["self.png"] == "symbolic link loop"
    assert reasons["pipe.png"].startswith("not a regular file")
    assert reasons["sub-again"].startswith("link to a folder already walked")
    assert len(handler.lines) == len(skipped) == 5  # one line each
    assert all(line.endswith("(skipped)") for line in handler.lines)


def _tiff_with_bad_tag(path: Path) -> Path:
    """A TIFF whose ResolutionUnit claims two values: Pillow warns while reading it."""
    img = Image.fromarray((np.random.default_rng(0).random((32, 32)) * 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="TIFF", dpi=(72, 72))
    entry = b"\x28\x01\x03\x00\x01\x00\x00\x00"
    path.write_bytes(buf.getvalue().replace(entry, b"\x28\x01\x03\x00\x02\x00\x00\x00"))
    return path


def _dicom_with_padding(path: Path) -> Path:
    """A DICOM file whose pixel data has excess padding: pydicom warns while decoding it."""
    import pydicom

    write_dicom(path, (np.arange(64 * 64).reshape(64, 64) % 4096).astype(np.uint16))
    ds = pydicom.dcmread(path)
    ds.PixelData = ds.PixelData + b"\0" * 64
    ds.save_as(path)
    return path


def test_decoder_warnings_become_one_line_naming_the_file(tmp_path: Path) -> None:
    for path, expected in (
        (_tiff_with_bad_tag(tmp_path / "t.tif"), "tag 296 had too many entries"),
        (_dicom_with_padding(tmp_path / "d.dcm"), "excess padding"),
    ):
        result = decode_task((str(path), Preprocess(32), 10**8))
        assert result.array is not None
        assert len(result.warnings) == 1
        assert expected in result.warnings[0]
    logger = logging.getLogger("test_badinput.warnings")
    handler = _Lines()
    logger.handlers[:] = [handler]
    logger.propagate = False
    with file_warnings(tmp_path / "t.tif", logger=logger):
        Image.open(tmp_path / "t.tif").load()
    assert len(handler.lines) == 1
    assert handler.lines[0].startswith(f"{tmp_path / 't.tif'}: UserWarning: Metadata Warning")


def test_predict_odd_names_links_and_warnings(
    trained_run: Path, phantom120: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    good = sorted((phantom120 / "Pneumothorax").glob("*.png"))[0]
    shutil.copy(good, folder / "a.png")
    _bad_tree(folder, good)
    _tiff_with_bad_tag(folder / "t.tif")
    out = tmp_path / "preds.csv"
    assert main(["predict", str(trained_run), str(folder), "--out", str(out), "--workers", "1"]) == 0
    table = pd.read_csv(out)
    assert sorted(Path(f).name for f in table.file) == ["a.png", "caf\\xe9.png", "t.tif"]
    skipped = pd.read_csv(tmp_path / "preds-skipped.csv")
    assert sorted(Path(p).name for p in skipped.path) == ["dangling.png", "loop", "pipe.png", "self.png"]
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "warnings.warn" not in err  # no second line of a Python warning
    lines = [line for line in err.splitlines() if "warning:" in line]
    assert len(lines) == 5  # four files left out + one decoder warning, one line each
    assert any(
        line.endswith("t.tif: UserWarning: Metadata Warning, tag 296 had too many entries: 2, expected 1")
        for line in lines
    )


def test_train_odd_names_and_links_then_evaluate(phantom120: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    for cls in ("No-Finding", "Pneumothorax"):
        (data / cls).mkdir(parents=True)
        for f in sorted((phantom120 / cls).glob("*.png"))[:12]:
            shutil.copy(f, data / cls / f.name)
    _bad_tree(data / "No-Finding", sorted((phantom120 / "No-Finding").glob("*.png"))[20])
    run = tmp_path / "run"
    args = ["train", str(data), "--out", str(run), "--size", "32", "--epochs", "1", "--workers", "1", "-q"]
    assert main(args) == 0
    split = pd.read_csv(run / "split.csv")
    assert (split.path.map(lambda p: Path(p).name) == "caf\\xe9.png").sum() == 1
    reasons = dict(
        zip(
            pd.read_csv(run / "skipped.csv").path.map(lambda p: Path(p).name),
            pd.read_csv(run / "skipped.csv").reason,
            strict=True,
        )
    )
    assert sorted(reasons) == ["dangling.png", "loop", "pipe.png", "self.png"]
    # evaluate reads split.csv back, non-UTF-8 name included
    split.loc[split.path.str.endswith("caf\\xe9.png"), "split"] = "val"
    split.to_csv(run / "split.csv", index=False)
    assert main(["evaluate", str(run), "-q"]) == 0
    assert pd.read_csv(run / "predictions.csv").path.str.endswith("caf\\xe9.png").sum() == 1


def test_train_nih_without_positive_images_is_one_line_and_no_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from radbank.phantom import PhantomSpec, generate

    nih = generate(tmp_path / "nih", PhantomSpec(n=40, seed=2, layout="nih"), workers=1)
    entries = pd.read_csv(nih / "Data_Entry_2017.csv")
    for name in entries.loc[entries["Finding Labels"] != "No Finding", "Image Index"]:
        next(nih.rglob(name)).unlink()
    run = tmp_path / "run"
    assert main(["train", str(nih), "--out", str(run), "--size", "32", "--workers", "1", "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(err)
    assert err[-1].startswith(f"radbank: error: {nih}: no readable image has any of the findings")
    assert not run.exists()


def test_subset_lists_missing_images_and_goes_on(tmp_path: Path) -> None:
    from radbank.phantom import PhantomSpec, generate

    nih = generate(tmp_path / "nih", PhantomSpec(n=40, seed=2, layout="nih"), workers=1)
    entries = pd.read_csv(nih / "Data_Entry_2017.csv")
    gone = entries.loc[entries["Finding Labels"] == "Pneumothorax", "Image Index"].iloc[0]
    next(nih.rglob(gone)).unlink()
    out = tmp_path / "sub"
    assert main(["subset", str(nih), "--finding", "Pneumothorax", "--out", str(out), "--n", "0", "-q"]) == 0
    skipped = pd.read_csv(out / "skipped.csv")
    assert [Path(p).name for p in skipped.path] == [gone]
    assert skipped.reason[0].startswith("listed in Data_Entry_2017.csv but not found")
    assert gone not in set(pd.read_csv(out / "manifest.csv")["Image Index"])
