"""NIH ChestX-ray14 as released: reading the CSV and image folders, and the tutorial's subset rule."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import write_png8
from radbank.cli import main
from radbank.errors import RadbankError
from radbank.phantom.layouts import NIH_HEADER
from radbank.sources.nih import NIH_FINDINGS, parse_labels, read_nih
from radbank.subset import SubsetOptions, write_subset

# (image, finding labels, follow-up, patient, age, sex, view)
ROWS = [
    ("00000001_000.png", "No Finding", 0, 1, "58", "M", "PA"),
    ("00000001_001.png", "Pneumothorax", 1, 1, "58", "M", "PA"),
    ("00000001_002.png", "Pneumothorax", 2, 1, "59", "M", "AP"),
    ("00000002_000.png", "Pneumothorax|Effusion", 0, 2, "061Y", "F", "PA"),  # multi-label: never in the subset
    ("00000003_000.png", "No Finding", 0, 3, "412", "F", "PA"),  # implausible age, as in the release
    ("00000004_000.png", "Pneumothorax", 0, 4, "33", "M", "PA"),
    ("00000004_001.png", "No Finding", 1, 4, "34", "M", "PA"),
    ("00000005_000.png", "Effusion", 0, 5, "70", "F", "AP"),
    ("00000006_000.png", "No Finding", 0, 6, "45", "M", "PA"),
    ("00000007_000.png", "Covid", 0, 7, "45", "M", "PA"),  # unknown label
    ("00000008_000.png", "No Finding", 0, 8, "40", "F", "PA"),  # listed, file missing
]


def make_nih(root: Path, rows: list[tuple] = ROWS, missing: tuple[str, ...] = ("00000008_000.png",)) -> Path:
    """A tiny NIH release: CSV exactly as published, images over two images_00N/images/ folders."""
    lines = [NIH_HEADER]
    for k, (image, labels, fu, pid, age, sex, view) in enumerate(rows):
        lines.append(f"{image},{labels},{fu},{pid},{age},{sex},{view},2500,2048,0.143,0.143,")
        if image not in missing:
            write_png8(root / f"images_00{k % 2 + 1}" / "images" / image, np.random.default_rng(k).random((32, 32)))
    write_png8(root / "images_001" / "images" / "99999999_000.png")  # on disk, not in the CSV
    (root / "Data_Entry_2017.csv").write_text("\n".join(lines) + "\n")
    (root / "train_val_list.txt").write_text("\n".join(r[0] for r in rows if r[3] != 6) + "\n")
    (root / "test_list.txt").write_text("00000006_000.png\n")
    return root


def test_read_nih_labels_metadata_and_skips(tmp_path: Path) -> None:
    root = make_nih(tmp_path / "nih")
    rec = read_nih(root, "Pneumothorax,Effusion")
    assert rec.task == "multilabel"
    assert rec.label_names == ["Pneumothorax", "Effusion"]
    by_name = dict(zip(rec.table["study"], rec.labels.tolist(), strict=True))
    assert by_name["00000002_000"] == [1.0, 1.0]
    assert by_name["00000001_000"] == [0.0, 0.0]
    assert by_name["00000005_000"] == [0.0, 1.0]
    reasons = {Path(p).name: r for p, r in rec.skipped}
    assert "not found" in reasons["00000008_000.png"]
    assert "unknown finding" in reasons["00000007_000.png"]
    ages = dict(zip(rec.table["study"], rec.table["age"], strict=True))
    assert ages["00000002_000"] == 61
    assert np.isnan(ages["00000003_000"])
    assert set(rec.table.loc[rec.table.patient == "1", "study"]) == {"00000001_000", "00000001_001", "00000001_002"}
    assert rec.table.set_index("study").loc["00000006_000", "official_split"] == "test"
    assert len(read_nih(root, "all").label_names) == 14
    assert set(read_nih(root, "all", view="AP").table["view"]) == {"AP"}


def test_parse_labels_and_bad_csv(tmp_path: Path) -> None:
    assert parse_labels("pneumothorax, pleural thickening") == ["Pneumothorax", "Pleural_Thickening"]
    assert parse_labels(None) == list(NIH_FINDINGS)
    with pytest.raises(RadbankError, match=r"unknown NIH finding.*Covid"):
        parse_labels("Covid")
    root = tmp_path / "nih"
    root.mkdir()
    (root / "Data_Entry_2017.csv").write_text("Image,Labels\na.png,No Finding\n")
    with pytest.raises(RadbankError, match=r"missing column.*Image Index"):
        read_nih(root)
    with pytest.raises(RadbankError, match=r"no Data_Entry_2017\.csv"):
        read_nih(tmp_path)


def test_subset_rule(tmp_path: Path) -> None:
    root = make_nih(tmp_path / "nih")
    res = write_subset(root, tmp_path / "sub", "Pneumothorax", SubsetOptions(n=0))
    manifest = pd.read_csv(tmp_path / "sub" / "manifest.csv", dtype={"Patient ID": str})
    assert set(manifest["Finding Labels"]) == {"No Finding", "Pneumothorax"}  # multi-label rows excluded
    assert "00000002_000.png" not in set(manifest["Image Index"])
    assert res.images == {"Pneumothorax": 3, "No-Finding": 3}
    assert res.missing == 1
    # Files are hard links of the originals.
    linked = tmp_path / "sub" / "Pneumothorax" / "00000001_001.png"
    original = next(root.rglob("00000001_001.png"))
    assert os.stat(linked).st_ino == os.stat(original).st_ino
    assert res.linked == 6
    again = write_subset(root, tmp_path / "sub", "Pneumothorax", SubsetOptions(n=0))
    assert again.linked == again.copied == 0  # a rerun has nothing left to do


def test_subset_samples_whole_patients(tmp_path: Path) -> None:
    rows = [
        (f"{p:08d}_{f:03d}.png", "Pneumothorax" if p % 2 else "No Finding", f, p, "50", "M", "PA")
        for p in range(1, 41)
        for f in range(p % 3 + 1)
    ]
    root = make_nih(tmp_path / "nih", rows, missing=())
    write_subset(root, tmp_path / "sub", "Pneumothorax", SubsetOptions(n=20, seed=3))
    manifest = pd.read_csv(tmp_path / "sub" / "manifest.csv")
    per_patient = manifest.groupby("Patient ID").size()
    expected = {p: p % 3 + 1 for p in range(1, 41)}
    assert all(n == expected[p] for p, n in per_patient.items())  # all of a patient's follow-ups, or none
    counts = manifest["class"].value_counts()
    assert counts["Pneumothorax"] == counts["No-Finding"] == 10
    natural = write_subset(root, tmp_path / "nat", "Pneumothorax", SubsetOptions(n=0, ratio="natural", copy=True))
    assert natural.copied == len(rows)
    assert natural.linked == 0


def test_subset_view_and_official_test(tmp_path: Path) -> None:
    root = make_nih(tmp_path / "nih")
    res = write_subset(root, tmp_path / "pa", "Pneumothorax", SubsetOptions(n=0, view="PA", exclude_test=True))
    manifest = pd.read_csv(tmp_path / "pa" / "manifest.csv")
    assert set(manifest["View Position"]) == {"PA"}
    assert "00000006_000.png" not in set(manifest["Image Index"])
    assert res.images["Pneumothorax"] == 2
    with pytest.raises(RadbankError, match="no images labelled only 'Hernia'"):
        write_subset(root, tmp_path / "h", "Hernia")


def test_subset_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_nih(tmp_path / "nih")
    assert main(["subset", str(root), "--finding", "pneumothorax", "--out", str(tmp_path / "s"), "--n", "4", "-q"]) == 0
    out = capsys.readouterr().out
    assert "Pneumothorax" in out
    assert "No-Finding" in out
    assert "manifest.csv" in out
    assert main(["subset", str(tmp_path), "--finding", "Pneumothorax", "--out", str(tmp_path / "x"), "-q"]) == 2
    assert "no Data_Entry_2017.csv" in capsys.readouterr().err


def test_contradictory_duplicate_rows_are_skipped(tmp_path: Path) -> None:
    """An Image Index listed twice with different labels: both rows skipped with the reason (never one image in
    two classes); listed twice with the same labels: kept once."""
    rows = [
        *ROWS,
        ("00000001_001.png", "No Finding", 1, 1, "58", "M", "PA"),
        ("00000006_000.png", "No Finding", 0, 6, "45", "M", "PA"),
    ]
    root = make_nih(tmp_path / "nih", rows)
    rec = read_nih(root, "Pneumothorax")
    studies = list(rec.table["study"])
    assert "00000001_001" not in studies
    assert studies.count("00000006_000") == 1
    reasons = {Path(p).name: r for p, r in rec.skipped}
    assert (
        reasons["00000001_001.png"]
        == "listed 2 times in Data_Entry_2017.csv with contradictory labels (No Finding / Pneumothorax)"
    )
    write_subset(root, tmp_path / "sub", "Pneumothorax", SubsetOptions(n=0))
    manifest = pd.read_csv(tmp_path / "sub" / "manifest.csv")
    assert "00000001_001.png" not in set(manifest["Image Index"])
    assert manifest["Image Index"].is_unique
