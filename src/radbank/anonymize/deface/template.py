"""The template method, and the template's masks for QC: everything pydeface's registered template says about a
subject, on the subject's own voxels.

- `face`: pydeface's face mask carried to the subject (P(keep) < 0.5): the template method's removal;
- `face_core`: the face region less a 6 mm margin: any defacing must empty it (QC);
- `brain`: a conservative brain mask: no defacing may change it (QC);
- `ears`: radbank's ear mask (removed with `ears=True`, whatever the method);
- `t1_correlation`: Pearson's r between the registered T1w template and the subject inside the brain mask, on the
  4 mm grid: about 0.5-0.8 for T1w heads, near zero or negative when grey/white/CSF contrast is reversed
  (T2w, FLAIR...), which is how a volume of unknown contrast is routed away from the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radbank.anonymize.deface.geometry import resample
from radbank.anonymize.deface.register import FINE_MM, Registration, block_mean, register_template
from radbank.anonymize.deface.template_data import load_template

MASK_STEP = 2  # masks are sampled on every 2nd native voxel and upsampled (see geometry.resample)


@dataclass
class TemplateFit:
    """The registered template's masks on the subject's grid."""

    registration: Registration
    face: np.ndarray
    face_core: np.ndarray
    brain: np.ndarray
    ears: np.ndarray
    t1_correlation: float


def t1_correlation(data: np.ndarray, affine: np.ndarray, reg: Registration) -> float:
    """Correlation of subject and registered template intensities inside the template's brain (4 mm grid)."""
    tpl = load_template()
    small, small_affine = block_mean(data, affine, FINE_MM)
    both = np.stack([tpl.head, tpl.brain.astype(np.float32)])
    warped = resample(both, tpl.affine, small.shape, small_affine, world=reg.subject_to_template).numpy()
    inside = warped[1] >= 0.99
    if inside.sum() < 50:
        return float("nan")
    a, b = small[inside].astype(np.float64), warped[0][inside].astype(np.float64)
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def fit_template(data: np.ndarray, affine: np.ndarray, threads: int = 2) -> TemplateFit:
    """Register the template to a 3-D volume and bring its masks onto the volume's voxels."""
    tpl = load_template()
    reg = register_template(data, affine, threads)
    stack = np.stack([tpl.keep - 1.0, tpl.face_core, tpl.brain, tpl.ears]).astype(np.float32)  # keep-1: 0 outside
    native = resample(stack, tpl.affine, data.shape[:3], affine, world=reg.subject_to_template, step=MASK_STEP)
    masks = native.numpy()
    return TemplateFit(
        registration=reg,
        face=masks[0] < -0.5,
        face_core=masks[1] >= 0.5,
        brain=masks[2] >= 0.99,  # conservative: only voxels wholly inside the brain mask
        ears=masks[3] >= 0.5,
        t1_correlation=t1_correlation(data, affine, reg),
    )
