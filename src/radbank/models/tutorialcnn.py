"""The tutorial's Keras CNN, layer for layer.

Conv 32 -> MaxPool -> Conv 64 -> MaxPool -> Conv 128 -> MaxPool -> Flatten -> Dense 128 -> Dropout 0.5 ->
Dense 1 (sigmoid), on 100x100 grayscale.
"""

from __future__ import annotations

import torch
from torch import nn


class TutorialCNN(nn.Module):
    """The tutorial's Keras network, layer for layer ('valid' 3x3 convs, 2x2 max pools)."""

    def __init__(
        self, in_channels: int = 1, num_outputs: int = 1, size: int = 100, dense: int = 128, dropout: float = 0.5
    ) -> None:
        super().__init__()
        side = size
        for _ in range(3):
            side = (side - 2) // 2
        if side < 1:
            raise ValueError(f"tutorialcnn needs images of at least 22 pixels, not {size}")
        # MaxPool before ReLU computes the same function (ReLU is monotone) on 4x fewer values.
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3),
            nn.MaxPool2d(2),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, 3),
            nn.MaxPool2d(2),
            nn.ReLU(inplace=True),
            nn.Conv2d(64, 128, 3),
            nn.MaxPool2d(2),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128 * side * side, dense),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(dense, num_outputs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.head(self.features(x))
        return logits


def build(num_outputs: int, in_channels: int = 1, size: int = 100) -> TutorialCNN:
    """The registry's factory (the dense layer's width depends on the image size)."""
    return TutorialCNN(in_channels, num_outputs, size=size)
