"""MONAI's DenseNet-121 and ResNet-18 as 2-D, one-channel networks, trained from scratch (never downloaded)."""

from __future__ import annotations

from torch import nn


def densenet121(num_outputs: int, in_channels: int = 1, size: int = 100) -> nn.Module:
    """MONAI DenseNet121(spatial_dims=2); works at any size."""
    from monai.networks.nets.densenet import DenseNet121

    del size
    return DenseNet121(spatial_dims=2, in_channels=in_channels, out_channels=num_outputs, pretrained=False)


def resnet18(num_outputs: int, in_channels: int = 1, size: int = 100) -> nn.Module:
    """MONAI resnet18(spatial_dims=2); works at any size."""
    from monai.networks.nets.resnet import resnet18 as monai_resnet18

    del size
    return monai_resnet18(spatial_dims=2, n_input_channels=in_channels, num_classes=num_outputs, pretrained=False)
