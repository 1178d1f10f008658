"""Starting from a user's pretrained weights (a local file; radbank never downloads any).

Accepts a state_dict saved with torch.save (read with weights_only=True) or safetensors, optionally
wrapped as {"state_dict": ...} or {"model": ...} and with DDP's "module." prefixes. torchvision's
DenseNet names (`denselayer1.norm.1`) are mapped to MONAI's (`denselayer1.layers.norm1`), as MONAI
does for its own pretrained download. A first convolution trained on 3-channel (RGB) images is
adapted to 1 channel by summing its weights over the colour axis. Tensors whose shape still does not
fit (the classifier, usually) are left at their fresh initialisation, and reported.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from radbank.errors import RadbankError

log = logging.getLogger(__name__)

_TV_DENSE = re.compile(
    r"^(.*denselayer\d+)(\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$"
)


@dataclass
class LoadReport:
    """What a pretrained file contributed to the model."""

    loaded: list[str] = field(default_factory=list)
    adapted: list[str] = field(default_factory=list)  # 3 -> 1 input channels
    skipped: list[str] = field(default_factory=list)  # in the file but not usable


RGB = 3  # channels of an ImageNet-style first convolution
CONV_NDIM = 3  # a convolution kernel has at least (out, in, k) dimensions


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a weights file, unwrapped and without DDP prefixes."""
    p = Path(path)
    if not p.is_file():
        raise RadbankError(f"{p}: weights file not found")
    state: Any
    try:
        if p.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(p))
        else:
            state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and safetensors errors differ by version
        raise RadbankError(f"{p}: not a readable weights file ({str(exc).splitlines()[0][:160]})") from None
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise RadbankError(f"{p}: expected a state_dict (a mapping of names to tensors)")
    out = {}
    for key, value in state.items():
        key = key.removeprefix("module.")
        m = _TV_DENSE.match(key)
        out[m.group(1) + ".layers" + m.group(2) + m.group(3) if m else key] = value
    return out


def load_pretrained(model: nn.Module, path: str | Path) -> LoadReport:
    """Copy every fitting tensor of the file into `model` (see the module docstring)."""
    state = read_state_dict(path)
    target = model.state_dict()
    report = LoadReport()
    merged = dict(target)
    for key, value in state.items():
        if key not in target:
            report.skipped.append(key)
            continue
        want = target[key]
        if value.shape == want.shape:
            merged[key] = value.to(want.dtype)
            report.loaded.append(key)
        elif (
            value.ndim == want.ndim >= CONV_NDIM
            and value.shape[1] == RGB
            and want.shape[1] == 1
            and value.shape[0] == want.shape[0]
            and value.shape[2:] == want.shape[2:]
        ):
            merged[key] = value.sum(dim=1, keepdim=True).to(want.dtype)
            report.adapted.append(key)
        else:
            report.skipped.append(key)
    if not report.loaded and not report.adapted:
        raise RadbankError(f"{path}: no tensor fits this model (is it the same architecture?)")
    model.load_state_dict(merged)
    log.info(
        "%s: loaded %d tensors, adapted %d to 1 channel, skipped %d (%s)",
        path,
        len(report.loaded),
        len(report.adapted),
        len(report.skipped),
        ", ".join(report.skipped[:4]) or "none",
    )
    return report
