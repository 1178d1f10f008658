"""DICOM de-identification: zero leaks, consistent pseudonyms/UIDs, options, dates, bad inputs, resuming."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest

from helpers import write_dicom
from radbank.anonymize.audit import run_audit
from radbank.anonymize.batch import DeidJob, run_batch
from radbank.anonymize.keys import Keyed, keygen
from radbank.anonymize.profile import Options
from radbank.cli import main
from radbank.errors import RadbankError
from radbank.phantom.dicom import planted_identifiers, write_phi_set


@pytest.fixture(scope="module")
def phi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 patients x 2 studies of CR/DX, identifiers planted everywhere (see radbank.phantom.dicom)."""
    root = tmp_path_factory.mktemp("phi")
    write_phi_set(root / "in", patients=3, studies=2, images=1, seed=4)
    keygen(root / "key")
    keygen(root / "other.key")
    return root


def _outputs(out: Path) -> dict[str, pydicom.Dataset]:
    return {p.relative_to(out).as_posix(): pydicom.dcmread(p) for p in sorted(out.rglob("*.dcm"))}


def _run(phi: Path, out: Path, key: str = "key", **kw: object) -> object:
    return run_batch(DeidJob(str(phi / "in"), str(out), str(phi / key), workers=1, **kw))  # type: ignore[arg-type]


def test_zero_leaks_and_every_planted_value_gone(phi: Path, tmp_path: Path) -> None:
    report = _run(phi, tmp_path / "out")
    assert report.counts == {"written": 6, "resumed": 0, "quarantined": 0, "skipped": 1}  # planted.json skipped
    audit = run_audit(phi / "in", tmp_path / "out")
    assert audit.passed
    assert audit.outputs == 6
    assert audit.identifiers > 100
    # Independently of the audit's own parsing: no planted string in any output byte, nor in any path.
    planted = [s.lower() for s in planted_identifiers(phi / "in")]
    written = list((tmp_path / "out").rglob("*"))
    assert len([p for p in written if p.suffix == ".dcm"]) == 6
    for path in written:
        blob = path.relative_to(tmp_path).as_posix() + (path.read_bytes().decode("latin-1") if path.is_file() else "")
        blob = blob.lower()
        assert not [s for s in planted if s in blob], path
    # The audit does find them when there is something to find.
    assert run_audit(phi / "in", phi / "in").leaks


def test_header_after_deidentification(phi: Path, tmp_path: Path) -> None:
    _run(phi, tmp_path / "out")
    raw = {str(d.PatientName): d for d in (pydicom.dcmread(p) for p in (phi / "in").rglob("*.dcm"))}
    for rel, ds in _outputs(tmp_path / "out").items():
        assert ds.PatientIdentityRemoved == "YES"
        assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
        codes = {item.CodeValue for item in ds.DeidentificationMethodCodeSequence}
        assert {"113100", "113107", "113108", "113105"} <= codes
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.SOPInstanceUID.startswith("2.25.")
        assert "SourceApplicationEntityTitle" not in ds.file_meta
        assert ds.preamble == b"\x00" * 128
        assert ds.SOPClassUID in ("1.2.840.10008.5.1.4.1.1.1", "1.2.840.10008.5.1.4.1.1.1.1")  # well-known: kept
        assert ds.PatientID.startswith("P")
        assert ds.PatientName == ds.PatientID
        assert ds.AccessionNumber.startswith("A")
        assert ds.PatientBirthDate == ""
        assert "OtherPatientIDsSequence" not in ds
        assert "PatientAddress" not in ds
        assert not [e for e in ds.iterall() if e.tag.is_private]  # all private tags removed by default
        level1 = ds.RequestAttributesSequence[0]
        assert level1.AccessionNumber == ds.AccessionNumber  # consistent inside sequences
        assert level1.RequestedProcedureID == "ANONYMIZED"  # X in E.1-1, but Type 1C there: a dummy keeps it valid
        assert rel == f"{ds.PatientID}/{ds.StudyInstanceUID}/{ds.SOPInstanceUID}.dcm"
        assert ds.PatientSex in ("M", "F") and ds.PatientWeight == 71.5  # Retain Patient Characteristics
        assert "***" in ds.StudyDescription
        assert ds.StudyDescription.startswith("RX TORAX PA")
    assert len(raw) == 3


def test_consistency_within_patient_across_runs_and_keys(phi: Path, tmp_path: Path) -> None:
    _run(phi, tmp_path / "a")
    _run(phi, tmp_path / "b")
    _run(phi, tmp_path / "c", key="other.key")
    a, b, c = _outputs(tmp_path / "a"), _outputs(tmp_path / "b"), _outputs(tmp_path / "c")
    assert list(a) == list(b)
    for rel in a:
        assert (
            hashlib.sha256((tmp_path / "a" / rel).read_bytes()).digest()
            == hashlib.sha256((tmp_path / "b" / rel).read_bytes()).digest()
        )  # same key: byte-identical
    patients_a = {ds.PatientID for ds in a.values()}
    assert len(patients_a) == 3
    assert {len([d for d in a.values() if d.PatientID == p]) for p in patients_a} == {2}
    assert not patients_a & {ds.PatientID for ds in c.values()}  # another key: other pseudonyms
    assert not {ds.SOPInstanceUID for ds in a.values()} & {ds.SOPInstanceUID for ds in c.values()}


def test_references_between_files_stay_consistent(tmp_path: Path) -> None:
    keygen(tmp_path / "key")
    pixels = np.zeros((8, 8), np.uint16)
    first = write_dicom(
        tmp_path / "in" / "a.dcm",
        pixels,
        SOPInstanceUID="1.2.826.0.1.3680043.10.999.1.1",
        StudyInstanceUID="1.2.826.0.1.3680043.10.999.1",
        BurnedInAnnotation="NO",
        ImageType=["ORIGINAL", "PRIMARY"],
    )
    ref = pydicom.Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    ref.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.10.999.1.1"
    write_dicom(
        tmp_path / "in" / "b.dcm",
        pixels,
        SOPInstanceUID="1.2.826.0.1.3680043.10.999.1.2",
        StudyInstanceUID="1.2.826.0.1.3680043.10.999.1",
        BurnedInAnnotation="NO",
        ImageType=["ORIGINAL", "PRIMARY"],
        SourceImageSequence=[ref],
    )
    run_batch(DeidJob(str(tmp_path / "in"), str(tmp_path / "out"), str(tmp_path / "key"), workers=1))
    out = {ds.SOPInstanceUID: ds for ds in _outputs(tmp_path / "out").values()}
    a_new = Keyed.from_file(tmp_path / "key").uid(str(pydicom.dcmread(first).SOPInstanceUID))
    b = next(ds for uid, ds in out.items() if uid != a_new)
    assert a_new in out
    assert b.SourceImageSequence[0].ReferencedSOPInstanceUID == a_new
    assert len({ds.StudyInstanceUID for ds in out.values()}) == 1


def test_dates_shift_keep_intervals_and_times(phi: Path, tmp_path: Path) -> None:
    _run(phi, tmp_path / "out")
    raw = [pydicom.dcmread(p) for p in sorted((phi / "in").rglob("*.dcm"))]
    keyed = Keyed.from_file(phi / "key")
    out = _outputs(tmp_path / "out")
    for patient in {str(d.PatientID) for d in raw}:
        mine = [d for d in raw if d.PatientID == patient]
        pseudo = keyed.pseudonym("patient", patient)
        shifted = sorted((d for d in out.values() if d.PatientID == pseudo), key=lambda d: d.StudyDate)
        original = sorted(mine, key=lambda d: d.StudyDate)
        days = [dt.datetime.strptime(d.StudyDate, "%Y%m%d") for d in shifted]
        orig = [dt.datetime.strptime(d.StudyDate, "%Y%m%d") for d in original]
        assert days[1] - days[0] == orig[1] - orig[0]  # the interval survives
        assert days[0] != orig[0]
        assert -1095 <= (days[0] - orig[0]).days <= -30
        assert [d.StudyTime for d in shifted] == [d.StudyTime for d in original]  # times kept
        assert shifted[0].AcquisitionDateTime[8:] == original[0].AcquisitionDateTime[8:]


def test_options_change_what_is_kept(phi: Path, tmp_path: Path) -> None:
    strict = Options(retain_long_modified_dates=False, retain_patient_characteristics=False, clean_descriptors=False)
    _run(phi, tmp_path / "strict", options=strict)
    for ds in _outputs(tmp_path / "strict").values():
        assert "PatientWeight" not in ds
        assert "PatientAge" not in ds
        assert ds.PatientSex == ""
        assert "StudyDescription" not in ds
        assert ds.StudyDate == ""
        assert ds.LongitudinalTemporalInformationModified == "REMOVED"
    _run(phi, tmp_path / "safe", options=Options(retain_safe_private=True))
    for ds in _outputs(tmp_path / "safe").values():
        private = {int(e.tag): e.value for e in ds if e.tag.is_private}
        assert private == {0x00190010: "GEMS_ACQU_01", 0x00191023: 12.5}  # listed safe; the RIS block is gone
        assert "113111" in {i.CodeValue for i in ds.DeidentificationMethodCodeSequence}
    assert run_audit(phi / "in", tmp_path / "safe").passed


def test_bad_inputs_are_reported_and_never_copied(phi: Path, tmp_path: Path) -> None:
    src = tmp_path / "in"
    shutil.copytree(phi / "in", src)
    good = next(src.rglob("*.dcm"))
    (src / "zero.dcm").write_bytes(b"")
    (src / "notes.txt").write_text("Dear colleague, Maria Garcia HC123...")
    cut = pydicom.dcmread(good)
    cut.SOPInstanceUID = cut.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.999.7.1"
    cut.save_as(src / "cut.dcm", enforce_file_format=True)
    (src / "cut.dcm").write_bytes((src / "cut.dcm").read_bytes()[:-40000])
    write_dicom(src / "nopixels.dcm", np.zeros((4, 4), np.uint16), pixel_data=False)
    weird = pydicom.dcmread(good)
    weird.SOPInstanceUID = weird.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.999.7.2"
    weird.file_meta.TransferSyntaxUID = "1.2.3.4.5"
    weird.save_as(src / "weird.dcm", enforce_file_format=True)
    shutil.copy(good, src / "zz-copy.dcm")  # the same SOP Instance UID as `good`
    report = run_batch(DeidJob(str(src), str(tmp_path / "out"), str(phi / "key"), workers=1))
    skipped = {r.source: r.reason for r in report.files if r.status == "skipped"}
    quarantined = {r.source: r.reason for r in report.files if r.status == "quarantined"}
    assert "empty file" in skipped["zero.dcm"]
    assert "not a readable DICOM" in skipped["notes.txt"]
    assert "no pixel data" in skipped["nopixels.dcm"]
    assert skipped["zz-copy.dcm"].startswith(f"duplicate SOP Instance UID: {good.relative_to(src).as_posix()} ")
    assert "truncated pixel data" in quarantined["cut.dcm"]  # de-identified, kept aside with the reason
    assert "unreadable transfer syntax 1.2.3.4.5" in quarantined["weird.dcm"]
    assert report.counts["written"] == 6
    assert len(list((tmp_path / "out").rglob("*.dcm"))) == 6


def test_resume_atomic_and_one_key_per_output(phi: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(phi, tmp_path / "out")
    victim = next((tmp_path / "out").rglob("*.dcm"))
    victim.unlink()
    again = _run(phi, tmp_path / "out")
    assert again.counts["written"] == 1
    assert again.counts["resumed"] == 5
    assert victim.exists()
    with pytest.raises(RadbankError, match="another key"):
        _run(phi, tmp_path / "out", key="other.key")

    def crash(ds: pydicom.Dataset, path: object) -> None:
        Path(str(path)).write_bytes(b"DICM half a file")
        raise OSError("disk full")

    monkeypatch.setattr("radbank.anonymize.batch.save", crash)
    crashed = _run(phi, tmp_path / "crash")
    assert crashed.counts["skipped"] == 7
    assert all("disk full" in r.reason for r in crashed.files[:6])
    assert not [p for p in (tmp_path / "crash").rglob("*") if p.is_file() and not p.name.startswith(".")]


def test_keys(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k")
    assert os.stat(key).st_mode & 0o777 == 0o600
    with pytest.raises(RadbankError, match="refusing to overwrite"):
        keygen(key)
    (tmp_path / "bad").write_text("not hex")
    with pytest.raises(RadbankError, match="not hex"):
        Keyed.from_file(tmp_path / "bad")
    with pytest.raises(RadbankError, match="not found"):
        Keyed.from_file(tmp_path / "none")
    keyed = Keyed.from_file(key)
    assert keyed.pseudonym("patient", "HC1") == keyed.pseudonym("patient", " HC1 ") != keyed.pseudonym("patient", "HC2")
    assert len(keyed.uid("1.2.3")) <= 64
    assert key.read_text().strip() not in repr(keyed)


def test_cli_dry_run_audit_and_key_never_printed(phi: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_hex = (phi / "key").read_text().strip()
    args = ["anonymize", "dicom", str(phi / "in"), str(tmp_path / "out"), "--key", str(phi / "key"), "--workers", "1"]
    assert main([*args, "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "PatientName" in plan
    assert "keyed pseudonym" in plan
    assert not (tmp_path / "out").exists()
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "audit passed" in captured.out
    assert "6 written" in captured.out
    work = tmp_path / "out.deid"
    assert (work / "audit.json").exists()
    assert (work / "audit.html").exists()
    files = [p for p in [*tmp_path.rglob("*"), *work.rglob("*")] if p.is_file()]
    assert len(files) > 6  # the outputs and the reports
    for path in files:
        assert key_hex not in path.read_bytes().decode("latin-1")
    assert key_hex not in captured.out + captured.err
    # A leak planted afterwards is found, named by place and kind, and fails the audit (exit 1, as README says).
    victim = next((tmp_path / "out").rglob("*.dcm"))
    ds = pydicom.dcmread(victim)
    ds.ImageComments = "reviewed for " + str(pydicom.dcmread(next((phi / "in").rglob("*.dcm"))).PatientName)
    ds.save_as(victim, enforce_file_format=True)
    assert main(["audit", str(phi / "in"), str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "LEAK" in err
    assert "(0020,4000)" in err
    assert "name from PatientName" in err
