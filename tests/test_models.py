"""Models: output shapes, the tutorial's layer sizes, and self-describing checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from radbank.errors import RadbankError
from radbank.models import build_model
from radbank.models.checkpoint import load_checkpoint, read_metadata, save_checkpoint


@pytest.mark.parametrize("name", ["seedcnn", "tutorialcnn", "densenet121", "resnet18"])
def test_forward_shapes(name: str) -> None:
    size = 100 if name != "densenet121" else 64
    model = build_model(name, num_outputs=3, size=size).eval()
    with torch.no_grad():
        out = model(torch.rand(2, 1, size, size))
    assert out.shape == (2, 3)


def test_tutorial_cnn_matches_keras_dimensions() -> None:
    model = build_model("tutorialcnn", num_outputs=1, size=100)
    dense = model.head[1]
    assert dense.in_features == 128 * 10 * 10 and dense.out_features == 128  # 100->98->49->47->23->21->10
    n_params = sum(p.numel() for p in model.parameters())
    # Keras summary of the same network: 320 + 18,496 + 73,856 + 1,638,528 + 129 parameters.
    assert n_params == 320 + 18_496 + 73_856 + 1_638_528 + 129


META = {
    "model": {"name": "seedcnn", "args": {"num_outputs": 1}},
    "preprocess": {"size": 32, "fit": "stretch", "version": 1},
    "normalize": {"mean": 0.5, "std": 0.2},
    "task": "binary",
    "label_names": ["P"],
    "class_names": ["N", "P"],
    "threshold": 0.5,
}


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    model = build_model("seedcnn", num_outputs=1).eval()
    save_checkpoint(tmp_path / "m.safetensors", model, META)
    loaded, meta = load_checkpoint(tmp_path / "m.safetensors")
    x = torch.rand(3, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))
    assert meta["class_names"] == ["N", "P"] and meta["format"] == "radbank-checkpoint"


def test_bad_checkpoints(tmp_path: Path) -> None:
    with pytest.raises(RadbankError, match="not found"):
        read_metadata(tmp_path / "none.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file at all")
    with pytest.raises(RadbankError, match="not a valid checkpoint"):
        read_metadata(junk)
    save_checkpoint(
        tmp_path / "m.safetensors",
        build_model("seedcnn", num_outputs=1),
        {**META, "model": {"name": "seedcnn", "args": {"num_outputs": 2}}},
    )
    with pytest.raises(RadbankError, match="weights do not fit"):
        load_checkpoint(tmp_path / "m.safetensors")
