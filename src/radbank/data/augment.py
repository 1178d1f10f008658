"""Augmentation on tensors, on the training device: random affine + brightness/contrast.

Each transform owns its random generator (as MONAI's `Randomizable`), so a run is reproducible
for a seed and augmentation never touches the global RNG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentSpec:
    """Ranges of the random transform (uniform in +-range). No flips: laterality is anatomy."""

    rotate_deg: float = 7.0
    scale: float = 0.08
    translate: float = 0.05  # fraction of the image side
    brightness: float = 0.08
    contrast: float = 0.12


class RandomAffine:
    """Batch-wise random rotation/scale/translation (bilinear, border padding) and intensity jitter."""

    def __init__(self, spec: AugmentSpec | None = None, device: torch.device | str = "cpu", seed: int = 0) -> None:
        self.spec = spec or AugmentSpec()
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)

    def reseed(self, seed: int) -> None:
        """Restart the random stream (called once per epoch with a seed derived from it)."""
        self.generator.manual_seed(seed)

    def _uniform(self, n: int, half_range: float) -> torch.Tensor:
        return (torch.rand(n, generator=self.generator, device=self.device) * 2 - 1) * half_range

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, H, W) float in [0, 1] -> same shape, augmented."""
        b = x.shape[0]
        s = self.spec
        angle = self._uniform(b, math.radians(s.rotate_deg))
        scale = 1.0 + self._uniform(b, s.scale)
        tx, ty = self._uniform(b, 2 * s.translate), self._uniform(b, 2 * s.translate)
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
        grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
        gain = (1.0 + self._uniform(b, s.contrast)).view(b, 1, 1, 1).to(x.dtype)
        shift = self._uniform(b, s.brightness).view(b, 1, 1, 1).to(x.dtype)
        return ((x - 0.5) * gain + 0.5 + shift).clamp_(0.0, 1.0)
