"""Grad-CAM heatmaps (MONAI's GradCAM) for a checkpoint's model, and their colour overlays.

The target layer is the last convolutional stage of each architecture. The explained class is the
finding for binary models (their single logit), the predicted class for multi-class ones, and the most
probable finding for multi-label ones.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from PIL import Image
from torch import nn

from radbank.models.registry import model_entry
from radbank.runmeta import RunMeta


def cam_layer(meta: RunMeta) -> str:
    """The module name Grad-CAM hooks for the checkpoint's architecture (from the model registry)."""
    return model_entry(meta.model.name).cam_layer


def explained_class(meta: RunMeta, probs: NDArray[Any]) -> list[int]:
    """The output index to explain for each image (see the module docstring)."""
    if meta.task == "binary":
        return [0] * len(probs)
    return [int(j) for j in np.asarray(probs).reshape(len(probs), -1).argmax(axis=1)]


def _unit_range(x: torch.Tensor) -> torch.Tensor:
    """Each map scaled to [0, 1], high = evidence. (MONAI's default normaliser maps max to 0 and min to 1.)"""
    flat = x.reshape(len(x), -1)
    lo = flat.min(dim=1).values.reshape(-1, *[1] * (x.dim() - 1))
    hi = flat.max(dim=1).values.reshape(-1, *[1] * (x.dim() - 1))
    return (x - lo) / (hi - lo).clamp_min(1e-8)


def gradcam(
    model: nn.Module, meta: RunMeta, images: NDArray[Any], classes: list[int], device: torch.device | str = "cpu"
) -> NDArray[Any]:
    """Heatmaps in [0, 1], shape (n, size, size), for uint8 images (n, size, size)."""
    from monai.visualize.class_activation_maps import GradCAM

    norm = meta.normalize
    x = (torch.from_numpy(images).float().div(255.0).unsqueeze(1) - norm.mean) / norm.std
    x = x.to(device).requires_grad_(True)  # so the full backward hooks see an input that needs gradients
    out = np.zeros(images.shape, np.float32)
    with torch.enable_grad():  # GradCAM hooks the model: callers sharing one model serialise (serve's lock)
        model.eval()
        cam = GradCAM(nn_module=model, target_layers=cam_layer(meta), postprocessing=_unit_range)
        for c in sorted(set(classes)):
            idx = [i for i, k in enumerate(classes) if k == c]
            maps = cam(x[idx], class_idx=c)
            out[idx] = maps[:, 0].detach().float().cpu().numpy()
        for p in model.parameters():
            p.grad = None
    return np.nan_to_num(out, nan=0.0)


def colorize(heat: NDArray[Any]) -> NDArray[Any]:
    """A heatmap in [0, 1] as RGB uint8 (matplotlib's 'jet')."""
    from matplotlib import colormaps

    rgb: NDArray[np.uint8] = (colormaps["jet"](np.clip(heat, 0.0, 1.0))[..., :3] * 255).astype(np.uint8)
    return rgb


def overlay(image: NDArray[Any], heat: NDArray[Any], alpha: float = 0.4, size: int = 256) -> Image.Image:
    """The grayscale image with its coloured heatmap blended on top, at least `size` pixels a side."""
    base = Image.fromarray(image).convert("RGB")
    top = Image.fromarray(colorize(heat))
    blended = Image.blend(base, top, alpha)
    scale = max(1, -(-size // max(image.shape)))
    return blended.resize((image.shape[1] * scale, image.shape[0] * scale), Image.Resampling.BILINEAR)


def png_bytes(img: Image.Image | NDArray[Any]) -> bytes:
    """Encode an image (PIL or uint8 array) as PNG bytes."""
    pil = img if isinstance(img, Image.Image) else Image.fromarray(img)
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return buf.getvalue()
