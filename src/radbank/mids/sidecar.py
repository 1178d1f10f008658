"""What goes into an image's JSON sidecar, and the image written beside it.

Only acquisition facts that do not identify a person or a site: modality, body part, view, technique
(kVp, mAs, exposure time, tube current), pixel spacing, matrix and bit depth. No UIDs, dates,
manufacturer, model, station or serial numbers. DICOM pixels are written as a 16-bit PNG of the image
as a viewer shows it (Modality LUT, VOI LUT or window, MONOCHROME1 inverted); PNG inputs are copied.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from radbank.errors import BadInput
from radbank.io import DEFAULT_MAX_PIXELS, sniff_format

TECHNIQUE = ("KVP", "Exposure", "ExposureTime", "XRayTubeCurrent", "ExposureInuAs", "DistanceSourceToDetector")
SPACING = ("PixelSpacing", "ImagerPixelSpacing")
REQUIRED_FIELDS = ("Modality", "BodyPartExamined", "Rows", "Columns", "BitsStored", "PhotometricInterpretation")
RECOMMENDED_FIELDS = ("ViewPosition", "PixelSpacing")
PAIR = 2  # row and column values of a spacing
TEXT = ("Modality", "BodyPartExamined", "ViewPosition", "PatientPosition", "Laterality", "ImageLaterality")


def _number(value: Any) -> float | int | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return int(f) if f.is_integer() else round(f, 6)


def dicom_fields(ds: Any) -> dict[str, Any]:
    """Sidecar fields from a DICOM header."""
    out: dict[str, Any] = {}
    for k in TEXT:
        v = str(ds.get(k, "") or "").strip().upper()
        if v:
            out[k] = v
    for k in TECHNIQUE:
        n = _number(ds.get(k))
        if n is not None:
            out[k] = n
    for k in SPACING:
        v = ds.get(k)
        if v is not None and len(v) == PAIR:
            out[k] = [_number(v[0]), _number(v[1])]
    if "PixelSpacing" not in out and "ImagerPixelSpacing" in out:
        out["PixelSpacing"] = out["ImagerPixelSpacing"]
    out["SourcePhotometricInterpretation"] = str(ds.get("PhotometricInterpretation", "")).strip()
    out["SourceBitsStored"] = int(ds.get("BitsStored", 0) or 0)
    return out


def to_dicom_json(fields: dict[str, Any]) -> dict[str, Any]:
    """Sidecar fields keyed by tag in the DICOM JSON model (PS3.18 F.2: `{"00080060": {"vr": "CS", "Value":
    ["CR"]}}`), as BIMCV-COVID19+'s sidecars are; fields that are not DICOM attributes keep their name."""
    from pydicom.datadict import dictionary_VR, tag_for_keyword

    out: dict[str, Any] = {}
    for key, value in sorted(fields.items()):
        tag = tag_for_keyword(key)
        if tag is None:
            out[key] = value
            continue
        vr = dictionary_VR(tag)
        values = value if isinstance(value, list) else [value]
        out[f"{tag:08X}"] = {"vr": vr, "Value": values}
    return dict(sorted(out.items()))  # tags in ascending order, as DICOM orders them


def convert(src: str, dst: Path) -> dict[str, Any]:
    """Write `src` as the PNG `dst` (a temporary path); return the sidecar fields. Raises BadInput."""
    kind = sniff_format(src)
    if kind == "dicom":
        from radbank.io.dicom import read_dicom

        arr, ds = read_dicom(src, DEFAULT_MAX_PIXELS, force=Path(src).suffix.lower() in {".dcm", ".dicom"})
        fields = dicom_fields(ds)
        img16 = np.round(np.clip(arr, 0.0, 1.0) * 65535.0).astype(np.uint16)
        Image.fromarray(img16).save(dst, format="PNG")
        rows, cols, bits = img16.shape[0], img16.shape[1], 16
    elif kind == "pil":
        try:
            with Image.open(src) as im:
                im.load()
                fmt, mode, (cols, rows) = im.format, im.mode, im.size
                if fmt == "PNG" and mode in ("L", "I;16", "I;16B", "I"):
                    shutil.copyfile(src, dst)
                else:
                    im.convert("L").save(dst, format="PNG")
                    mode = "L"
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise BadInput(src, f"not a readable image ({exc})") from None
        fields = {}
        bits = 8 if mode == "L" else 16
    else:
        raise BadInput(src, "not an image (expected PNG, JPEG or DICOM)")
    fields.update(
        {"Rows": int(rows), "Columns": int(cols), "BitsStored": bits, "PhotometricInterpretation": "MONOCHROME2"}
    )
    return fields
