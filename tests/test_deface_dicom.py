"""DICOM MR series: defaced, then de-identified as by `anonymize dicom`; and the MIDS writer for `mids export`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pydicom
import pytest

from deface_data import template_head
from helpers import write_dicom
from radbank.anonymize.deface.dicom_series import deface_series, series_volume
from radbank.anonymize.deface.mids_writer import mids_mr_path, write_mids_dicom_series
from radbank.anonymize.keys import keygen
from radbank.cli import main

MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"


def write_series(folder: Path, description: str | None = "T1 MPRAGE sag", study: str | None = None) -> np.ndarray:
    """The template head as an axial MR series (LPS geometry, 2 mm), one file per slice, with the timing of an
    MPRAGE (TR 2300 ms, TE 2.98 ms, TI 900 ms); returns the RAS volume. `description=None`: no description."""
    head, _ = template_head()
    series, study = pydicom.uid.generate_uid(), study or pydicom.uid.generate_uid()
    named = {"SeriesDescription": description} if description else {}
    for k in range(head.shape[2]):
        image = head[::-1, ::-1, k].T  # rows: posterior (LPS +Y), columns: left (LPS +X)
        write_dicom(
            folder / f"IM{k:04d}.dcm",
            image.astype(np.uint16),
            modality="MR",
            bits_stored=16,
            SOPClassUID=MR_IMAGE,
            StudyInstanceUID=study,
            SeriesInstanceUID=series,
            ImageOrientationPatient=[1, 0, 0, 0, 1, 0],
            ImagePositionPatient=[-86.0, -126.0, 2.0 * k - 128],
            PixelSpacing=[2.0, 2.0],
            SliceThickness=2.0,
            BodyPartExamined="HEAD",
            PatientBirthDate="19700101",
            InstanceNumber=k + 1,
            ImageType=["ORIGINAL", "PRIMARY", "M", "ND"],
            MagneticFieldStrength=3,
            RepetitionTime=2300,
            EchoTime=2.98,
            InversionTime=900,
            FlipAngle=9,
            **named,
        )
    return head


@pytest.fixture(scope="module")
def defaced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray]:
    root = tmp_path_factory.mktemp("dicom")
    head = write_series(root / "in" / "Test Patient" / "T1")
    write_dicom(root / "in" / "ct" / "c.dcm", np.zeros((64, 64), np.uint16), modality="CT")
    (root / "in" / "junk.dcm").write_bytes(b"\x00" * 200)
    key = keygen(root / "key")
    out = root / "out"
    assert main(["deface", str(root / "in"), str(out), "--key", str(key), "--method", "template", "-q"]) == 0
    return root, out, head


def test_series_is_written_deidentified_and_marked_defaced(defaced: tuple[Path, Path, np.ndarray]) -> None:
    _, out, head = defaced
    files = sorted(out.rglob("*.dcm"))
    assert len(files) == head.shape[2]
    ds = pydicom.dcmread(files[0])
    assert str(ds.PatientName) != "Test^Patient"
    assert ds.RecognizableVisualFeatures == "NO"
    assert "113102" in [c.CodeValue for c in ds.DeidentificationMethodCodeSequence]
    assert "Test Patient" not in str(files[0])


def test_series_pixels_change_only_in_the_face(defaced: tuple[Path, Path, np.ndarray]) -> None:
    _, out, head = defaced
    vol = series_volume([pydicom.dcmread(f) for f in out.rglob("*.dcm")])
    after = vol.raw[::-1, ::-1, :].transpose(1, 0, 2)  # back to the RAS array the series was written from
    changed = after != head
    assert changed.any()
    assert np.all(after[changed] == 0)
    assert np.nonzero(changed.any(axis=(0, 2)))[0].min() > head.shape[1] // 2  # anterior half only


def test_other_series_and_unreadable_files_are_reported(defaced: tuple[Path, Path, np.ndarray]) -> None:
    root = defaced[0]
    report = json.loads((root / "out.deface" / "report.json").read_text())
    reasons = {v["source"]: v["reason"] for v in report["volumes"] if v["status"] == "skipped"}
    assert "not a head MR image" in reasons[os.path.join("ct", "c.dcm")]
    assert "not a readable DICOM" in reasons["junk.dcm"]


def test_dicom_input_without_a_key_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_dicom(tmp_path / "in" / "a.dcm", np.zeros((64, 64), np.uint16), modality="MR")
    assert main(["deface", str(tmp_path / "in"), str(tmp_path / "out")]) == 2
    assert "key" in capsys.readouterr().err


def test_repeated_positions_are_a_4d_series(tmp_path: Path) -> None:
    write_series(tmp_path / "a")
    datasets = [pydicom.dcmread(f) for f in sorted((tmp_path / "a").iterdir())]
    twice = datasets + [pydicom.dcmread(f) for f in sorted((tmp_path / "a").iterdir())]
    with pytest.raises(Exception, match="4-D series"):
        deface_series(twice, "template")


def test_mids_writer_puts_a_defaced_volume_under_the_mr_modality_folder(tmp_path: Path) -> None:
    write_series(tmp_path / "s")
    datasets = [pydicom.dcmread(f) for f in sorted((tmp_path / "s").iterdir())]
    res = write_mids_dicom_series(tmp_path / "mids", "01", "1", datasets, method="template")
    assert res.written
    assert res.path == tmp_path / "mids/sub-01/ses-1/mim-mr/anat/sub-01_ses-1_T1w.nii.gz"
    sidecar = json.loads(res.path.with_name("sub-01_ses-1_T1w.json").read_text())
    assert sidecar["Defaced"]["Method"] == "template"
    assert (
        mids_mr_path("r", "01", "1", "FLAIR", run=2).as_posix()
        == "r/sub-01/ses-1/mim-mr/anat/sub-01_ses-1_run-2_FLAIR.nii.gz"
    )
