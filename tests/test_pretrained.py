"""--weights: a user's state_dict, torchvision names mapped, RGB first convolution summed to 1 channel."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from radbank.errors import RadbankError
from radbank.models import create_model
from radbank.models.pretrained import load_pretrained


def test_rgb_resnet_adapted_to_one_channel(tmp_path: Path) -> None:
    rgb = create_model("resnet18", num_outputs=1000, in_channels=3)  # an "ImageNet-like" donor
    torch.save({"state_dict": {f"module.{k}": v for k, v in rgb.state_dict().items()}}, tmp_path / "r.pth")
    model = create_model("resnet18", num_outputs=2)
    report = load_pretrained(model, tmp_path / "r.pth")
    torch.testing.assert_close(model.conv1.weight, rgb.conv1.weight.sum(dim=1, keepdim=True))
    torch.testing.assert_close(model.layer1[0].conv1.weight, rgb.layer1[0].conv1.weight)
    assert report.adapted == ["conv1.weight"]
    assert {"fc.weight", "fc.bias"} <= set(report.skipped)


def test_torchvision_densenet_names(tmp_path: Path) -> None:
    donor = create_model("densenet121", num_outputs=1000, in_channels=3)
    # torchvision spells MONAI's "denselayer1.layers.norm1.weight" as "denselayer1.norm.1.weight"
    renamed = {
        re.sub(r"(denselayer\d+)\.layers\.(norm|relu|conv)(\d)", r"\1.\2.\3", k): v
        for k, v in donor.state_dict().items()
    }
    assert any(".norm.1." in k for k in renamed)
    save_file({k: v.contiguous() for k, v in renamed.items()}, str(tmp_path / "d.safetensors"))
    model = create_model("densenet121", num_outputs=3)
    report = load_pretrained(model, tmp_path / "d.safetensors")
    block = "features.denseblock1.denselayer1.layers.conv1.weight"
    torch.testing.assert_close(model.state_dict()[block], donor.state_dict()[block])
    assert report.adapted == ["features.conv0.weight"]
    assert len(report.loaded) > 300


def test_bad_weight_files(tmp_path: Path) -> None:
    model = create_model("seedcnn", num_outputs=1)
    with pytest.raises(RadbankError, match="weights file not found"):
        load_pretrained(model, tmp_path / "none.pt")
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(RadbankError, match="not a readable weights file"):
        load_pretrained(model, tmp_path / "junk.pt")
    torch.save({"x": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(RadbankError, match="no tensor fits"):
        load_pretrained(model, tmp_path / "other.pt")
