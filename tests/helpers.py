"""Writers of small test inputs: images of every kind, DICOM files, broken files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image


def gradient(h: int = 40, w: int = 50) -> np.ndarray:
    """A float image in [0, 1] increasing left to right (so orientation and inversion are testable)."""
    return np.tile(np.linspace(0.0, 1.0, w, dtype=np.float32), (h, 1))


def write_png8(path: Path, arr: np.ndarray | None = None) -> Path:
    arr = gradient() if arr is None else arr
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((np.clip(arr, 0, 1) * 255).round().astype(np.uint8), mode="L").save(path)
    return path


def write_png16(path: Path, arr: np.ndarray | None = None, sbit: int | None = None) -> Path:
    """A 16-bit grayscale PNG, optionally with an sBIT chunk (significant bits)."""
    arr = gradient() if arr is None else arr
    top = 2 ** (sbit or 16) - 1
    data = (np.clip(arr, 0, 1) * top).round().astype(">u2")
    h, w = data.shape

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row.tobytes() for row in data)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 0, 0, 0, 0))
    if sbit:
        png += chunk(b"sBIT", bytes([sbit]))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return path


def write_huge_png_header(path: Path, w: int = 200_000, h: int = 200_000) -> Path:
    """A PNG whose header claims an enormous image (a decompression bomb's first bytes)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(png)
    return path


def write_truncated_png(path: Path) -> Path:
    full = path.with_suffix(".full.png")
    write_png8(full, np.random.default_rng(0).random((64, 64)))
    data = full.read_bytes()
    full.unlink()
    path.write_bytes(data[: len(data) // 2])
    return path


def write_dicom(
    path: Path,
    stored: np.ndarray,
    photometric: str = "MONOCHROME2",
    bits_stored: int = 12,
    signed: bool = False,
    modality: str = "DX",
    pixel_data: bool = True,
    preamble: bool = True,
    **attrs: Any,
) -> Path:
    """A single-frame DICOM file with the given stored values (uint16/int16) and attributes."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    sop_class = {"CR": "1.2.840.10008.5.1.4.1.1.1", "DX": "1.2.840.10008.5.1.4.1.1.1.1"}.get(
        modality, "1.2.840.10008.5.1.4.1.1.7"
    )
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    ds.Modality = modality
    ds.PatientName = "Test^Patient"
    ds.PatientID = "TEST001"
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    for key, value in attrs.items():
        setattr(ds, key, value)
    if pixel_data:
        ds.PixelData = stored.astype(np.int16 if signed else np.uint16).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if preamble:
        ds.save_as(path, enforce_file_format=True)
    else:
        ds.save_as(path, enforce_file_format=False)
    return path


def voi_lut_item(descriptor: list[int], data: list[int]) -> Any:
    from pydicom.dataset import Dataset

    item = Dataset()
    item.add_new(0x00283002, "US", descriptor)  # LUTDescriptor (VR US or SS: unsigned here)
    item.add_new(0x00283006, "US", data)  # LUTData (VR US or OW)
    return item
