"""DICOM MR series as volumes: slices sorted along their normal, the voxel-to-RAS affine from Image Position and
Orientation (Patient) and Pixel Spacing, and defaced pixels written back into each slice's dataset.

`series_volume` checks a series (one orientation, one matrix, distinct evenly spaced positions: repeated
positions are a 4-D series) and returns its stored values and affine. `deface_series` is the entry point for
any DICOM batch: it defaces a series' datasets in place (pixels only; stored values outside the face are untouched,
compressed pixel data is decompressed first), sets Recognizable Visual Features (0028,0302) to NO and returns
the QC; header de-identification stays the caller's (`mark_defaced` adds the PS3.15 option code afterwards).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from radbank.anonymize.deface.checks import volume_problem
from radbank.anonymize.deface.contrast import contrast_from_dicom
from radbank.anonymize.deface.core import DefaceResult, deface_array
from radbank.anonymize.deface.heads import HEAD_PARTS, is_head_mr
from radbank.anonymize.deface.orient import Array

ORIENTATION_TOLERANCE = 1e-3  # direction cosines; also the smallest slice gap, as a share of the median gap
SPACING_TOLERANCE = 0.1  # slice gaps may differ by 10% of the median
VISUAL_FEATURES_CODE = ("113102", "Clean Recognizable Visual Features Option")
__all__ = [
    "HEAD_PARTS",
    "SeriesProblem",
    "SeriesVolume",
    "deface_series",
    "is_head_mr",
    "mark_defaced",
    "series_volume",
]


class SeriesProblem(Exception):
    """A series that cannot be defaced; the message is the one-line reason."""


@dataclass
class SeriesVolume:
    """A series' slices in position order, their stored values (rows, columns, slices) and the affine."""

    datasets: list[Any]
    raw: Array
    scaled: Array
    affine: Array


def _geometry(datasets: list[Any]) -> tuple[list[Any], Array]:
    """Slices sorted along the normal, and the voxel (row, column, slice) -> RAS affine."""
    try:
        iops = np.array([[float(v) for v in ds.ImageOrientationPatient] for ds in datasets])
        ipps = np.array([[float(v) for v in ds.ImagePositionPatient] for ds in datasets])
        dr, dc = (float(v) for v in datasets[0].PixelSpacing)
    except (AttributeError, TypeError, ValueError) as exc:
        raise SeriesProblem(f"no usable slice geometry (Image Position/Orientation, Pixel Spacing: {exc})") from None
    if np.abs(iops - iops[0]).max() > ORIENTATION_TOLERANCE:
        raise SeriesProblem("slices with different orientations (a localizer or a multi-planar series)")
    x, y = iops[0][:3], iops[0][3:]
    normal = np.cross(x, y)
    order = np.argsort(ipps @ normal)
    pos = (ipps @ normal)[order]
    gaps = np.diff(pos)
    if len(datasets) > 1 and gaps.min() < ORIENTATION_TOLERANCE * max(1.0, abs(float(np.median(gaps)))):
        n_pos = len(np.unique(np.round(pos, 2)))
        raise SeriesProblem(f"4-D series ({len(datasets)} images at {n_pos} positions); deface one volume at a time")
    if len(gaps) > 1 and gaps.max() - gaps.min() > SPACING_TOLERANCE * float(np.median(gaps)):
        raise SeriesProblem(f"uneven slice spacing ({gaps.min():.2f}-{gaps.max():.2f} mm): missing slices?")
    step = (ipps[order[-1]] - ipps[order[0]]) / max(1, len(datasets) - 1) if len(datasets) > 1 else normal
    lps = np.eye(4)
    lps[:3, 0], lps[:3, 1], lps[:3, 2], lps[:3, 3] = y * dr, x * dc, step, ipps[order[0]]
    return [datasets[i] for i in order], np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps


def series_volume(datasets: list[Any]) -> SeriesVolume:
    """Check a series and build its volume; SeriesProblem with a one-line reason when it cannot be defaced."""
    if not datasets:
        raise SeriesProblem("empty series")
    if any(int(ds.get("NumberOfFrames", 1) or 1) > 1 for ds in datasets):
        raise SeriesProblem("multi-frame (enhanced) MR images are not supported; convert to single frames")
    if any(str(ds.get("PhotometricInterpretation", "")).strip() != "MONOCHROME2" for ds in datasets):
        raise SeriesProblem("not MONOCHROME2 pixel data")
    if len({(int(ds.Rows), int(ds.Columns)) for ds in datasets}) > 1:
        raise SeriesProblem("slices of different sizes")
    ordered, affine = _geometry(datasets)
    try:
        for ds in ordered:
            if ds.file_meta.TransferSyntaxUID.is_compressed:
                ds.decompress()
        raw = np.stack([ds.pixel_array for ds in ordered], axis=-1)
    except Exception as exc:  # pydicom/pylibjpeg raise many types for damaged pixel data
        raise SeriesProblem(f"unreadable pixel data ({type(exc).__name__}: {str(exc)[:80]})") from None
    slopes = np.array([float(ds.get("RescaleSlope", 1) or 1) for ds in ordered], dtype=np.float32)
    inters = np.array([float(ds.get("RescaleIntercept", 0) or 0) for ds in ordered], dtype=np.float32)
    scaled = raw.astype(np.float32) * slopes + inters
    problem = volume_problem(raw.shape, affine)
    if problem:
        raise SeriesProblem(problem)
    return SeriesVolume(ordered, raw, scaled, affine)


def deface_series(
    datasets: list[Any], method: str = "unet", *, ears: bool = False, threads: int = 2
) -> tuple[SeriesVolume, DefaceResult]:
    """Deface one MR series in place (pixels only); return the volume (datasets in slice order, values before
    defacing, affine) and the result (mask, method, QC).

    Raises SeriesProblem for a series that cannot be defaced. The caller publishes the datasets only when
    `result.qc.passed`, after header de-identification and `mark_defaced`.
    """
    vol = series_volume(datasets)
    contrast = contrast_from_dicom(vol.datasets[0])
    result = deface_array(vol.scaled, vol.affine, method, ears=ears, contrast=contrast, threads=threads)
    raw = vol.raw.copy()
    background = 0 if raw.min() <= 0 <= raw.max() else raw.min()
    raw[result.removed] = background
    for k, ds in enumerate(vol.datasets):
        if result.removed[:, :, k].any():
            ds.PixelData = np.ascontiguousarray(raw[:, :, k]).astype(vol.raw.dtype).tobytes()
        ds.RecognizableVisualFeatures = "NO"
    return vol, result


def mark_defaced(ds: Any, method: str) -> None:
    """After header de-identification: record the Clean Recognizable Visual Features Option (PS3.15 CID 7050)."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = (
        VISUAL_FEATURES_CODE[0],
        "DCM",
        VISUAL_FEATURES_CODE[1],
    )
    codes = ds.get("DeidentificationMethodCodeSequence") or Sequence([])
    if not any(getattr(c, "CodeValue", "") == VISUAL_FEATURES_CODE[0] for c in codes):
        codes.append(item)
    ds.DeidentificationMethodCodeSequence = codes
    methods = ds.get("DeidentificationMethod") or []
    methods = [methods] if isinstance(methods, str) else list(methods)
    ds.DeidentificationMethod = [*methods, f"face removed: radbank deface ({method})"]
    ds.RecognizableVisualFeatures = "NO"
