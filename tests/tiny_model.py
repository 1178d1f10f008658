"""A model defined outside radbank, to show that registering one is a file plus one line."""

from __future__ import annotations

from torch import nn


def build(num_outputs: int, in_channels: int = 1, size: int = 100) -> nn.Module:
    """conv -> global average -> linear."""
    del size
    return nn.Sequential(
        nn.Conv2d(in_channels, 4, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, num_outputs),
    )
