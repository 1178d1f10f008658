"""Self-describing checkpoints: safetensors weights + the run's metadata (`RunMeta`) as JSON.

`predict` rebuilds everything from this one file (as nanoGPT's and timm's checkpoints do). No pickle:
safetensors cannot run code on load.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from radbank.device import place_model
from radbank.errors import RadbankError
from radbank.fsutil import atomic_path
from radbank.models.registry import create_model
from radbank.runmeta import MetadataError, RunMeta

FORMAT = "radbank-checkpoint"
FORMAT_VERSION = 2


def save_checkpoint(path: str | Path, model: nn.Module, meta: RunMeta) -> None:
    """Write weights and metadata atomically."""
    full = {"format": FORMAT, "format_version": FORMAT_VERSION, **meta.to_json()}
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata={"radbank": json.dumps(full)})


def _raw_metadata(p: Path) -> dict[str, Any]:
    from safetensors import safe_open

    if not p.is_file():
        raise RadbankError(f"{p}: checkpoint not found")
    try:
        with safe_open(str(p), framework="pt") as fh:
            raw = (fh.metadata() or {}).get("radbank")
    except (SafetensorError, OSError, ValueError) as exc:
        raise RadbankError(f"{p}: not a valid checkpoint ({exc})") from None
    if raw is None:
        raise RadbankError(f"{p}: safetensors file without radbank metadata")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        raise RadbankError(f"{p}: checkpoint metadata is not valid JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RadbankError(f"{p}: not a radbank checkpoint")
    if int(data.get("format_version", 0)) > FORMAT_VERSION:
        raise RadbankError(f"{p}: checkpoint format {data['format_version']} is newer than this radbank")
    return data


def read_metadata(path: str | Path) -> RunMeta:
    """The checkpoint's metadata, validated; RadbankError for a missing, foreign or malformed file."""
    p = Path(path)
    try:
        return RunMeta.from_json(_raw_metadata(p))
    except MetadataError as exc:
        raise RadbankError(f"{p}: {exc}") from None


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, RunMeta]:
    """Rebuild the model from its metadata and load its weights (eval mode)."""
    meta = read_metadata(path)
    spec = meta.model
    model = create_model(spec.name, spec.num_outputs, spec.in_channels, spec.size)
    try:
        state = load_file(str(path), device="cpu")
        model.load_state_dict(state)
    except (SafetensorError, RuntimeError, OSError) as exc:
        raise RadbankError(f"{path}: weights do not fit model {spec.name} ({str(exc).splitlines()[0]})") from None
    return place_model(model, device).eval(), meta
