"""The template method's shipped volumes (built once from pydeface 2.1.0 by tools/build_deface_template.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from radbank.anonymize.deface.orient import Array
from radbank.anonymize.deface.weights import RESOURCES

TEMPLATE = RESOURCES / "template_2mm.nii.gz"
FACEMASK = RESOURCES / "facemask_2mm.nii.gz"
BRAIN = RESOURCES / "brain_2mm.nii.gz"
EARS = RESOURCES / "ears_2mm.nii.gz"


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (arrays inside)
class Template:
    """pydeface's averaged head and radbank's masks on one grid (RAS mm affine)."""

    head: Array  # float32
    keep: Array  # float32 in [0, 1]: pydeface's face mask, 1 = keep
    brain: Array  # bool, conservative
    ears: Array  # bool
    affine: Array

    @property
    def face_zone(self) -> Array:
        """The face region grown by 24 mm: where the network may remove anything (QC of its false positives)."""
        return _face_zone(self)

    @property
    def face_core(self) -> Array:
        """The face region less a 6 mm margin from the kept head: must be removed by any defacing (QC)."""
        return _face_core(self)


CORE_MARGIN_VOXELS = 3  # x 2 mm
HALF = 0.5


@cache
def _face_core(t: Template) -> Array:
    from scipy import ndimage as ndi

    face = t.keep < HALF
    return np.asarray(ndi.binary_erosion(face, iterations=CORE_MARGIN_VOXELS, border_value=1), dtype=bool)


ZONE_VOXELS = 12  # x 2 mm


@cache
def _face_zone(t: Template) -> Array:
    from scipy import ndimage as ndi

    return np.asarray(ndi.binary_dilation(t.keep < HALF, iterations=ZONE_VOXELS), dtype=bool)


@cache
def load_template() -> Template:
    """Read the shipped template volumes (once per process)."""
    from radbank.anonymize.deface.nifti import nibabel

    nib = nibabel()
    head = nib.load(TEMPLATE)
    arrays = [np.asarray(nib.load(p).get_fdata(dtype=np.float32)) for p in (TEMPLATE, FACEMASK, BRAIN, EARS)]
    return Template(arrays[0], arrays[1], arrays[2] > HALF, arrays[3] > HALF, np.asarray(head.affine, dtype=np.float64))
