"""Moving volumes between grids by their affines (voxel -> RAS mm), with torch's grid_sample.

Every resampling here goes through world coordinates, so an oblique or flipped acquisition is handled the same way
as an axis-aligned one: a grid never needs reorienting first, and a mask computed on one grid comes back exactly
onto the voxels of another.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from radbank.anonymize.deface.orient import Array

SPATIAL = 3
MIN_STEPPED = 2  # axes this short are sampled in full
SLAB_VOXELS = 2_000_000  # native voxels per grid_sample call when sampling back (bounds memory to ~100 MB)


def zooms(affine: Array) -> Array:
    """Voxel sizes (mm) along the three voxel axes."""
    return np.asarray(np.linalg.norm(affine[:3, :3], axis=0), dtype=np.float64)


def obliquity_degrees(affine: Array) -> float:
    """The largest angle (degrees) between a voxel axis and the nearest world axis."""
    cosines = np.abs(affine[:3, :3] / zooms(affine))
    return float(np.degrees(np.arccos(np.clip(cosines.max(axis=0), -1.0, 1.0))).max())


def world_box_grid(shape: tuple[int, ...], affine: Array, size: int) -> Array:
    """The affine of a `size`^3 grid, axis-aligned in RAS, spanning the world bounding box of a volume.

    Like DeepDefacer's resampling, each axis is stretched to `size` samples (voxels need not be isotropic); unlike
    it, the grid is aligned to the anatomy (R, A, S) whatever the acquisition's orientation.
    """
    corners = np.array(
        [[i, j, k, 1.0] for i in (0, shape[0] - 1) for j in (0, shape[1] - 1) for k in (0, shape[2] - 1)]
    )
    world = (affine @ corners.T).T[:, :3]
    lo, hi = world.min(axis=0), world.max(axis=0)
    grid = np.eye(4)
    grid[:3, :3] = np.diag((hi - lo) / (size - 1))
    grid[:3, 3] = lo
    return grid


def _normalised(source_shape: tuple[int, ...]) -> Array:
    """Voxel index (i, j, k) -> grid_sample's (x, y, z) in [-1, 1] (align_corners=True; x indexes the LAST axis)."""
    m = np.zeros((4, 4))
    for axis, n in enumerate(source_shape[:3]):
        row = 2 - axis  # grid_sample's x is the last tensor dimension
        m[row, axis] = 2.0 / max(n - 1, 1)
        m[row, 3] = -1.0
    m[3, 3] = 1.0
    return m


def resample(
    source: Array | torch.Tensor,
    source_affine: Array,
    target_shape: tuple[int, ...],
    target_affine: Array,
    *,
    world: Array | None = None,
    fill: float = 0.0,
    step: int = 1,
) -> torch.Tensor:
    """Sample `source` (3-D, or 4-D with channels first) trilinearly at every voxel of a target grid.

    `world` (4x4, optional) maps target world points to source world points (a registration). Outside the source,
    `fill`. With `step` > 1 the source is sampled on every step-th target voxel (corners included) and the result
    upsampled trilinearly: for smooth fields such as masks this is within a fraction of a voxel of direct sampling
    at a step^3 of the cost. Works in slabs, so a 512^3 target never builds a 1.5 GB sampling grid at once.
    """
    src = torch.as_tensor(np.ascontiguousarray(source, dtype=np.float32) if isinstance(source, np.ndarray) else source)
    src = src.to(torch.float32)
    squeeze = src.ndim == SPATIAL
    src = src[None] if squeeze else src
    if fill:
        src = src - fill
    full = tuple(int(n) for n in target_shape[:3])
    coarse = tuple(max(2, -(-(n - 1) // step) + 1) if step > 1 and n > MIN_STEPPED else n for n in full)
    sub = np.eye(4)  # coarse index -> full index (corners coincide)
    sub[:3, :3] = np.diag([(n - 1) / max(c - 1, 1) for n, c in zip(full, coarse, strict=True)])
    to_src = _normalised(src.shape[1:]) @ np.linalg.inv(source_affine) @ (world if world is not None else np.eye(4))
    m = torch.as_tensor((to_src @ target_affine @ sub)[:3], dtype=torch.float32)
    out = _sample(src, m, coarse)
    if coarse != full:
        out = F.interpolate(out[None], size=full, mode="trilinear", align_corners=True)[0]
    if fill:
        out += fill
    return out[0] if squeeze else out


def _sample(src: torch.Tensor, m: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """grid_sample of (C, ...) at target indices mapped by m (3x4, index -> normalised), slab by slab."""
    nx, ny, nz = shape
    out = torch.empty((src.shape[0], nx, ny, nz), dtype=torch.float32)
    step = max(1, SLAB_VOXELS // max(1, nx * ny))
    base = (
        torch.arange(nx, dtype=torch.float32)[:, None, None, None] * m[:, 0]
        + torch.arange(ny, dtype=torch.float32)[None, :, None, None] * m[:, 1]
        + m[:, 3]
    )  # (nx, ny, 1, 3)
    for k0 in range(0, nz, step):
        kk = torch.arange(k0, min(nz, k0 + step), dtype=torch.float32)
        coords = base + kk[None, None, :, None] * m[:, 2]  # (nx, ny, nk, 3) as grid_sample's (x, y, z)
        sampled = F.grid_sample(src[None], coords[None], mode="bilinear", padding_mode="zeros", align_corners=True)
        out[:, :, :, k0 : k0 + len(kk)] = sampled[0]
    return out
