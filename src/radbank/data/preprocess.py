"""Preprocessing to the working size: grayscale, resize, 8-bit. Normalisation happens on tensors."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from radbank.badinput import file_warnings, one_line
from radbank.errors import BadInput
from radbank.io import DEFAULT_MAX_PIXELS, load_gray

# Bump when decoding or resizing changes what lands in the cache.
PREPROCESS_VERSION = 1
FITS = ("stretch", "pad")
MIN_SIZE, MAX_SIZE = 8, 2048  # working size in pixels


@dataclass(frozen=True)
class Preprocess:
    """How a source image becomes a size x size uint8 array (grayscale, [0, 255])."""

    size: int = 100
    fit: str = "stretch"  # "stretch" (the tutorial's resize) or "pad" (keep aspect, pad black)
    version: int = PREPROCESS_VERSION

    def __post_init__(self) -> None:
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE}, not {self.size}")
        if self.fit not in FITS:
            raise ValueError(f"fit must be one of {', '.join(FITS)}, not {self.fit!r}")

    def digest(self) -> str:
        """A short hash naming this setting (the cache key's preprocessing part)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def preprocess_image(img: Image.Image, pp: Preprocess) -> NDArray[Any]:
    """Resize a grayscale PIL image (mode 'L' or 'F' in [0, 1]) to a uint8 pp.size square."""
    if pp.fit == "pad":
        img = _pad_square(img)
    out = img.resize((pp.size, pp.size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    arr = np.asarray(out)
    if out.mode == "F":
        arr = np.clip(arr * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr, dtype=np.uint8)


def preprocess_file(path: str | Path, pp: Preprocess, max_pixels: int = DEFAULT_MAX_PIXELS) -> NDArray[Any]:
    """Decode one file and preprocess it; raises BadInput."""
    return preprocess_image(load_gray(path, max_pixels, draft=pp.size), pp)


class Decoded(NamedTuple):
    """What a worker sends back for one file: the array, or why not; and the decoder's warnings."""

    array: NDArray[Any] | None
    reason: str | None
    permanent: bool  # False for failures that may not recur (memory, a decoder bug): not remembered
    warnings: list[str]  # pydicom/Pillow warnings raised while reading, one line each (see badinput)


def decode_task(args: tuple[str, Preprocess, int]) -> Decoded:
    """Worker-side decode, never raising for a bad file (the parent logs reasons and warnings)."""
    path, pp, max_pixels = args
    with file_warnings(path, emit=False) as notes:
        try:
            arr = preprocess_file(path, pp, max_pixels)
        except BadInput as exc:
            return Decoded(None, exc.reason, True, notes)
        except MemoryError:
            return Decoded(None, "out of memory while decoding", False, notes)
        except Exception as exc:  # a decoder bug must not stop the batch
            return Decoded(None, f"cannot decode ({type(exc).__name__}: {one_line(str(exc))})", False, notes)
    return Decoded(arr, None, True, notes)


def _pad_square(img: Image.Image) -> Image.Image:
    w, h = img.size
    if w == h:
        return img
    side = max(w, h)
    canvas = Image.new(img.mode, (side, side), 0)
    canvas.paste(img, ((side - w) // 2, (side - h) // 2))
    return canvas
