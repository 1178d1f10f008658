"""De-identification of awkward inputs: undecodable pixel data, odd fragments, duplicate SOP Instance UIDs,
non-UTF-8 file names, pydicom's warnings, a missing folder, a killed run."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset

from helpers import write_dicom
from radbank.anonymize.batch import DeidJob, run_batch
from radbank.anonymize.decodable import expected_native_bytes, pixel_problem
from radbank.anonymize.keys import keygen
from radbank.cli import main
from real_dicom import dcmdump_problem, pydicom_problem

SC = "1.2.840.10008.5.1.4.1.1.7"
JPEG_BASELINE, JPEG_LS, J2K, RLE = (
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.5",
)


def _jpeg(side: int = 32) -> bytes:
    buf = io.BytesIO()
    Image.fromarray((np.arange(side * side).reshape(side, side) % 251).astype(np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def _encapsulated(path: Path, syntax: str, fragments: list[bytes], uid: str, side: int = 32, **attrs: object) -> Path:
    meta = FileMetaDataset()
    meta.TransferSyntaxUID, meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = syntax, SC, uid
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = SC, uid, "OT"
    ds.PatientName, ds.PatientID, ds.BurnedInAnnotation = "Robust^Case", "RB0001", "NO"
    ds.Rows = ds.Columns = side
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    for key, value in attrs.items():
        setattr(ds, key, value)
    ds.PixelData = b"".join(
        [struct.pack("<II", 0xE000FFFE, 0)] + [struct.pack("<II", 0xE000FFFE, len(f)) + f for f in fragments]
    )
    ds["PixelData"].VR, ds["PixelData"].is_undefined_length = "OB", True
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture
def key(tmp_path: Path) -> Path:
    return keygen(tmp_path / "key")


def _results(tmp_path: Path, key: Path, **kw: object) -> dict[str, object]:
    report = run_batch(DeidJob(str(tmp_path / "in"), str(tmp_path / "out"), str(key), workers=1, **kw))  # type: ignore[arg-type]
    return {r.source: r for r in report.files}


def test_undecodable_pixel_data_is_quarantined_or_published_as_is(tmp_path: Path, key: Path) -> None:
    src = tmp_path / "in"
    _encapsulated(src / "j2k.dcm", J2K, [b"\xff\x4f\xff\x51" + b"garbage!" * 8], "1.2.826.0.1.3680043.10.999.8.1")
    _encapsulated(src / "jls.dcm", JPEG_LS, [b"not a JPEG-LS codestream"], "1.2.826.0.1.3680043.10.999.8.2")
    _encapsulated(
        src / "rle.dcm", RLE, [struct.pack("<16I", 9, *([64] * 15)) + b"\x00" * 8], "1.2.826.0.1.3680043.10.999.8.3"
    )
    _encapsulated(src / "good.dcm", JPEG_BASELINE, [_jpeg()], "1.2.826.0.1.3680043.10.999.8.4")
    overrun = _encapsulated(src / "overrun.dcm", JPEG_BASELINE, [_jpeg()], "1.2.826.0.1.3680043.10.999.8.5")
    data = overrun.read_bytes()  # the item claims more bytes than the file holds before its delimiter
    at = data.rindex(b"\xfe\xff\x00\xe0")
    overrun.write_bytes(data[: at + 4] + struct.pack("<I", len(data)) + data[at + 8 :])
    for name, uid, attr in (("bits13.dcm", 6, "BitsAllocated"), ("nopi.dcm", 7, "PhotometricInterpretation")):
        path = write_dicom(
            src / name,
            np.zeros((8, 8), np.uint16),
            BurnedInAnnotation="NO",
            SOPInstanceUID=f"1.2.826.0.1.3680043.10.999.8.{uid}",
        )
        ds = pydicom.dcmread(path)
        if attr == "BitsAllocated":
            ds.BitsAllocated = 13
        else:
            del ds.PhotometricInterpretation
        ds.save_as(path)

    results = _results(tmp_path, key)
    assert results["good.dcm"].status == "written"
    reasons = {name: results[name].reason for name in results if results[name].status == "quarantined"}
    assert set(reasons) == {"j2k.dcm", "jls.dcm", "rle.dcm", "overrun.dcm", "bits13.dcm", "nopi.dcm"}
    assert "frame 1" in reasons["j2k.dcm"]
    assert "RLE header lists 9 segment(s), 1 expected" in reasons["rle.dcm"]
    assert "encapsulation does not parse" in reasons["overrun.dcm"]
    assert "Bits Allocated 13" in reasons["bits13.dcm"]
    assert "Photometric Interpretation missing" in reasons["nopi.dcm"]
    assert len(list((tmp_path / "out").rglob("*.dcm"))) == 1
    assert len(list((tmp_path / "out.deid" / "quarantine").rglob("*.dcm"))) == 6

    kept = run_batch(DeidJob(str(src), str(tmp_path / "kept"), str(key), workers=1, keep_undecodable=True))
    assert kept.counts["written"] == 7
    assert all("published as it is" in r.reason for r in kept.files if r.source != "good.dcm")


def test_odd_length_fragment_is_padded_inside_its_item(tmp_path: Path, key: Path) -> None:
    jpeg = _jpeg()
    if len(jpeg) % 2 == 0:
        jpeg += b"\x00"  # after EOI: decoders ignore it; the fragment is now odd
    path = _encapsulated(tmp_path / "in" / "odd.dcm", JPEG_BASELINE, [jpeg + b"\x00"], "1.2.826.0.1.3680043.10.999.9.1")
    data = path.read_bytes()  # make the fragment's item odd, as some writers do: length L, no pad byte
    at = data.rindex(struct.pack("<II", 0xE000FFFE, len(jpeg) + 1))
    path.write_bytes(
        data[:at]
        + struct.pack("<II", 0xE000FFFE, len(jpeg))
        + data[at + 8 : at + 8 + len(jpeg)]
        + data[at + 9 + len(jpeg) :]
    )
    assert pydicom_problem(path) is None  # a valid input, odd fragment and all
    result = _results(tmp_path, key)["odd.dcm"]
    out = tmp_path / "out" / result.output  # type: ignore[attr-defined]
    assert pydicom_problem(out) is None
    fragment_header = out.read_bytes().rindex(b"\xfe\xff\x00\xe0")
    assert struct.unpack_from("<I", out.read_bytes(), fragment_header + 4)[0] == len(jpeg) + 1
    if shutil.which("dcmdump"):
        assert dcmdump_problem(out) is None


def test_ybr_full_422_expects_two_bytes_per_pixel() -> None:
    ds = Dataset()
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated = 10, 20, 3, 8
    ds.PhotometricInterpretation = "YBR_FULL_422"
    assert expected_native_bytes(ds) == 10 * 20 * 2
    ds.PhotometricInterpretation = "RGB"
    assert expected_native_bytes(ds) == 10 * 20 * 3


def test_duplicate_sop_instance_uid_names_both_files_whatever_the_workers(tmp_path: Path, key: Path) -> None:
    pixels = np.zeros((4, 4), np.uint16)
    for i in range(60):  # enough for worker processes (radbank.parallel starts them from 48 items)
        write_dicom(
            tmp_path / "in" / f"f{i:02d}.dcm",
            pixels,
            BurnedInAnnotation="NO",
            ImageType=["ORIGINAL", "PRIMARY"],
            SOPInstanceUID=f"1.2.826.0.1.3680043.10.999.10.{i}",
        )
    shutil.copy(tmp_path / "in" / "f07.dcm", tmp_path / "in" / "f07-copy.dcm")
    shutil.copy(tmp_path / "in" / "f07.dcm", tmp_path / "in" / "z.dcm")
    runs = []
    for workers in (1, 2):
        report = run_batch(DeidJob(str(tmp_path / "in"), str(tmp_path / f"out{workers}"), str(key), workers=workers))
        runs.append([(r.source, r.status, r.reason, r.output) for r in report.files])
        assert report.counts["written"] == 60
        assert len(list((tmp_path / f"out{workers}").rglob("*.dcm"))) == 60
    assert runs[0] == runs[1]
    skipped = {source: reason for source, status, reason, _ in runs[0] if status == "skipped"}
    assert skipped == {
        "f07.dcm": "duplicate SOP Instance UID: f07-copy.dcm has the same one (and the same output)",
        "z.dcm": "duplicate SOP Instance UID: f07-copy.dcm has the same one (and the same output)",
    }


def test_non_utf8_file_names_and_pydicom_warnings_are_one_line(
    tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    name = os.fsdecode(b"paciente-\xe9\xf1.dcm")  # latin-1 bytes: not UTF-8
    write_dicom(
        src / name,
        np.zeros((4, 4), np.uint16),
        BurnedInAnnotation="NO",
        SOPInstanceUID="1.2.826.0.1.3680043.10.999.11.1",
    )
    odd = write_dicom(
        src / "odd.dcm",
        np.zeros((4, 4), np.uint16),
        BurnedInAnnotation="NO",
        SOPInstanceUID="1.2.826.0.1.3680043.10.999.11.2",
    )
    ds = pydicom.dcmread(odd)
    ds.add_new(0x00081030, "LO", "x" * 90)  # longer than LO allows: pydicom warns when it reads it
    ds.save_as(odd)
    args = ["anonymize", "dicom", str(src), str(tmp_path / "out"), "--key", str(key), "--workers", "1"]
    assert main(args) == 0
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if "pydicom" in line]
    assert warned == [
        "radbank: warning: odd.dcm: pydicom: The value length (90) exceeds the maximum length of 64 allowed for VR LO."
    ]
    report = json.loads((tmp_path / "out.deid" / "deid-report.json").read_text(encoding="utf-8"))
    assert "paciente-\\xe9\\xf1.dcm" in {f["source"] for f in report["files"] if f["status"] == "written"}
    assert main(["audit", str(src), str(tmp_path / "out")]) == 0


def test_audit_of_a_missing_folder_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    assert main(["audit", str(tmp_path / "in"), str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"radbank: error: {tmp_path / 'nope'}: output folder not found"]


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            found |= {int(child)} | _descendants(int(child))
    return found


def _alive(pid: int) -> bool:
    try:
        return " Z " not in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_workers_die_with_a_killed_parent(tmp_path: Path, key: Path) -> None:
    for i in range(400):
        write_dicom(
            tmp_path / "in" / f"f{i:03d}.dcm",
            np.zeros((64, 64), np.uint16),
            BurnedInAnnotation="NO",
            ImageType=["ORIGINAL", "PRIMARY"],
            SOPInstanceUID=f"1.2.826.0.1.3680043.10.999.12.{i}",
        )
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "radbank",
        "anonymize",
        "dicom",
        str(tmp_path / "in"),
        str(out),
        "--key",
        str(key),
        "--workers",
        "2",
        "--no-audit",
        "-q",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(out.rglob("*.dcm")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    workers = _descendants(proc.pid)
    assert proc.poll() is None, "finished before it could be killed: give it more files"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(1.0)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    time.sleep(3.0)
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    assert workers
    assert [pid for pid in workers if _alive(pid)] == []
    assert after == before
    assert pixel_problem(pydicom.dcmread(next(out.rglob("*.dcm")))) is None  # what was published is whole


def test_io_reports_bad_attributes_and_every_decoder_failure(tmp_path: Path) -> None:
    import pydicom.data

    from radbank.errors import BadInput
    from radbank.io.images import load_gray

    bad = Path(pydicom.data.__file__).parent / "test_files" / "badVR.dcm"  # Rows is "1A": not a number
    with pytest.raises(BadInput, match="invalid image attributes"):
        load_gray(bad)
    broken = _encapsulated(
        tmp_path / "j2k.dcm", J2K, [b"\xff\x4f\xff\x51" + b"garbage!" * 8], "1.2.826.0.1.3680043.10.999.13.1"
    )
    with pytest.raises(BadInput) as caught:
        load_gray(broken)
    message = str(caught.value)
    assert "\n" not in message
    assert "pylibjpeg:" in message  # each decoder's own words, not only "all plugins failed"
