"""DICOM pixel data to a grayscale float image in [0, 1], the way a viewer would show it.

Order of operations follows PS3.3 C.11: stored values (BitsStored, signedness: pydicom)
-> Modality LUT or Rescale Slope/Intercept -> VOI LUT Sequence or window (first one)
-> MONOCHROME1 / INVERSE presentation inverted. Color images are reduced to luma.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from radbank.errors import BadInput

MONOCHROME = ("MONOCHROME1", "MONOCHROME2")
FloatImage = npt.NDArray[np.float32]
Values = npt.NDArray[np.float64]
COLOR = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT")


def read_dicom(path: str | Path, max_pixels: int, force: bool = False) -> tuple[FloatImage, Any]:
    """Read a DICOM file; return (float32 image in [0, 1], dataset without pixel data decoded twice)."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(str(path), force=force)
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(path, f"not a readable DICOM file ({_short(exc)})") from None
    return dicom_to_float(ds, path, max_pixels), ds


def read_dicom_bytes(data: bytes, name: str, max_pixels: int) -> tuple[FloatImage, Any]:
    """`read_dicom` for a file held in memory (an upload); `name` only labels errors."""
    import io

    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(name, f"not a readable DICOM file ({_short(exc)})") from None
    return dicom_to_float(ds, name, max_pixels), ds


def dicom_to_float(ds: Any, path: str | Path, max_pixels: int) -> FloatImage:
    """Convert a dataset's pixel data to float32 in [0, 1] (see module docstring)."""
    try:
        return _to_float(ds, path, max_pixels)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # attributes whose values do not parse
        raise BadInput(path, f"invalid image attributes ({_short(exc)})") from None


def _to_float(ds: Any, path: str | Path, max_pixels: int) -> FloatImage:
    from pydicom.pixels.processing import apply_modality_lut

    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise BadInput(path, "DICOM file has no pixel data")
    pi = str(ds.get("PhotometricInterpretation", "")).strip().upper()
    if pi not in MONOCHROME + COLOR:
        raise BadInput(path, f"unsupported PhotometricInterpretation {pi or '(missing)'!r}")
    rows, cols = int(ds.get("Rows", 0)), int(ds.get("Columns", 0))
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if rows <= 0 or cols <= 0:
        raise BadInput(path, "DICOM Rows/Columns missing or zero")
    if rows * cols * frames > max_pixels:
        raise BadInput(path, f"image too large ({cols}x{rows}x{frames} pixels > limit {max_pixels})")
    if frames > 1:
        raise BadInput(path, f"multi-frame DICOM ({frames} frames) is not a single radiograph")
    try:
        arr = ds.pixel_array
    except Exception as exc:  # pydicom raises many types for broken/unsupported pixel data
        raise BadInput(path, f"cannot decode DICOM pixel data ({_short(exc)})") from None
    if pi in COLOR:
        rgb: FloatImage = np.asarray(arr, dtype=np.float32)
        luma = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
        top = float(2 ** int(ds.get("BitsStored", 8)) - 1)
        gray: FloatImage = np.clip(luma / top, 0.0, 1.0).astype(np.float32)
        return gray

    values = apply_modality_lut(arr, ds).astype(np.float64)
    if "VOILUTSequence" in ds and len(ds.VOILUTSequence):
        out = voi_lut(values, ds.VOILUTSequence[0], _little_endian(ds))
    elif "WindowCenter" in ds and "WindowWidth" in ds:
        out = window(values, _first(ds.WindowCenter), _first(ds.WindowWidth), str(ds.get("VOILUTFunction", "LINEAR")))
    else:
        lo, hi = float(values.min()), float(values.max())
        out = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    shape = str(ds.get("PresentationLUTShape", "")).upper()
    if pi == "MONOCHROME1" or shape == "INVERSE":
        out = 1.0 - out
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def voi_lut(values: Values, item: Any, little_endian: bool = True) -> Values:
    """Look values up in a VOI LUT item (PS3.3 C.11.2.1.1), output scaled to [0, 1] by the LUT's maximum.

    Values below the first mapped value take the first entry, above the last the last. (pydicom 3.0.2's
    `apply_voi` keeps the indices in the LUT's output type, which overflows for an 8-bit LUT of more
    than 256 entries, the usual case for 12-bit radiographs; hence this lookup.)
    """
    n_entries, first, _bits = (int(v) for v in item.LUTDescriptor)
    n_entries = n_entries or 65536
    raw = item.LUTData
    if isinstance(raw, bytes):  # VR OW: 16-bit words in the dataset's byte order
        data = np.frombuffer(raw, dtype="<u2" if little_endian else ">u2")[:n_entries]
    else:
        data = np.asarray(raw if not isinstance(raw, int) else [raw], dtype=np.float64)
    data = data.astype(np.float64)
    index = np.clip(np.rint(values).astype(np.int64) - first, 0, len(data) - 1)
    return data[index] / max(float(data.max()), 1.0)


def _little_endian(ds: Any) -> bool:
    meta = getattr(ds, "file_meta", None)
    return str(getattr(meta, "TransferSyntaxUID", "")) != "1.2.840.10008.1.2.2"  # Explicit VR Big Endian


def window(values: Values, center: float, width: float, function: str = "LINEAR") -> Values:
    """Apply a DICOM VOI window (PS3.3 C.11.2.1.2) with output range [0, 1]."""
    function = function.strip().upper() or "LINEAR"
    if function == "SIGMOID":
        if width <= 0:
            raise ValueError("window width must be > 0")
        sigmoid: Values = 1.0 / (1.0 + np.exp(-4.0 * (values - center) / width))
        return sigmoid
    if function == "LINEAR_EXACT":
        if width <= 0:
            raise ValueError("window width must be > 0")
        return np.clip((values - center) / width + 0.5, 0.0, 1.0)
    # LINEAR (the default, also used for unknown values)
    if width <= 1.0:
        return (values > center - 0.5).astype(np.float64)
    return np.clip((values - (center - 0.5)) / (width - 1.0) + 0.5, 0.0, 1.0)


def _first(value: Any) -> float:
    """Window Center/Width may be multi-valued: the first pair is the default view."""
    try:
        return float(value[0])
    except TypeError:
        return float(value)


def _short(exc: BaseException) -> str:
    """An exception's whole message on one line (pydicom lists each decoder's failure on a line of its own:
    the first line alone says only that all of them failed)."""
    text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip()).replace(":;", ":")
    return (text or type(exc).__name__)[:400]
