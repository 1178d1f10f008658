"""The leak audit: no false alarm on many patients, no miss on variants of a planted identifier."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from helpers import write_dicom
from radbank.anonymize.audit import Provenance, run_audit
from radbank.anonymize.batch import DeidJob, run_batch
from radbank.anonymize.keys import keygen
from radbank.cli import main
from radbank.phantom.dicom import make_people, phi_dataset


def _write_patients(root: Path, n: int) -> None:
    """`n` patients, one small CR each, identifiers planted everywhere (radbank.phantom.dicom), pixels tiny."""
    for i, person in enumerate(make_people(n, seed=17)):
        when = dt.datetime(2018 + i % 6, 1 + i % 12, 1 + i % 28, 8 + i % 10, i % 60)
        ds = phi_dataset(person, np.zeros((8, 8), np.uint8), 0, 0, "CR", when)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta = meta
        ds.save_as(root / f"p{i:04d}.dcm", enforce_file_format=True)


def test_a_thousand_patients_give_no_false_alarm(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    _write_patients(tmp_path / "in", 1000)
    keygen(tmp_path / "key")
    report = run_batch(DeidJob(str(tmp_path / "in"), str(tmp_path / "out"), str(tmp_path / "key")))
    assert report.counts["written"] == 1000
    audit = run_audit(tmp_path / "in", tmp_path / "out", provenance=Provenance.of_batch(report))
    assert audit.outputs == 1000
    assert audit.leaks == []
    assert audit.passed


@pytest.fixture
def deidentified(tmp_path: Path) -> Path:
    """Two patients, de-identified: Muñoz^José (ID HC-123456) and Mode^Soft (name parts that are words)."""
    pixels = np.zeros((4, 4), np.uint16)
    write_dicom(
        tmp_path / "in" / "a.dcm",
        pixels,
        BurnedInAnnotation="NO",
        PatientName="Muñoz^José",
        PatientID="HC-123456",
        SpecificCharacterSet="ISO_IR 192",
        SOPInstanceUID="1.2.826.0.1.3680043.10.999.30.1",
    )
    write_dicom(
        tmp_path / "in" / "b.dcm",
        pixels,
        BurnedInAnnotation="NO",
        PatientName="Mode^Soft",
        PatientID="ZX-778899",
        SOPInstanceUID="1.2.826.0.1.3680043.10.999.30.2",
    )
    write_dicom(
        tmp_path / "in" / "c.dcm",
        pixels,
        BurnedInAnnotation="NO",
        PatientName="Anon^Ymous",
        PatientID="QQ-445566",
        SOPInstanceUID="1.2.826.0.1.3680043.10.999.30.3",
    )
    keygen(tmp_path / "key")
    args = ["anonymize", "dicom", str(tmp_path / "in"), str(tmp_path / "out"), "--key", str(tmp_path / "key"), "-q"]
    assert main(args) == 0  # radbank's own placeholders (ANONYMIZED...) never match "Anon"
    return tmp_path


def _output_of(root: Path, source: str) -> Path:
    known = Provenance.of_work(root / "out.deid")
    assert known is not None
    return root / "out" / next(o for o, s in known.sources.items() if s == source)


def _plant(path: Path, **attrs: str) -> None:
    ds = pydicom.dcmread(path)
    ds.SpecificCharacterSet = "ISO_IR 192"
    for key, value in attrs.items():
        setattr(ds, key, value)
    ds.save_as(path, enforce_file_format=True)


@pytest.mark.parametrize(
    ("attrs", "where"),
    [
        ({"StudyDescription": "control munoz jose"}, "(0008,1030)"),  # accents and case
        ({"SeriesDescription": "MUÑOZ    JOSÉ"}, "(0008,103E)"),  # spacing
        ({"ImageComments": "ver Munoz"}, "(0020,4000)"),  # a name split across attributes: each part
        ({"PerformedProcedureStepDescription": "Jose"}, "(0040,0254)"),
        ({"StudyComments": "hist. hc123456"}, "(0032,4000)"),  # the ID written without its hyphen
    ],
)
def test_planted_variants_are_found(deidentified: Path, attrs: dict[str, str], where: str) -> None:
    _plant(_output_of(deidentified, "a.dcm"), **attrs)
    audit = run_audit(
        deidentified / "in", deidentified / "out", provenance=Provenance.of_work(deidentified / "out.deid")
    )
    assert {leak.where for leak in audit.leaks} == {where}


def test_a_name_part_is_a_word_in_another_patients_file(deidentified: Path) -> None:
    _plant(_output_of(deidentified, "a.dcm"), SeriesDescription="SOFT TISSUE MODE")  # Muñoz's file: words
    audit = run_audit(
        deidentified / "in", deidentified / "out", provenance=Provenance.of_work(deidentified / "out.deid")
    )
    assert audit.leaks == []
    _plant(_output_of(deidentified, "b.dcm"), SeriesDescription="SOFT TISSUE MODE")  # Mode^Soft's own file
    audit = run_audit(
        deidentified / "in", deidentified / "out", provenance=Provenance.of_work(deidentified / "out.deid")
    )
    assert {(leak.where, leak.kind) for leak in audit.leaks} == {("(0008,103E)", "name")}


def test_a_whole_name_is_a_leak_in_any_file(deidentified: Path) -> None:
    _plant(_output_of(deidentified, "b.dcm"), ImageComments="cf. José Muñoz")
    assert main(["audit", str(deidentified / "in"), str(deidentified / "out")]) == 1
