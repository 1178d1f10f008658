"""Whether a volume can be defaced at all: one-line reasons for 2-D images, 4-D series, tiny or huge fields of view,
invalid affines. Obliquity is not a reason: every grid is resampled through world coordinates."""

from __future__ import annotations

import numpy as np

from radbank.anonymize.deface.geometry import zooms
from radbank.anonymize.deface.orient import Array

MIN_VOXELS = 32  # per axis: the network and the QC renderings need a real 3-D volume
MIN_FOV_MM = 120.0  # a whole head is ~150-250 mm in every direction
MAX_FOV_MM = 700.0  # larger is a body, not a head
MAX_VOXELS = 1024**3 // 2  # ~0.5 G voxels: beyond any head scan, and beyond a 4 GB budget
SPATIAL = 3
MIN_DETERMINANT = 1e-6  # mm^3 per voxel: below, the affine is degenerate


def spatial_shape(shape: tuple[int, ...]) -> tuple[tuple[int, int, int] | None, str | None]:
    """The 3-D shape of an image, or a reason it is not one volume (2-D, 4-D series...)."""
    dims = list(shape)
    while len(dims) > SPATIAL and dims[-1] == 1:
        dims.pop()
    if len(dims) < SPATIAL or min(dims[:SPATIAL]) <= 1:
        return None, f"2-D image (shape {'x'.join(map(str, shape))}); defacing needs a 3-D head volume"
    if len(dims) > SPATIAL:
        return (
            None,
            f"4-D series of {int(np.prod(dims[3:]))} volumes (shape {'x'.join(map(str, shape))}); deface a 3-D volume",
        )
    return (dims[0], dims[1], dims[2]), None


def volume_problem(shape: tuple[int, ...], affine: Array) -> str | None:
    """Why a volume of this shape and affine cannot be defaced (None when it can)."""
    spatial, reason = spatial_shape(shape)
    if spatial is None:
        return reason
    if not np.all(np.isfinite(affine)) or abs(np.linalg.det(affine[:3, :3])) < MIN_DETERMINANT:
        return "invalid affine (singular or not finite); the voxel-to-world geometry is unknown"
    if min(spatial) < MIN_VOXELS:
        return f"too small for a head volume (shape {'x'.join(map(str, spatial))}; need {MIN_VOXELS}+ voxels per axis)"
    if int(np.prod(spatial, dtype=np.int64)) > MAX_VOXELS:
        return f"too large ({'x'.join(map(str, spatial))} voxels)"
    return _fov_problem(np.asarray(spatial) * zooms(affine))


def _fov_problem(fov: Array) -> str | None:
    text = "x".join(f"{f:.0f}" for f in fov)
    if fov.min() < MIN_FOV_MM:
        return f"field of view {text} mm is too small for a whole head (not a head?)"
    if fov.max() > MAX_FOV_MM:
        return f"field of view {text} mm is larger than a head (not a head?)"
    return None
