"""The deep-learning method: DeepDefacer's U-Net on a 160^3 grid aligned with R, A, S, its mask brought back.

As DeepDefacer 2.1.2 does, the whole field of view is stretched to 160^3 (trilinear, corners aligned), scaled to
[0, 1] by its minimum and maximum, and P(keep) >= 0.5 keeps a voxel. Where DeepDefacer resamples along the stored
voxel axes (so a coronal or LIA-stored volume reaches the network turned on its side; on FreeSurfer's LIA-stored
MNI305 head it removed the back of the head), radbank first turns the axes to R, A, S:
- nearly axis-aligned volumes (obliquity up to AXIS_ALIGNED_DEGREES, which DeepDefacer never corrected either)
  are only permuted and flipped, then interpolated (fast);
- oblique ones are sampled on a world-aligned grid over their bounding box (geometry.resample), and the
  probability map comes back to each native voxel by sampling at its world position.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from radbank.anonymize.deface.geometry import obliquity_degrees, resample, world_box_grid
from radbank.anonymize.deface.orient import Array, from_ras, ras_axes, to_ras
from radbank.anonymize.deface.unet import GRID

THRESHOLD = 0.5
AXIS_ALIGNED_DEGREES = 10.0


def _scaled(x: torch.Tensor) -> torch.Tensor:
    return (x - x.min()) / (x.max() - x.min() + 1e-7)


def network_input(data: Array, affine: Array) -> torch.Tensor:
    """(1, 1, 160, 160, 160) in [0, 1], axes R, A, S."""
    if obliquity_degrees(affine) <= AXIS_ALIGNED_DEGREES:
        ras = np.ascontiguousarray(to_ras(data, ras_axes(affine)), dtype=np.float32)
        x = F.interpolate(torch.from_numpy(ras)[None, None], size=(GRID,) * 3, mode="trilinear", align_corners=True)
        return _scaled(x)
    grid_affine = world_box_grid(data.shape, affine, GRID)
    x = resample(data, affine, (GRID, GRID, GRID), grid_affine, fill=float(np.min(data)))
    return _scaled(x)[None, None]


def keep_probability(data: Array, affine: Array) -> torch.Tensor:
    """P(keep) on the network's 160^3 grid."""
    from radbank.anonymize.deface.weights import load_unet

    x = network_input(data, affine)
    with torch.inference_mode():
        prob: torch.Tensor = load_unet()(x.contiguous(memory_format=torch.channels_last_3d))  # oneDNN's CPU path
    return prob[0, 0].contiguous()


def unet_face(data: Array, affine: Array) -> Array:
    """True on the native voxels the network removes (the face)."""
    prob = keep_probability(data, affine)
    if obliquity_degrees(affine) <= AXIS_ALIGNED_DEGREES:
        axes = ras_axes(affine)
        ras_shape = to_ras(np.empty(data.shape[:3], dtype=bool), axes).shape
        up = F.interpolate(prob[None, None], size=ras_shape, mode="trilinear", align_corners=True)[0, 0]
        return np.ascontiguousarray(from_ras(up.numpy() < THRESHOLD, axes))
    grid_affine = world_box_grid(data.shape, affine, GRID)
    native = resample(prob, grid_affine, data.shape[:3], affine, fill=1.0, step=2)  # outside the grid: keep
    return np.asarray(native.numpy() < THRESHOLD)
