"""Read one image file as grayscale, whatever it is: PNG/JPEG/TIFF/BMP (8- or 16-bit) or DICOM.

The format is sniffed from the content, never trusted from the extension. Every failure is a
`BadInput` naming the file and the reason (truncated, not an image, too large...).
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from radbank.errors import BadInput

# A sane upper bound for one radiograph (a 43x43 cm detector at 0.05 mm is ~74 Mpx).
DEFAULT_MAX_PIXELS = 80_000_000
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".dcm", ".dicom", ".dic", ""}
PIL_FORMATS = {"PNG", "JPEG", "TIFF", "BMP", "MPO"}


PREAMBLE, DICOM_HEAD = 128, 132  # DICOM Part 10: a 128-byte preamble, then "DICM"
UINT8_MAX = 255
PNG_CHUNK_HEADER = 8  # length (4 bytes) + type (4 bytes)
MAX_SIGNIFICANT_BITS = 16


def sniff_format(path: str | Path) -> str:
    """Return 'dicom', 'pil' or 'unknown' from the file's first bytes (and a .dcm suffix)."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(132)
    except IsADirectoryError:
        raise BadInput(p, "is a folder, not an image") from None
    except OSError as exc:
        raise BadInput(p, f"cannot open ({exc.strerror or exc})") from None
    return sniff_head(head, p)


def sniff_head(head: bytes, name: str | Path) -> str:
    """'dicom', 'pil' or 'unknown' from a file's first 132 bytes (and a .dcm suffix of its name)."""
    if not head:
        raise BadInput(name, "empty file (0 bytes)")
    if len(head) >= DICOM_HEAD and head[PREAMBLE:DICOM_HEAD] == b"DICM":
        return "dicom"
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM")):
        return "pil"
    if Path(name).suffix.lower() in {".dcm", ".dicom", ".dic"}:
        return "dicom"  # DICOM without the 128-byte preamble (read with force=True)
    return "unknown"


def load_gray_bytes(
    data: bytes, name: str, max_pixels: int = DEFAULT_MAX_PIXELS, draft: int | None = None
) -> tuple[Image.Image, object | None]:
    """`load_gray` for an image held in memory (an upload); also returns the DICOM dataset, if it is one."""
    kind = sniff_head(data[:132], name)
    if kind == "dicom":
        from radbank.io.dicom import read_dicom_bytes

        arr, ds = read_dicom_bytes(data, name, max_pixels)
        return Image.fromarray(arr, mode="F"), ds
    if kind != "pil":
        raise BadInput(name, "not an image (unrecognised content; expected PNG, JPEG, TIFF, BMP or DICOM)")
    return _load_pil(io.BytesIO(data), Path(name), max_pixels, draft), None


def load_gray(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS, draft: int | None = None) -> Image.Image:
    """Open an image file as a PIL image in mode 'L' (8-bit) or 'F' (float in [0, 1]).

    `draft` lets JPEG decoding shrink by DCT scaling while staying >= draft pixels a side.
    """
    kind = sniff_format(path)
    if kind == "dicom":
        from radbank.io.dicom import read_dicom

        arr, _ = read_dicom(path, max_pixels, force=Path(path).suffix.lower() in {".dcm", ".dicom", ".dic"})
        return Image.fromarray(arr, mode="F")
    if kind != "pil":
        raise BadInput(path, "not an image (unrecognised content; expected PNG, JPEG, TIFF, BMP or DICOM)")
    return _load_pil(Path(path), Path(path), max_pixels, draft)


def read_image(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> NDArray[Any]:
    """Read an image file as a float32 array in [0, 1] at its native size."""
    img = load_gray(path, max_pixels)
    arr = np.asarray(img, dtype=np.float32)
    return arr / 255.0 if img.mode == "L" else arr


def _load_pil(source: Path | BinaryIO, path: Path, max_pixels: int, draft: int | None) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(source)
            if img.format not in PIL_FORMATS:
                raise BadInput(path, f"unsupported image format {img.format}")
            w, h = img.size
            if w * h > max_pixels:
                raise BadInput(path, f"image too large ({w}x{h} pixels > limit {max_pixels})")
            if draft and img.format == "JPEG":
                img.draft("L", (draft, draft))
            img.load()
    except BadInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadInput(path, f"image too large (decompression bomb guard: {exc})") from None
    except UnidentifiedImageError:
        raise BadInput(path, "not an image (cannot identify image file)") from None
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        reason = str(exc) or type(exc).__name__
        if "truncated" in reason or "broken" in reason or isinstance(exc, (SyntaxError, struct.error)):
            reason = f"truncated or corrupt image ({reason})"
        raise BadInput(path, reason) from None
    return _to_gray(img, source)


def _to_gray(img: Image.Image, source: Path | BinaryIO) -> Image.Image:
    mode = img.mode
    if mode == "L":
        return img
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        arr = np.asarray(img).astype(np.float32)
        bits = _png_significant_bits(source) if img.format == "PNG" else None
        if bits is None:
            bits = 16 if mode.startswith("I;16") or arr.max() > UINT8_MAX else 8
        return Image.fromarray(np.clip(arr / float(2**bits - 1), 0.0, 1.0), mode="F")
    if mode == "F":
        arr = np.asarray(img, dtype=np.float32)
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        scaled = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
        return Image.fromarray(np.nan_to_num(scaled).astype(np.float32), mode="F")
    if mode in ("LA", "La"):
        return img.getchannel(0)
    return img.convert("L")  # 1, P, RGB, RGBA, CMYK, YCbCr: ITU-R 601-2 luma


def _rewound(fh: BinaryIO) -> BinaryIO:
    fh.seek(0)
    return fh


def _png_significant_bits(source: Path | BinaryIO) -> int | None:
    """The sBIT chunk of a grayscale PNG (e.g. 12 for 12-bit data stored in 16 bits), if any."""
    try:
        with open(source, "rb") if isinstance(source, Path) else _rewound(source) as fh:
            fh.read(8)
            while True:
                header = fh.read(8)
                if len(header) < PNG_CHUNK_HEADER:
                    return None
                length, ctype = struct.unpack(">I4s", header)
                if ctype == b"sBIT":
                    data = fh.read(length)
                    return int(data[0]) if data and 1 <= data[0] <= MAX_SIGNIFICANT_BITS else None
                if ctype in (b"IDAT", b"IEND"):
                    return None
                fh.seek(length + 4, 1)
    except OSError:
        return None
