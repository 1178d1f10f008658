"""Quality control of one defaced volume: was the face removed, was the brain left alone, do the methods agree.

Measured on the subject's voxels with the registered template's masks (template.TemplateFit):
- signal: voxels brighter than 10% of the 99th percentile (air and background are not "face");
- face skin: signal voxels of the face core (the template face region less a 6 mm margin) within 10 mm of the
  frontal surface, i.e. what a surface rendering of the head shows as the face. Deep tissue behind it (nasal
  cavity, the back of the orbits) may stay, as with pydeface and DeepDefacer; the surface may not;
- brain changed: voxels of the conservative brain mask that defacing changed (must be 0);
- agreement: Dice of the network's and the template's removals over signal voxels (a cross-check, reported).
A volume passes when at least MIN_FACE_REMOVED of its face skin is removed, no brain voxel changed, and the
registration found a head (mutual information at least MIN_MI, and brain structure, template.brain_match's eta^2,
at least MIN_STRUCTURE).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from radbank.anonymize.deface.geometry import zooms
from radbank.anonymize.deface.orient import Array, from_ras, ras_axes, to_ras
from radbank.anonymize.deface.template import TemplateFit

MIN_FACE_REMOVED = 0.98
MIN_MI = 0.25  # Mattes MI of the template: real heads 0.55-1.2, noise 0.004 (a sphere scores 0.58: see below)
MIN_STRUCTURE = 0.03  # template.brain_match eta^2: heads 0.15-0.93 (T1w, inverted, a FLAIR-like remap 0.05+),
# a sphere or noise 0.0007
SKIN_MM = 10.0
MIN_FACE_VOXELS = 100
SIGNAL_FRACTION = 0.1


@dataclass
class QCResult:
    """The QC figures of one volume and its verdict."""

    face_skin_voxels: int = 0
    face_skin_removed: float = 0.0  # fraction of the face skin removed
    voxels_removed: int = 0  # signal voxels set to background (face, and ears with --ears)
    brain_voxels: int = 0
    brain_changed: int = 0
    agreement: float | None = None  # Dice network vs template, over signal voxels
    mutual_information: float = 0.0
    brain_structure: float = 0.0
    t1_correlation: float | None = None
    passed: bool = False
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def signal_mask(data: Array) -> Array:
    """Voxels that hold tissue rather than air or background."""
    high = float(np.percentile(data, 99))
    low = float(data.min())
    return np.asarray(data > low + SIGNAL_FRACTION * (high - low))


def skin_layer(signal: Array, affine: Array) -> Array:
    """The tissue a frontal surface rendering shows: along each anterior-posterior line of the volume (turned to
    R, A, S), the most anterior signal voxel and those up to SKIN_MM behind it. Internal air (sinuses, nasal
    cavity) does not count as a surface."""
    axes = ras_axes(affine)
    ras = to_ras(signal, axes)
    depth = max(1, round(SKIN_MM / float(zooms(affine)[int(axes[1, 0])])))
    hit = ras.any(axis=1)
    front = ras.shape[1] - 1 - np.argmax(ras[:, ::-1, :], axis=1)  # index of the most anterior tissue per (x, z)
    y = np.arange(ras.shape[1])[None, :, None]
    layer = hit[:, None, :] & (y <= front[:, None, :]) & (y > front[:, None, :] - depth) & ras
    return np.asarray(from_ras(layer, axes), dtype=bool)


def dice(a: Array, b: Array) -> float:
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int((a & b).sum()) / total


def assess(data: Array, affine: Array, removed: Array, fit: TemplateFit, agreement: float | None = None) -> QCResult:
    """QC of `removed` (True = set to background) against the template's masks; `agreement`: the methods' Dice."""
    signal = signal_mask(data)
    skin = skin_layer(signal, affine) & fit.face_core
    brain = fit.brain
    qc = QCResult(
        face_skin_voxels=int(skin.sum()),
        voxels_removed=int((removed & signal).sum()),
        brain_voxels=int(brain.sum()),
        brain_changed=int((removed & brain).sum()),
        mutual_information=round(fit.registration.mutual_information, 4),
        brain_structure=round(float(np.nan_to_num(fit.brain_structure)), 4),
        t1_correlation=None if np.isnan(fit.t1_correlation) else round(fit.t1_correlation, 4),
    )
    qc.face_skin_removed = round(float((removed & skin).sum()) / max(1, qc.face_skin_voxels), 4)
    qc.agreement = None if agreement is None else round(agreement, 4)
    if qc.mutual_information < MIN_MI or qc.brain_structure < MIN_STRUCTURE:
        qc.reasons.append(
            f"not recognised as a head (template match: mutual information {qc.mutual_information:.2f}, "
            f"brain structure {qc.brain_structure:.3f})"
        )
    if qc.face_skin_voxels < MIN_FACE_VOXELS:  # no face in the field of view (cropped, or defaced already)
        qc.face_skin_removed = 1.0
    elif qc.face_skin_removed < MIN_FACE_REMOVED:
        qc.reasons.append(f"face not fully removed ({qc.face_skin_removed:.1%} of the face surface)")
    if qc.brain_changed:
        qc.reasons.append(f"{qc.brain_changed} brain voxels changed")
    qc.passed = not qc.reasons
    return qc
