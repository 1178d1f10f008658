"""Self-describing checkpoints: safetensors weights + JSON metadata (model, preprocessing, labels).

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

from radbank import __version__
from radbank.errors import RadbankError
from radbank.fsutil import atomic_path
from radbank.models import build_model

FORMAT = "radbank-checkpoint"
FORMAT_VERSION = 1
REQUIRED = ("model", "preprocess", "normalize", "task", "label_names", "class_names", "threshold")


def save_checkpoint(path: str | Path, model: nn.Module, meta: dict[str, Any]) -> None:
    """Write weights and metadata atomically. `meta` must hold the REQUIRED keys."""
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise ValueError(f"checkpoint metadata lacks {missing}")
    full = {"format": FORMAT, "format_version": FORMAT_VERSION, "radbank_version": __version__, **meta}
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata={"radbank": json.dumps(full)})


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The checkpoint's metadata, validated; raises RadbankError for a missing or foreign file."""
    from safetensors import safe_open

    p = Path(path)
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
        meta = json.loads(raw)
    except json.JSONDecodeError:
        raise RadbankError(f"{p}: checkpoint metadata is not valid JSON") from None
    if meta.get("format") != FORMAT:
        raise RadbankError(f"{p}: not a radbank checkpoint")
    if int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise RadbankError(f"{p}: checkpoint format {meta['format_version']} is newer than this radbank")
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise RadbankError(f"{p}: checkpoint metadata lacks {', '.join(missing)}")
    return meta


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model from its metadata and load its weights (eval mode)."""
    meta = read_metadata(path)
    spec = meta["model"]
    model = build_model(spec["name"], **spec.get("args", {}))
    try:
        state = load_file(str(path), device="cpu")
        model.load_state_dict(state)
    except (SafetensorError, RuntimeError, OSError) as exc:
        raise RadbankError(f"{path}: weights do not fit model {spec['name']} ({str(exc).splitlines()[0]})") from None
    return model.to(device).eval(), meta
