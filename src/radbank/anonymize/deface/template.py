"""The template method, and the template's masks for QC: everything pydeface's registered template says about a
subject, on the subject's own voxels.

- `face`: pydeface's face mask carried to the subject (P(keep) < 0.5): the template method's removal;
- `face_core`: the face region less a 6 mm margin: any defacing must empty it (QC);
- `brain`: a conservative brain mask: no defacing may change it (QC);
- `ears`: radbank's ear mask (removed with `ears=True`, whatever the method);
- `face_zone`: the face region grown by 24 mm, outside which the network's removals are ignored (a false
  positive at the back of the head, seen at the field of view's edge, is not a face);
- `t1_correlation`: Pearson's r between the registered T1w template and the subject inside the brain mask, on the
  4 mm grid: 0.37-0.98 for the T1w heads measured, negative when grey/white/CSF contrast is reversed (T2w...),
  which is how a volume of unknown contrast is routed away from the network;
- `brain_structure`: the correlation ratio of the same intensities (any contrast): low for a volume that is not
  a head (a sphere, noise), which QC rejects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radbank.anonymize.deface.geometry import resample
from radbank.anonymize.deface.orient import Array
from radbank.anonymize.deface.register import FINE_MM, Registration, block_mean, register_template
from radbank.anonymize.deface.template_data import load_template

HALF = 0.5
WHOLLY_INSIDE = 0.99
MIN_BRAIN_SAMPLES = 50  # 4 mm voxels of brain needed to compare intensities
MASK_STEP = 2  # masks are sampled on every 2nd native voxel and upsampled (see geometry.resample)


@dataclass
class TemplateFit:
    """The registered template's masks on the subject's grid."""

    registration: Registration
    face: Array
    face_core: Array
    brain: Array
    ears: Array
    face_zone: Array
    t1_correlation: float
    brain_structure: float  # eta^2, see brain_match


def brain_match(data: Array, affine: Array, reg: Registration) -> tuple[float, float]:
    """How the subject's intensities inside the template's brain follow the registered template's (4 mm grid):
    Pearson's r (sign = T1-like or reversed contrast) and the correlation ratio eta^2 of the subject's intensity
    given the template's intensity decile (any contrast: tissue classes predict intensity in a head, not in a
    sphere or noise). NaN when the brain mask misses the volume."""
    tpl = load_template()
    small, small_affine = block_mean(data, affine, FINE_MM)
    both = np.stack([tpl.head, tpl.brain.astype(np.float32)])
    warped = resample(both, tpl.affine, small.shape, small_affine, world=reg.subject_to_template).numpy()
    inside = warped[1] >= WHOLLY_INSIDE
    if inside.sum() < MIN_BRAIN_SAMPLES:
        return float("nan"), float("nan")
    a, b = small[inside].astype(np.float64), warped[0][inside].astype(np.float64)
    if a.std() == 0 or b.std() == 0:
        return float("nan"), 0.0
    bins = np.digitize(b, np.quantile(b, np.linspace(0.1, 0.9, 9)))
    counts = np.bincount(bins, minlength=10)
    means = np.bincount(bins, weights=a, minlength=10) / np.maximum(counts, 1)
    eta2 = float((counts * (means - a.mean()) ** 2).sum() / ((a - a.mean()) ** 2).sum())
    return float(np.corrcoef(a, b)[0, 1]), eta2


def fit_template(data: Array, affine: Array, threads: int = 2) -> TemplateFit:
    """Register the template to a 3-D volume and bring its masks onto the volume's voxels."""
    tpl = load_template()
    reg = register_template(data, affine, threads)
    stack = np.stack([tpl.keep - 1.0, tpl.face_core, tpl.brain, tpl.ears, tpl.face_zone]).astype(np.float32)
    native = resample(stack, tpl.affine, data.shape[:3], affine, world=reg.subject_to_template, step=MASK_STEP)
    masks = native.numpy()
    r, eta2 = brain_match(data, affine, reg)
    return TemplateFit(
        registration=reg,
        face=masks[0] < -HALF,  # keep - 1 < -0.5: P(keep) < 0.5
        face_core=masks[1] >= HALF,
        brain=masks[2] >= WHOLLY_INSIDE,  # conservative: only voxels wholly inside the brain mask
        ears=masks[3] >= HALF,
        face_zone=masks[4] >= HALF,
        t1_correlation=r,
        brain_structure=eta2,
    )
