"""Model factory: the seed CNN, the tutorial's CNN, and MONAI's DenseNet-121 / ResNet-18 (2-D, 1 channel)."""

from __future__ import annotations

from typing import Any

from torch import nn

from radbank.errors import RadbankError

MODEL_NAMES = ("seedcnn", "tutorialcnn", "densenet121", "resnet18")


def build_model(name: str, num_outputs: int, in_channels: int = 1, size: int = 100, **kwargs: Any) -> nn.Module:
    """Build a freshly initialised network (never downloads weights)."""
    if name == "seedcnn":
        from radbank.models.seedcnn import SeedCNN

        return SeedCNN(in_channels, num_outputs, **kwargs)
    if name == "tutorialcnn":
        from radbank.models.seedcnn import TutorialCNN

        return TutorialCNN(in_channels, num_outputs, size=size, **kwargs)
    if name == "densenet121":
        from monai.networks.nets import DenseNet121

        return DenseNet121(
            spatial_dims=2, in_channels=in_channels, out_channels=num_outputs, pretrained=False, **kwargs
        )
    if name == "resnet18":
        from monai.networks.nets import resnet18

        return resnet18(
            spatial_dims=2, n_input_channels=in_channels, num_classes=num_outputs, pretrained=False, **kwargs
        )
    raise RadbankError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
