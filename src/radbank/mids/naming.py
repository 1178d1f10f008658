"""MIDS file names: `sub-<label>_ses-<label>[_acq-<label>][_run-<index>][_bp-<label>][_vp-<label>]_<modality>.<ext>`.

Entity order as in BIMCV-COVID19+'s files (`sub-S04079_ses-E08254_acq-2_run-1_bp-chest_vp-pa_dx.png`, quoted in
suinleelab/cxr_covid data/make_csv_bimcv_positive.py) and dcm2mids's `[sub, ses, run, bp, lat, vp, chunk, mod]`
(BIMCV-CSUSP/dcm2mids src/dcm2mids/procedures/general_radiology/general_radiology_procedure.py, get_name);
labels are alphanumeric as in BIDS. Folders: `radbank.mids.layouts`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

ENTITIES = ("sub", "ses", "acq", "run", "bp", "lat", "vp", "chunk")
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
    r"(?:_bp-(?P<bp>[A-Za-z0-9]+))?(?:_lat-(?P<lat>[A-Za-z0-9]+))?(?:_vp-(?P<vp>[A-Za-z0-9]+))?"
    r"(?:_chunk-(?P<chunk>[0-9]+))?_(?P<suffix>[A-Za-z0-9]+)(?P<ext>\.[A-Za-z0-9.]+)$"
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
    lat: str | None = None  # dcm2mids: Laterality (0020,0060)
    chunk: int | None = None  # dcm2mids: InstanceNumber of a multi-instance series

    def filename(self) -> str:
        parts = [f"sub-{self.sub}", f"ses-{self.ses}"]
        parts += [f"acq-{self.acq}"] if self.acq else []
        parts += [f"run-{self.run}"] if self.run is not None else []
        parts += [f"bp-{self.bp}"] if self.bp else []
        parts += [f"lat-{self.lat}"] if self.lat else []
        parts += [f"vp-{self.vp}"] if self.vp else []
        parts += [f"chunk-{self.chunk}"] if self.chunk is not None else []
        return "_".join(parts) + f"_{self.suffix}{self.ext}"

    def stem(self) -> str:
        return self.filename()[: -len(self.ext)]


def parse_name(filename: str) -> ImageName | None:
    """Entities of a MIDS image or sidecar file name, or None when it does not follow the pattern."""
    m = _NAME.match(filename)
    if not m:
        return None
    g = m.groupdict()
    return ImageName(
        g["sub"],
        g["ses"],
        g["suffix"],
        g["ext"],
        g["acq"],
        int(g["run"]) if g["run"] else None,
        g["bp"],
        g["vp"],
        g["lat"],
        int(g["chunk"]) if g["chunk"] else None,
    )


def label(value: object, max_len: int = 16) -> str:
    """A BIDS label from any identifier: its letters and digits; a short digest when long or empty."""
    text = re.sub(r"[^A-Za-z0-9]", "", str(value))
    if not text or len(text) > max_len:
        return hashlib.sha256(str(value).encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return text


def view_label(view: str) -> str | None:
    """The vp- label of a DICOM View Position (None when absent or unknown)."""
    return VIEWS.get(str(view).strip().upper()) if view and str(view).strip() else None
