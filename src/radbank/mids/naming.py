"""MIDS names: folders `sub-<label>/ses-<label>/mim-<group>/` and files
`sub-<label>_ses-<label>[_acq-<label>][_run-<index>][_bp-<label>][_vp-<label>]_<modality>.<ext>`.

Entity order and keys follow BIMCV's MIDS specification (github.com/BIMCV-CSUSP/MIDS) and its
converter dcm2mids; labels are alphanumeric as in BIDS.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

ENTITIES = ("sub", "ses", "acq", "run", "bp", "vp")
# DICOM Modality -> MIDS modality group folder (Table 5 of the MIDS specification).
GROUPS = {
    "cr": "rx",
    "dx": "rx",
    "rg": "rx",
    "bmd": "rx",
    "io": "rx",
    "px": "rx",
    "mg": "rx",
    "rf": "rx",
    "xa": "rx",
    "ct": "rx",
    "mr": "mr",
    "us": "us",
}
IMAGE_EXTENSIONS = (".png", ".nii.gz", ".nii", ".jpg")
VIEWS = {  # DICOM View Position (0018,5101) -> MIDS vp- label
    "PA": "pa",
    "AP": "ap",
    "LL": "ll",
    "RL": "rl",
    "LLD": "lld",
    "RLD": "rld",
    "LAO": "llo",
    "RAO": "rlo",
    "LPO": "llo",
    "RPO": "rlo",
    "LATERAL": "ll",
    "LAT": "ll",
}
_NAME = re.compile(
    r"^sub-(?P<sub>[A-Za-z0-9]+)_ses-(?P<ses>[A-Za-z0-9]+)"
    r"(?:_acq-(?P<acq>[A-Za-z0-9]+))?(?:_run-(?P<run>[0-9]+))?"
    r"(?:_bp-(?P<bp>[A-Za-z0-9]+))?(?:_vp-(?P<vp>[A-Za-z0-9]+))?"
    r"_(?P<suffix>[A-Za-z0-9]+)(?P<ext>\.[A-Za-z0-9.]+)$"
)


@dataclass(frozen=True)
class ImageName:
    """The entities of one image file name."""

    sub: str
    ses: str
    suffix: str
    ext: str = ".png"
    acq: str | None = None
    run: int | None = None
    bp: str | None = None
    vp: str | None = None

    def filename(self) -> str:
        parts = [f"sub-{self.sub}", f"ses-{self.ses}"]
        parts += [f"acq-{self.acq}"] if self.acq else []
        parts += [f"run-{self.run}"] if self.run is not None else []
        parts += [f"bp-{self.bp}"] if self.bp else []
        parts += [f"vp-{self.vp}"] if self.vp else []
        return "_".join(parts) + f"_{self.suffix}{self.ext}"

    def stem(self) -> str:
        return self.filename()[: -len(self.ext)]


def parse_name(filename: str) -> ImageName | None:
    """Entities of a MIDS image or sidecar file name, or None when it does not follow the pattern."""
    m = _NAME.match(filename)
    if not m:
        return None
    g = m.groupdict()
    return ImageName(g["sub"], g["ses"], g["suffix"], g["ext"], g["acq"], int(g["run"]) if g["run"] else None,
                     g["bp"], g["vp"])  # fmt: skip


def label(value: object, max_len: int = 16) -> str:
    """A BIDS label from any identifier: its letters and digits; a short digest when long or empty."""
    text = re.sub(r"[^A-Za-z0-9]", "", str(value))
    if not text or len(text) > max_len:
        return hashlib.sha256(str(value).encode()).hexdigest()[:10]
    return text


def view_label(view: str) -> str | None:
    """The vp- label of a DICOM View Position (None when absent or unknown)."""
    return VIEWS.get(str(view).strip().upper()) if view and str(view).strip() else None


def group_folder(modality: str, prefix: str = "mim") -> str:
    """The modality-group folder of a DICOM modality, e.g. CR -> mim-rx."""
    return f"{prefix}-{GROUPS.get(modality.lower(), modality.lower())}"
