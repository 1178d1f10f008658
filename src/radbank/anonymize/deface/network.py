"""The deep-learning method: DeepDefacer's U-Net on a 160^3 world-aligned grid, its mask brought back to native.

As DeepDefacer 2.1.2 does, the whole field of view is stretched to 160^3 (trilinear), scaled to [0, 1] by its
minimum and maximum, and P(keep) >= 0.5 keeps a voxel. Where DeepDefacer resamples along the stored voxel axes
(so a coronal or LIA-stored volume reaches the network turned on its side, and came out with the back of the
head removed in our tests), radbank samples a grid aligned with R, A, S over the volume's bounding box, the
orientation in which the network removes faces. The probability map returns to every native voxel by trilinear
sampling at that voxel's world position.
"""

from __future__ import annotations

import numpy as np
import torch

from radbank.anonymize.deface.geometry import resample, world_box_grid
from radbank.anonymize.deface.unet import GRID

THRESHOLD = 0.5


def network_input(data: np.ndarray, affine: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
    """(1, 1, 160, 160, 160) in [0, 1] and the grid's affine."""
    grid_affine = world_box_grid(data.shape, affine, GRID)
    low = float(np.min(data))
    x = resample(data, affine, (GRID, GRID, GRID), grid_affine, fill=low)
    x = (x - x.min()) / (x.max() - x.min() + 1e-7)
    return x[None, None], grid_affine


def keep_probability(data: np.ndarray, affine: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
    """P(keep) on the network's grid, and that grid's affine."""
    from radbank.anonymize.deface.weights import load_unet

    model = load_unet()
    x, grid_affine = network_input(data, affine)
    with torch.inference_mode():
        prob = model(x.contiguous(memory_format=torch.channels_last_3d))  # oneDNN's fast path on CPU: ~1.7x
    return prob[0, 0].contiguous(), grid_affine


def unet_face(data: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """True on the native voxels the network removes (the face)."""
    prob, grid_affine = keep_probability(data, affine)
    native = resample(prob, grid_affine, data.shape[:3], affine, fill=1.0, step=2)  # outside the grid: keep
    return np.asarray(native.numpy() < THRESHOLD)
