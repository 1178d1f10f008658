"""Defaced MR volumes written into a MIDS tree, for `mids export` (and anyone else with a head volume).

Where: BIMCV's xnat2mids (github.com/BIMCV-CSUSP/MIDS, xnat2mids/procedures/magnetic_resonance_procedures.py)
writes MR images to `sub-<s>/ses-<e>/mim-mr/<folder>/` (`<folder>` a BIDS datatype such as `anat`), and names
them `sub-<s>_ses-<e>[_acq-<a>][_run-<n>][_bp-<part>]_<suffix>.nii.gz`; it leaves out `mim-mr/` for head and brain
(plain BIDS). radbank keeps `mim-mr/` for every MR image, as its MIDS writer keeps `mim-rx/` for radiographs, so
that one tree has one rule; `modality_folder=""` gives xnat2mids' BIDS layout.

A volume is written only when its QC passes; otherwise nothing lands in the tree and the result says why (the
caller quarantines or reports it). The JSON sidecar holds acquisition facts only (no identifiers, dates or
site), plus how the face was removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from radbank.anonymize.deface.checks import volume_problem
from radbank.anonymize.deface.core import DefaceOptions, DefaceResult, deface_array
from radbank.anonymize.deface.orient import Array
from radbank.fsutil import write_json

MR_FIELDS = (
    "MagneticFieldStrength",
    "RepetitionTime",
    "EchoTime",
    "InversionTime",
    "FlipAngle",
    "SliceThickness",
    "MRAcquisitionType",
    "ScanningSequence",
    "SequenceVariant",
    "PixelBandwidth",
)
SECONDS = ("RepetitionTime", "EchoTime", "InversionTime")  # DICOM ms -> BIDS s
INTEGERS = (np.int16, np.uint16)  # stored as they are, without scale factors (float32 otherwise)


@dataclass
class MidsVolume:
    """What happened to one volume written into a MIDS tree."""

    path: Path  # the .nii.gz (written only when `written`)
    written: bool
    reason: str
    result: DefaceResult | None


def mids_mr_path(
    root: str | Path,
    sub: str,
    ses: str,
    suffix: str = "T1w",
    *,
    acq: str | None = None,
    run: int | None = None,
    folder: str = "anat",
    modality_folder: str = "mim-mr",
) -> Path:
    """`root/sub-<s>/ses-<e>/mim-mr/anat/sub-<s>_ses-<e>[_acq-][_run-]_<suffix>.nii.gz` (labels: letters, digits)."""
    parts = [f"sub-{sub}", f"ses-{ses}"] + ([f"acq-{acq}"] if acq else []) + ([f"run-{run}"] if run else [])
    base = Path(root) / f"sub-{sub}" / f"ses-{ses}"
    base = base / modality_folder if modality_folder else base
    return base / folder / ("_".join(parts) + f"_{suffix}.nii.gz")


def sidecar_from_dicom(ds: Any) -> dict[str, Any]:
    """BIDS-style acquisition fields of an MR header (an allow-list; times in seconds)."""
    out: dict[str, Any] = {"Modality": "MR"}
    part = str(ds.get("BodyPartExamined", "") or "").strip().upper()
    if part:
        out["BodyPartExamined"] = part
    for key in MR_FIELDS:
        value = ds.get(key)
        if value is None or value == "":
            continue
        if key in SECONDS:
            out[key] = round(float(value) / 1000.0, 6)
        elif key in ("ScanningSequence", "SequenceVariant"):
            out[key] = str(value)
        else:
            try:
                out[key] = float(value)
            except (TypeError, ValueError):
                out[key] = str(value)
    return out


def sidecar_from_bids(fields: dict[str, Any]) -> dict[str, Any]:
    """The allow-listed acquisition fields of a BIDS/MIDS sidecar (BIDS units already), for a volume written again."""
    out: dict[str, Any] = {"Modality": "MR"}
    for key in ("BodyPartExamined", *MR_FIELDS):
        value = fields.get(key)
        if isinstance(value, (int, float, str)) and not isinstance(value, bool) and value != "":
            out[key] = value
    return out


def write_mids_mr(
    path: Path,
    data: Array,
    affine: Array,
    *,
    sidecar: dict[str, Any] | None = None,
    options: DefaceOptions | None = None,
    contrast: str | None = None,
    threads: int = 2,
    t1_only: bool = False,
) -> MidsVolume:
    """Deface a 3-D volume (float values, voxel -> RAS affine) and write it and its sidecar at `path` (atomic).
    `t1_only`: the name says T1w for want of a known contrast; a volume that does not look T1-weighted is not
    written (the reason says why)."""
    from radbank.anonymize.deface.contrast import MIN_T1_CORRELATION
    from radbank.anonymize.deface.nifti import nibabel, write_nifti

    nib = nibabel()
    how = options or DefaceOptions()
    method, ears = how.method, how.ears
    if path.exists():
        return MidsVolume(path, True, "already there", None)
    problem = volume_problem(data.shape, affine)
    if problem:
        return MidsVolume(path, False, problem, None)
    volume = np.asarray(data, dtype=np.float32)
    result = deface_array(volume, affine, method, ears=ears, contrast=contrast, threads=threads)
    if not result.qc.passed:
        return MidsVolume(path, False, "; ".join(result.qc.reasons), result)
    if t1_only and not result.fit.t1_correlation >= MIN_T1_CORRELATION:  # NaN is not T1-like either
        why = (
            f"contrast unknown (no BIDS suffix, description or telling timing) and not T1-like "
            f"(r = {result.fit.t1_correlation:.2f} with the T1w template): no BIDS suffix to name it"
        )
        return MidsVolume(path, False, why, result)
    out = np.where(result.removed, np.float32(min(0.0, float(data.min()))), data)
    img = nib.Nifti1Image(_stored(out), affine)
    img.header.set_xyzt_units("mm", "sec")
    facts = {
        **(sidecar or {}),
        "Defaced": {
            "Method": result.method,
            "Software": "radbank deface",
            "Ears": ears,
            "QC": {k: v for k, v in result.qc.to_dict().items() if k != "reasons"},
        },
    }
    write_json(path.with_name(path.name[: -len(".nii.gz")] + ".json"), facts)
    write_nifti(path, img.to_bytes())
    return MidsVolume(path, True, "; ".join(result.notes), result)


def _stored(values: Array) -> Array:
    """The voxels in the smallest type that holds them exactly: integer MR values stay integers, unscaled (nibabel
    would rescale floats stored as integers, changing every voxel)."""
    if np.all(values == np.round(values)):
        for kind in INTEGERS:
            limits = np.iinfo(kind)
            if limits.min <= values.min() and values.max() <= limits.max:
                return values.astype(kind)
    return values.astype(np.float32)


def write_mids_dicom_series(
    root: str | Path,
    sub: str,
    ses: str,
    datasets: list[Any],
    *,
    method: str = "unet",
    ears: bool = False,
    run: int | None = None,
) -> MidsVolume:
    """A DICOM MR series (already de-identified or not: only pixels and acquisition facts are used) as a defaced
    NIfTI + sidecar in the MIDS tree; the suffix comes from the series' contrast (T1w when unknown)."""
    from radbank.anonymize.deface.contrast import contrast_from_dicom
    from radbank.anonymize.deface.dicom_series import SeriesProblem, series_volume

    contrast = contrast_from_dicom(datasets[0]) if datasets else None
    path = mids_mr_path(root, sub, ses, contrast or "T1w", run=run)
    try:
        vol = series_volume(datasets)
    except SeriesProblem as exc:
        return MidsVolume(path, False, str(exc), None)
    facts = sidecar_from_dicom(vol.datasets[0])
    return write_mids_mr(
        path, vol.scaled, vol.affine, sidecar=facts, options=DefaceOptions(method, ears), contrast=contrast
    )
