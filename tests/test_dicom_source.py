"""DICOM folders as a dataset: header indexing, labels from folders or a table, decoding, training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import voi_lut_item, write_dicom
from radbank.config import TrainConfig
from radbank.errors import RadbankError
from radbank.io import read_image
from radbank.phantom import plan_cases, render
from radbank.sources.dicom_dir import DicomOptions, dicom_age, read_dicom_dir
from radbank.sources.open import detect_source
from radbank.train import train


def _radiograph(case_index: int, label: int) -> np.ndarray:
    case = next(c for c in plan_cases(80, seed=1) if c.label == label and c.index >= case_index)
    return render(case, seed=1)


def make_dicom_tree(root: Path, n: int = 24) -> list[Path]:
    """Phantom radiographs as 12-bit DX/CR files in class folders, in three photometric flavours."""
    paths = []
    for i in range(n):
        label = i % 2
        pixels = _radiograph(i, label).astype(np.uint16) * 16  # 8 -> 12 bits
        folder = root / ("Pneumothorax" if label else "No-Finding")
        kind = i % 3
        attrs = {
            "PatientID": f"P{i // 2:03d}",
            "StudyInstanceUID": f"1.2.3.{i}",
            "ViewPosition": "PA",
            "PatientAge": f"{40 + i:03d}Y",
            "PatientSex": "F",
            "SOPInstanceUID": f"1.2.3.4.{i}",
        }
        if kind == 0:  # MONOCHROME1: stored inverted
            paths.append(
                write_dicom(folder / f"{i}.dcm", 4095 - pixels, photometric="MONOCHROME1", modality="CR", **attrs)
            )
        elif kind == 1:  # a window on 12-bit data
            paths.append(write_dicom(folder / f"{i}", pixels, WindowCenter=2048, WindowWidth=4096, **attrs))
        else:  # a VOI LUT: identity ramp 0..4095 -> 0..255
            lut = (np.arange(4096) // 16).tolist()
            paths.append(
                write_dicom(folder / f"{i}.dcm", pixels, VOILUTSequence=[voi_lut_item([4096, 0, 8], lut)], **attrs)
            )
    return paths


def test_index_and_labels_from_folders(tmp_path: Path) -> None:
    make_dicom_tree(tmp_path / "dcm")
    (tmp_path / "dcm" / "No-Finding" / "readme.txt").write_text("not DICOM")
    write_dicom(tmp_path / "dcm" / "No-Finding" / "mr.dcm", np.zeros((8, 8), np.uint16), modality="MR")
    rec = read_dicom_dir(tmp_path / "dcm", workers=1)
    assert rec.task == "binary"
    assert rec.class_names == ["No-Finding", "Pneumothorax"]
    assert len(rec) == 24
    assert set(rec.table["patient"]) == {f"P{i:03d}" for i in range(12)}
    assert rec.table["age"].min() == 40
    assert set(rec.table["view"]) == {"PA"}
    reasons = {Path(p).name: r for p, r in rec.skipped}
    assert "not a readable DICOM" in reasons["readme.txt"]
    assert "modality MR" in reasons["mr.dcm"]
    assert detect_source(tmp_path / "dcm") == "dicom"


def test_three_photometric_flavours_decode_alike(tmp_path: Path) -> None:
    paths = make_dicom_tree(tmp_path / "dcm", n=6)
    original = _radiograph(0, 0).astype(np.float32)
    # No window in the file: the display range is the image's own min-max, inverted back for MONOCHROME1.
    expected = (original - original.min()) / (original.max() - original.min())
    np.testing.assert_allclose(read_image(paths[0]), expected, atol=1e-6)
    lut_image = read_image(paths[2])  # VOI LUT to 8 bits: the original 8-bit values
    np.testing.assert_allclose(lut_image, _radiograph(2, 0).astype(np.float32) / 255, atol=1 / 255)


def test_labels_from_a_table(tmp_path: Path) -> None:
    make_dicom_tree(tmp_path / "dcm", n=12)
    table = pd.DataFrame(
        {
            "SOPInstanceUID": [f"1.2.3.4.{i}" for i in range(10)],
            "Pneumothorax": ["1", "0", "", "1", "0", "-1", "1", "0", "1", "0"],
            "Effusion": ["0"] * 10,
        }
    )
    table.to_csv(tmp_path / "labels.csv", index=False)
    rec = read_dicom_dir(tmp_path / "dcm", DicomOptions(label_table=str(tmp_path / "labels.csv")), workers=1)
    assert rec.task == "multilabel"
    assert rec.label_names == ["Pneumothorax", "Effusion"]
    assert len(rec) == 10
    ptx = dict(zip(rec.table["SOPInstanceUID"], rec.labels[:, 0], strict=True))
    assert np.isnan(ptx["1.2.3.4.2"]) and np.isnan(ptx["1.2.3.4.5"])  # blank and -1 (uncertain) are unknown
    assert ptx["1.2.3.4.0"] == 1
    assert ptx["1.2.3.4.1"] == 0
    assert sum("not in the label table" in r for _, r in rec.skipped) == 2
    nih_style = pd.DataFrame(
        {
            "path": [f"Pneumothorax/{i}.dcm" for i in (3, 9)] + ["No-Finding/0.dcm"],
            "Finding Labels": ["Pneumothorax", "Pneumothorax|Effusion", "No Finding"],
        }
    )
    nih_style.to_csv(tmp_path / "nih.csv", index=False)
    rec2 = read_dicom_dir(tmp_path / "dcm", DicomOptions(label_table=str(tmp_path / "nih.csv")), workers=1)
    assert rec2.label_names == ["Effusion", "Pneumothorax"]
    assert rec2.labels.sum() == 3
    (tmp_path / "bad.csv").write_text("name,label\na,b\n")
    with pytest.raises(RadbankError, match="needs one key column"):
        read_dicom_dir(tmp_path / "dcm", DicomOptions(label_table=str(tmp_path / "bad.csv")), workers=1)


def test_dicom_age_strings() -> None:
    assert dicom_age("045Y") == 45
    assert dicom_age("006M") == 0.5
    assert np.isnan(dicom_age("45"))


def test_train_on_dicom_folder(tmp_path: Path) -> None:
    make_dicom_tree(tmp_path / "dcm", n=24)
    res = train(TrainConfig(data=str(tmp_path / "dcm"), out=str(tmp_path / "run"), size=32, epochs=1, workers=1))
    assert res.data is not None
    assert res.data.records.source == "dicom"
    split = pd.read_csv(tmp_path / "run" / "split.csv")
    assert not set(split.patient[split.split == "train"]) & set(split.patient[split.split == "val"])


@pytest.mark.parametrize(
    "name",
    [
        "MR_small_RLE.dcm",
        "MR_small_jp2klossless.dcm",
        "MR_small_jpeg_ls_lossless.dcm",
        "MR_small_bigendian.dcm",
        "MR_small_implicit.dcm",
    ],
)
def test_bundled_transfer_syntaxes_decode_losslessly(name: str) -> None:
    from pydicom.data import get_testdata_file

    reference, other = get_testdata_file("MR_small.dcm", download=False), get_testdata_file(name, download=False)
    if reference is None or other is None:
        pytest.skip("pydicom test file not bundled")
    np.testing.assert_array_equal(read_image(other), read_image(reference))


def test_bundled_lossy_jpeg_12_bit() -> None:
    from pydicom.data import get_testdata_file

    path = get_testdata_file("JPGExtended.dcm", download=False)
    if path is None:
        pytest.skip("pydicom test file not bundled")
    img = read_image(path)
    assert img.shape == (1024, 256)
    assert 0 <= img.min() < img.max() <= 1


def write_garbage_deflated(path: Path, like: Path) -> Path:
    """A DICOM file in Deflated Explicit VR Little Endian whose deflated data set is garbage."""
    import struct

    import pydicom
    from pydicom.uid import DeflatedExplicitVRLittleEndian

    ds = pydicom.dcmread(like)
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    ds.save_as(path, enforce_file_format=True)
    raw = bytearray(path.read_bytes())
    start = raw.index(b"DICM") + 4
    end = start + 12 + struct.unpack("<I", raw[start + 8 : start + 12])[0]  # after the File Meta group
    path.write_bytes(bytes(raw[:end]) + b"\x00not a deflate stream" * 20)
    return path


def test_garbage_deflated_dicom_is_skipped_by_index_export_and_rerun(tmp_path: Path) -> None:
    from radbank.cli import main

    paths = make_dicom_tree(tmp_path / "dcm", n=8)
    bad = write_garbage_deflated(tmp_path / "dcm" / "Pneumothorax" / "bad.dcm", paths[1])
    rec = read_dicom_dir(tmp_path / "dcm", workers=1)
    reasons = {Path(p).name: r for p, r in rec.skipped}
    assert reasons["bad.dcm"].startswith("corrupt deflated DICOM data (zlib:")
    for _ in range(2):  # the rerun resumes and skips it the same way
        assert main(["mids", "export", str(tmp_path / "dcm"), str(tmp_path / "mids"), "--workers", "1", "-q"]) == 0
    from radbank.mids.export import _write_image

    status, reason = _write_image((str(bad), str(tmp_path / "x" / "a.png"), "cr", "chest", "PA", 0.0, 0.0, "keyword"))
    assert status == "skipped"
    assert (reason or "").startswith("corrupt deflated DICOM data (zlib:")  # the export's own check, not via the index
    assert not list((tmp_path / "x").glob("*.png"))  # nothing half-written
