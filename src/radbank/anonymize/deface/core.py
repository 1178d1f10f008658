"""Defacing one 3-D volume (an array and its affine): choose the method, build the mask, check it.

1. The template is registered to the volume (always: its masks drive QC, the cross-check and the contrast test).
2. Method `unet` (default): DeepDefacer's network (its removals limited to the template's face region grown by
   24 mm, so that a false positive elsewhere never blanks non-face voxels), when the contrast is one it was
   trained on (T1w); a volume
   known to be another contrast, or of unknown contrast that does not look T1-weighted, goes to `template`
   with a warning. Method `template`: pydeface's face mask as registered.
3. With `ears`, radbank's ear mask is removed too.
4. QC (qc.assess). A network mask that fails QC is replaced by the template's (warning), which is checked again:
   privacy first, a face is never published because one method missed it. A volume still failing is marked
   for quarantine by the caller.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from radbank.anonymize.deface.contrast import MIN_T1_CORRELATION, TRAINED
from radbank.anonymize.deface.orient import Array
from radbank.anonymize.deface.qc import QCResult, assess, dice, signal_mask
from radbank.anonymize.deface.template import TemplateFit, fit_template

log = logging.getLogger(__name__)
METHODS = ("unet", "template")


@dataclass(frozen=True)
class DefaceOptions:
    """How faces are removed: the method (`METHODS`) and whether the ears go too."""

    method: str = "unet"
    ears: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            from radbank.errors import RadbankError

            raise RadbankError(f"unknown defacing method {self.method!r}; choose one of {', '.join(METHODS)}")


@dataclass
class DefaceResult:
    """The mask of one volume (True = set to background), how it was made, and its QC."""

    removed: Array
    method: str  # the method whose mask was applied
    requested: str
    contrast: str | None
    qc: QCResult
    fit: TemplateFit
    network_face: Array | None = None
    notes: list[str] = field(default_factory=list)  # warnings (fallbacks), one line each
    seconds: dict[str, float] = field(default_factory=dict)


def choose_method(requested: str, contrast: str | None, fit: TemplateFit) -> tuple[str, str | None]:
    """The method to run and, when it differs from the request, why."""
    if requested != "unet":
        return requested, None
    if contrast is not None and contrast not in TRAINED:
        return "template", f"contrast {contrast}: the network was trained on T1w; using the template method"
    r = fit.t1_correlation
    if contrast is None and not (r >= MIN_T1_CORRELATION):  # NaN goes to the template too
        return "template", f"does not look T1-weighted (r = {r:.2f} with the T1w template); using the template method"
    return "unet", None


def deface_array(
    data: Array,
    affine: Array,
    method: str = "unet",
    *,
    ears: bool = False,
    contrast: str | None = None,
    threads: int = 2,
    fallback: bool = True,
) -> DefaceResult:
    """Deface a 3-D float volume; see the module docstring. `contrast`: a BIDS suffix such as 'T1w' when known.
    `fallback=False` keeps a failing network mask (to measure the network alone, as the benchmark does)."""
    import torch

    if method not in METHODS:
        raise ValueError(f"unknown defacing method {method!r}; choose one of {', '.join(METHODS)}")
    torch.set_num_threads(max(1, threads))
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    fit = fit_template(data, affine, threads)
    seconds["template"] = time.perf_counter() - t0
    used, why = choose_method(method, contrast, fit)
    notes = [why] if why else []
    network_face = None
    agreement = None
    if used == "unet":
        from radbank.anonymize.deface.network import unet_face

        t1 = time.perf_counter()
        network_face = unet_face(data, affine) & fit.face_zone
        seconds["unet"] = time.perf_counter() - t1
        signal = signal_mask(data)
        agreement = dice(network_face & signal, fit.face & signal)
    extra = fit.ears if ears else np.zeros_like(fit.face)
    removed = (network_face if network_face is not None else fit.face) | extra
    t2 = time.perf_counter()
    qc = assess(data, affine, removed, fit, agreement)
    if not qc.passed and used == "unet" and fallback:
        notes.append(f"network mask failed QC ({'; '.join(qc.reasons)}); using the template method")
        used = "template"
        removed = fit.face | extra
        qc = assess(data, affine, removed, fit, agreement)
    seconds["qc"] = time.perf_counter() - t2
    return DefaceResult(removed, used, method, contrast, qc, fit, network_face, notes, seconds)
