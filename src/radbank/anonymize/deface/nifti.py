"""NIfTI volumes read and written byte-exactly: the output's header and extensions are the input's, byte for byte,
and only the voxels of the face mask change (to the background value, in stored units).

nibabel parses the header; the voxel bytes are handled here, because writing through nibabel recomputes the
scale factors (scl_slope/scl_inter) and would alter every voxel of a scaled volume. `.nii` and `.nii.gz`
(NIfTI-1 and NIfTI-2, either byte order) are read; the gzip magic, not the extension, decides decompression.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from radbank.anonymize.deface.orient import Array
from radbank.errors import BadInput
from radbank.fsutil import atomic_path

GZIP_LEVEL = 1  # as nibabel writes .nii.gz: level 6 took ~3x the CPU for ~10% smaller files
NIFTI1_HEADER, NIFTI2_HEADER = 348, 540  # sizeof_hdr
NIFTI_SUFFIXES = (".nii", ".nii.gz")


def is_nifti_name(path: str | Path) -> bool:
    """True for file names ending in .nii or .nii.gz (any case)."""
    name = str(path).lower()
    return name.endswith(NIFTI_SUFFIXES)


@dataclass
class NiftiVolume:
    """A single-file NIfTI image: its bytes around the data, and the data as stored."""

    source: str
    prefix: bytes  # header + extensions, up to vox_offset
    suffix: bytes  # anything after the voxel data (rare)
    raw: Array  # stored values, on-disk dtype, shape as in the header (Fortran order)
    affine: Array  # voxel -> RAS mm (sform, else qform)
    slope: float
    inter: float
    header: object  # nibabel header (for fields such as descrip, dims)

    def scaled(self) -> Array:
        """Voxel values as float32 (scale factors applied; NaN and inf as 0)."""
        data = self.raw.astype(np.float32)
        if self.slope != 1.0 or self.inter != 0.0:
            data = data * np.float32(self.slope) + np.float32(self.inter)
        return np.nan_to_num(data, copy=False, nan=0.0, posinf=0.0, neginf=0.0)

    def background_raw(self) -> float:
        """The stored value written over the face: 0 when the data reach it, else the minimum."""
        finite = self.raw[np.isfinite(self.raw)] if self.raw.dtype.kind == "f" else self.raw
        if finite.size == 0:
            return 0.0
        low, high = float(finite.min()), float(finite.max())
        return 0.0 if low <= 0.0 <= high else low


def nibabel() -> Any:
    """nibabel, used through Any (its functions are untyped)."""
    import nibabel as nib

    return nib


def _decompress(path: str, data: bytes) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise BadInput(path, f"corrupt or truncated gzip data ({exc})") from None


def read_nifti(path: str | Path) -> NiftiVolume:
    """Read a .nii/.nii.gz file; BadInput with a one-line reason when it cannot be used."""
    nib = nibabel()
    p = str(path)
    try:
        data = Path(p).read_bytes()
    except OSError as exc:
        raise BadInput(p, f"unreadable ({exc.strerror or exc})") from None
    if not data:
        raise BadInput(p, "empty file (0 bytes)")
    buf = _decompress(p, data)
    if len(buf) < NIFTI1_HEADER:
        raise BadInput(p, f"not a NIfTI file ({len(buf)} bytes, shorter than a header)")
    size = int.from_bytes(buf[:4], "little")
    if size not in (NIFTI1_HEADER, NIFTI2_HEADER):
        size = int.from_bytes(buf[:4], "big")
    klass = {NIFTI1_HEADER: nib.Nifti1Header, NIFTI2_HEADER: nib.Nifti2Header}.get(size)
    if klass is None:
        raise BadInput(p, "not a NIfTI file (bad header size)")
    try:
        hdr = klass.from_fileobj(io.BytesIO(buf), check=True)
    except Exception as exc:  # nibabel raises HeaderDataError, ValueError... for damaged headers
        raise BadInput(p, f"not a valid NIfTI header ({str(exc).splitlines()[0][:100]})") from None
    magic = bytes(hdr["magic"]).rstrip(b"\x00")
    if magic not in (b"n+1", b"n+2"):
        raise BadInput(p, "NIfTI header/image pair (.hdr/.img) or Analyze file: convert to a single .nii first")
    shape = tuple(int(n) for n in hdr.get_data_shape())
    dtype = hdr.get_data_dtype()
    offset = int(hdr.get_data_offset())
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(buf) < offset + nbytes:
        raise BadInput(p, f"truncated voxel data ({max(0, len(buf) - offset)} of {nbytes} bytes)")
    if dtype.kind not in "iuf" or dtype.fields is not None:
        raise BadInput(p, f"voxel type {dtype} is not a scalar image (RGB or complex?)")
    raw = np.frombuffer(buf, dtype=dtype, count=int(np.prod(shape)), offset=offset).reshape(shape, order="F")
    slope, inter = hdr.get_slope_inter()
    affine = np.asarray(hdr.get_best_affine(), dtype=np.float64)
    return NiftiVolume(
        p,
        buf[:offset],
        buf[offset + nbytes :],
        raw,
        affine,
        1.0 if slope is None else float(slope),
        0.0 if inter is None else float(inter),
        hdr,
    )


def defaced_bytes(volume: NiftiVolume, face: Array) -> bytes:
    """The file's bytes with the face voxels set to the background (uncompressed)."""
    raw = np.array(volume.raw, copy=True)
    raw[face.reshape(raw.shape)] = volume.background_raw()  # a 3-D mask fits (x, y, z, 1) by trailing ones
    return volume.prefix + raw.tobytes(order="F") + volume.suffix


def write_nifti(path: str | Path, data: bytes) -> None:
    """Write NIfTI bytes atomically, gzip-compressed when the name ends in .gz (deterministic: no timestamp)."""
    payload = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0) if str(path).lower().endswith(".gz") else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
