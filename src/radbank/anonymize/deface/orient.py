"""Voxel axes turned to R, A, S without resampling (nibabel's orientation tools, typed), and the array type."""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

Array: TypeAlias = npt.NDArray[Any]


def _orientations() -> Any:
    import nibabel.orientations as o  # untyped: used through Any

    return o


def ras_axes(affine: Array) -> Array:
    """nibabel's orientation (axis, flip) per voxel axis for the closest R, A, S order."""
    return np.asarray(_orientations().io_orientation(affine))


def to_ras(volume: Array, axes: Array) -> Array:
    """The array with its axes permuted and flipped to R, A, S (a view)."""
    return np.asarray(_orientations().apply_orientation(volume, axes))


def from_ras(volume: Array, axes: Array) -> Array:
    """The inverse of to_ras."""
    o = _orientations()
    identity = np.array([[0, 1], [1, 1], [2, 1]])
    return np.asarray(o.apply_orientation(volume, o.ornt_transform(identity, axes)))
