"""pydeface's template registered to a subject with SimpleITK: rigid at 8 mm, then 12-parameter affine at 4 mm.

pydeface runs FSL FLIRT (12 degrees of freedom, mutual information) from the template to the subject and carries
its face mask along; this does the same without FSL: Mattes mutual information, gradient descent with scales
from physical shifts, images reduced by block means first (cheaper than smoothing a 256^3 volume, and the
optimiser only sees 4-8 mm anyway). The result is a 4x4 matrix taking subject world points (RAS mm) to template
world points, so that template masks are sampled straight onto the subject's voxels (geometry.resample).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from radbank.anonymize.deface.geometry import zooms
from radbank.anonymize.deface.orient import Array
from radbank.anonymize.deface.template_data import load_template

COARSE_MM, FINE_MM = 8.0, 4.0
FINE_SAMPLES = 40_000  # regular sampling at the fine level (the coarse level uses every voxel)
BINS = 32


@dataclass(frozen=True)
class Registration:
    """Template -> subject: `subject_to_template` maps subject world points to template world points."""

    subject_to_template: Array
    mutual_information: float  # Mattes MI at the end (SimpleITK's metric is its negative)
    iterations: int


def _sitk() -> Any:
    import SimpleITK  # untyped: used through Any

    return SimpleITK


def block_mean(data: Array, affine: Array, mm: float) -> tuple[Array, Array]:
    """Means over blocks of ~`mm` per axis (whole voxels), and the coarser grid's affine."""
    f = np.maximum(1, np.round(mm / zooms(affine)).astype(int))
    shape = (np.array(data.shape[:3]) // f) * f
    d = np.asarray(data[: shape[0], : shape[1], : shape[2]], dtype=np.float32)
    d = d.reshape(shape[0] // f[0], f[0], shape[1] // f[1], f[1], shape[2] // f[2], f[2]).mean(axis=(1, 3, 5))
    a = affine.copy()
    a[:3, :3] = affine[:3, :3] * f
    a[:3, 3] = affine[:3, :3] @ ((f - 1) / 2.0) + affine[:3, 3]
    return d, a


def _image(data: Array, affine: Array) -> Any:
    """A SimpleITK image in the affine's (RAS) frame; any shear is dropped (the nearest rotation is used)."""
    sitk = _sitk()

    sp = zooms(affine)
    u, _, vt = np.linalg.svd(affine[:3, :3] / sp)
    img = sitk.GetImageFromArray(np.ascontiguousarray(np.asarray(data, dtype=np.float32).transpose(2, 1, 0)))
    img.SetSpacing([float(s) for s in sp])
    img.SetOrigin([float(o) for o in affine[:3, 3]])
    img.SetDirection([float(v) for v in (u @ vt).ravel()])
    return img


def _run(fixed: Any, moving: Any, initial: Any, samples: int | None) -> tuple[Any, float, int]:
    sitk = _sitk()

    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMattesMutualInformation(BINS)
    size = int(np.prod(fixed.GetSize()))
    if samples and size > samples:
        reg.SetMetricSamplingStrategy(reg.REGULAR)
        reg.SetMetricSamplingPercentage(samples / size, 1)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsGradientDescent(
        learningRate=1.0,
        numberOfIterations=100,
        convergenceMinimumValue=1e-5,
        convergenceWindowSize=10,
        estimateLearningRate=reg.EachIteration,
        maximumStepSizeInPhysicalUnits=4.0,
    )
    reg.SetOptimizerScalesFromPhysicalShift()
    reg.SetInitialTransform(initial, inPlace=False)
    out = reg.Execute(fixed, moving)
    return out, -float(reg.GetMetricValue()), int(reg.GetOptimizerIteration())


def _matrix(transform: Any) -> Array:
    """A SimpleITK affine-like transform (possibly wrapped in a composite) as a 4x4 matrix."""
    sitk = _sitk()

    t = transform
    if isinstance(t, sitk.CompositeTransform):
        t = t.GetNthTransform(0)
    t = t.Downcast()
    m = np.array(t.GetMatrix(), dtype=np.float64).reshape(3, 3)
    c = np.array(t.GetCenter(), dtype=np.float64)
    tr = np.array(t.GetTranslation(), dtype=np.float64)
    out = np.eye(4)
    out[:3, :3] = m
    out[:3, 3] = tr + c - m @ c
    return out


def register_template(data: Array, affine: Array, threads: int = 2) -> Registration:
    """Register pydeface's template (moving) to a subject volume (fixed)."""
    sitk = _sitk()

    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(max(1, threads))
    tpl = load_template()
    fixed_c = _image(*block_mean(data, affine, COARSE_MM))
    moving_c = _image(*block_mean(tpl.head, tpl.affine, COARSE_MM))
    init = sitk.CenteredTransformInitializer(
        fixed_c, moving_c, sitk.Euler3DTransform(), sitk.CenteredTransformInitializerFilter.MOMENTS
    )
    rigid, _, it1 = _run(fixed_c, moving_c, init, None)
    m = _matrix(rigid)
    affine_init = sitk.AffineTransform(3)
    affine_init.SetMatrix([float(v) for v in m[:3, :3].ravel()])
    affine_init.SetTranslation([float(v) for v in m[:3, 3]])
    fixed_f = _image(*block_mean(data, affine, FINE_MM))
    moving_f = _image(*block_mean(tpl.head, tpl.affine, FINE_MM))
    final, mi, it2 = _run(fixed_f, moving_f, affine_init, FINE_SAMPLES)
    return Registration(_matrix(final), mi, it1 + it2)
