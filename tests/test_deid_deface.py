"""Head MR images in `radbank anonymize dicom`: quarantined with their face by default, defaced series by series with
--deface (resumed, quarantined when a series cannot be defaced or fails QC), kept with --keep-faces; the batch's
worker model (input order, duplicate SOP Instance UIDs) with a series among the files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

from deface_data import template_head
from helpers import write_dicom
from radbank.anonymize.batch import FACE_NOT_REMOVED, DeidJob, run_batch
from radbank.anonymize.deface.dicom_series import series_volume
from radbank.anonymize.keys import keygen
from radbank.cli import main
from test_deface_dicom import MR_IMAGE, write_series

HEAD = "Test Patient/T1"
BROKEN = f"{HEAD}/IM0127.dcm"  # the top slice, its pixel data cut short
COPY = "copies/IM0005-copy.dcm"  # a second copy of a slice of the head series


def _series(folder: Path, volume: np.ndarray, spacing: float, series: str | None = None, first: int = 0) -> None:
    """An axial MR series of `volume` (rows, columns, slices), labelled a head."""
    series = series or pydicom.uid.generate_uid()
    for k in range(volume.shape[2]):
        write_dicom(
            folder / f"S{first + k:04d}.dcm",
            volume[:, :, k].astype(np.uint16),
            modality="MR",
            bits_stored=16,
            SOPClassUID=MR_IMAGE,
            SeriesInstanceUID=series,
            BodyPartExamined="HEAD",
            ImageOrientationPatient=[1, 0, 0, 0, 1, 0],
            ImagePositionPatient=[0.0, 0.0, spacing * k],
            PixelSpacing=[spacing, spacing],
            ImageType=["ORIGINAL", "PRIMARY"],
            PatientID="NOISE01",
            SeriesDescription="T1 MPRAGE",
        )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A head series (a slice cut short, a slice copied elsewhere), a noise 'head', a 4-D series, a CR, junk."""
    root = tmp_path_factory.mktemp("deid_deface")
    src = root / "in"
    write_series(src / HEAD)
    ds = pydicom.dcmread(src / BROKEN)
    ds.PixelData = ds.PixelData[:-256]
    ds.save_as(src / BROKEN)
    (src / COPY).parent.mkdir(parents=True)
    shutil.copy(src / HEAD / "IM0005.dcm", src / COPY)
    noise = np.random.default_rng(1).integers(0, 1000, (48, 48, 32))
    _series(src / "noise", noise, 5.0)
    uid = pydicom.uid.generate_uid()
    _series(src / "fourd", noise[:, :, :8], 5.0, uid)
    _series(src / "fourd", noise[:, :, :8], 5.0, uid, first=8)  # the same positions again: a 4-D series
    write_dicom(
        src / "cr" / "c.dcm",
        np.full((64, 64), 100, np.uint16),
        modality="CR",
        BurnedInAnnotation="NO",
        ImageType=["ORIGINAL", "PRIMARY"],
    )
    (src / "junk.dcm").write_bytes(b"\x00" * 100)
    keygen(root / "key")
    return root


def _run(root: Path, out: str, *flags: str) -> int:
    return main(
        [
            "anonymize",
            "dicom",
            str(root / "in"),
            str(root / out),
            "--key",
            str(root / "key"),
            "--workers",
            "1",
            *flags,
            "-q",
        ]
    )


def _files(root: Path, out: str) -> dict[str, dict[str, Any]]:
    report = json.loads((root / f"{out}.deid" / "deid-report.json").read_text())
    return {f["source"]: f for f in report["files"]}


def _head_files(files: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for s, f in files.items() if s.startswith(HEAD) and s != BROKEN]


def test_without_deface_head_mr_is_quarantined_with_the_reason(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tree, "plain") == 0
    files = _files(tree, "plain")
    head = _head_files(files)
    assert len(head) == 127
    assert {f["status"] for f in head} == {"quarantined"}
    assert {f["reason"] for f in head} == {FACE_NOT_REMOVED}
    assert {f["face"] for f in head} == {"not removed"}
    assert files["cr/c.dcm"]["status"] == "written"
    assert len(list((tree / "plain").rglob("*.dcm"))) == 1  # the CR only
    assert "rerun with --deface" in capsys.readouterr().err


@pytest.fixture(scope="module")
def defaced(tree: Path) -> dict[str, dict[str, Any]]:
    assert _run(tree, "defaced", "--deface", "--deface-method", "template") == 0  # 0: the audit passed too
    return _files(tree, "defaced")


def test_deface_publishes_the_series_defaced_and_marked(defaced: dict[str, dict[str, Any]], tree: Path) -> None:
    head = _head_files(defaced)
    assert {f["status"] for f in head} == {"written"}
    assert all(f["face"].startswith("removed (template") for f in head)
    out = [pydicom.dcmread(tree / "defaced" / f["output"]) for f in head]
    assert {ds.RecognizableVisualFeatures for ds in out} == {"NO"}
    assert all("113102" in [c.CodeValue for c in ds.DeidentificationMethodCodeSequence] for ds in out)
    assert {ds.PatientIdentityRemoved for ds in out} == {"YES"}
    assert "Test^Patient" not in {str(ds.PatientName) for ds in out}


def test_deface_changes_pixels_only_in_the_face(defaced: dict[str, dict[str, Any]], tree: Path) -> None:
    head, _ = template_head()
    vol = series_volume([pydicom.dcmread(tree / "defaced" / f["output"]) for f in _head_files(defaced)])
    after = vol.raw[::-1, ::-1, :].transpose(1, 0, 2)  # back to the RAS array the series was written from
    changed = after != head[:, :, :-1]  # the top slice was left out (cut short)
    assert changed.any()
    assert np.all(after[changed] == 0)
    assert np.nonzero(changed.any(axis=(0, 2)))[0].min() > head.shape[1] // 2  # anterior half only


def test_series_that_cannot_be_defaced_or_fail_qc_are_quarantined(defaced: dict[str, dict[str, Any]]) -> None:
    noise = [f for s, f in defaced.items() if s.startswith("noise/")]
    assert {f["status"] for f in noise} == {"quarantined"}
    assert all(f["reason"].startswith("face not removed (defacing failed QC: not recognised as a head") for f in noise)
    fourd = [f for s, f in defaced.items() if s.startswith("fourd/")]
    assert {f["status"] for f in fourd} == {"quarantined"}
    assert all("cannot be defaced: 4-D series" in f["reason"] for f in fourd)


def test_bad_files_of_a_series_are_reported_and_the_series_goes_on(defaced: dict[str, dict[str, Any]]) -> None:
    assert defaced[BROKEN]["status"] == "quarantined"
    assert defaced[BROKEN]["reason"].startswith("face not removed (left out of its series' volume); ")
    assert defaced[COPY]["status"] == "skipped"
    assert (
        defaced[COPY]["reason"]
        == f"duplicate SOP Instance UID: {HEAD}/IM0005.dcm has the same one (and the same output)"
    )
    assert defaced["junk.dcm"]["status"] == "skipped"
    assert defaced["cr/c.dcm"]["status"] == "written"


def test_a_rerun_resumes_without_defacing_again(defaced: dict[str, dict[str, Any]], tree: Path) -> None:
    stamps = {p: p.stat().st_mtime_ns for p in (tree / "defaced").rglob("*.dcm")}
    assert _run(tree, "defaced", "--deface", "--deface-method", "template") == 0
    again = _files(tree, "defaced")
    assert {f["status"] for f in _head_files(again)} == {"resumed"}
    assert {p: p.stat().st_mtime_ns for p in (tree / "defaced").rglob("*.dcm")} == stamps


def test_keep_faces_publishes_them_and_a_deface_run_replaces_them(tree: Path) -> None:
    assert _run(tree, "kept", "--keep-faces") == 0
    kept = _head_files(_files(tree, "kept"))
    assert {(f["status"], f["face"]) for f in kept} == {("written", "kept")}
    first = pydicom.dcmread(tree / "kept" / kept[0]["output"])
    assert first.PixelData == pydicom.dcmread(tree / "in" / kept[0]["source"]).PixelData
    assert _run(tree, "kept", "--deface", "--deface-method", "template") == 0
    again = _head_files(_files(tree, "kept"))
    assert {f["status"] for f in again} == {"written"}  # published with a face before: not resumed
    assert pydicom.dcmread(tree / "kept" / kept[0]["output"]).RecognizableVisualFeatures == "NO"


def test_deface_options_without_deface_are_a_one_line_error(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tree, "none", "--ears") == 2
    assert "--deface" in capsys.readouterr().err


def test_a_series_among_files_gives_the_same_result_whatever_the_workers(tmp_path: Path) -> None:
    src = tmp_path / "in"
    write_series(src / "mr")
    for i in range(50):  # enough units for worker processes (radbank.parallel starts them from 48)
        write_dicom(
            src / f"cr{i:02d}.dcm",
            np.full((8, 8), i, np.uint16),
            modality="CR",
            BurnedInAnnotation="NO",
            ImageType=["ORIGINAL", "PRIMARY"],
            SOPInstanceUID=f"1.2.826.0.1.3680043.10.999.20.{i}",
        )
    shutil.copy(src / "cr07.dcm", src / "zz-copy.dcm")
    key = keygen(tmp_path / "key")
    runs = []
    for workers in (1, 2):
        job = DeidJob(
            str(src),
            str(tmp_path / f"out{workers}"),
            str(key),
            workers=workers,
            faces="deface",
            deface_method="template",
        )
        report = run_batch(job)
        runs.append([(r.source, r.status, r.reason, r.output, r.face) for r in report.files])
        assert report.counts["written"] == 50 + 128
    assert runs[0] == runs[1]
    assert [r[0] for r in runs[0]][:3] == ["cr00.dcm", "cr01.dcm", "cr02.dcm"]
    assert runs[0][-1][1:3] == (
        "skipped",
        "duplicate SOP Instance UID: cr07.dcm has the same one (and the same output)",
    )
