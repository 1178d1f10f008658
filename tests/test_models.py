"""Models: output shapes, the tutorial's layer sizes, and self-describing checkpoints."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from radbank.data.preprocess import Preprocess
from radbank.errors import RadbankError
from radbank.models import create_model, model_entry, model_names, register_model
from radbank.models.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from radbank.runmeta import MetadataError, ModelSpec, Normalisation, RunMeta, TrainingInfo


@pytest.mark.parametrize("name", model_names())
def test_forward_shapes(name: str) -> None:
    size = 100 if name != "densenet121" else 64
    model = create_model(name, num_outputs=3, size=size).eval()
    with torch.no_grad():
        out = model(torch.rand(2, 1, size, size))
    assert out.shape == (2, 3)


def test_tutorial_cnn_matches_keras_dimensions() -> None:
    model = create_model("tutorialcnn", num_outputs=1, size=100)
    dense = model.head[1]
    assert dense.in_features == 128 * 10 * 10  # 100->98->49->47->23->21->10
    assert dense.out_features == 128
    n_params = sum(p.numel() for p in model.parameters())
    # Keras summary of the same network: 320 + 18,496 + 73,856 + 1,638,528 + 129 parameters.
    assert n_params == 320 + 18_496 + 73_856 + 1_638_528 + 129


def test_every_registered_model_names_a_cam_layer_it_has() -> None:
    for name in model_names():
        modules = dict(create_model(name, num_outputs=2, size=64).named_modules())
        assert model_entry(name).cam_layer in modules, name


def test_unknown_model_is_a_one_line_error() -> None:
    with pytest.raises(RadbankError, match="unknown model 'vgg'; choose one of seedcnn"):
        create_model("vgg", num_outputs=1)


def test_registering_a_model_makes_it_buildable() -> None:
    register_model("test-tiny", "tiny_model:build", cam_layer="conv", description="a test network")
    try:
        assert "test-tiny" in model_names()
        assert create_model("test-tiny", num_outputs=2)(torch.rand(1, 1, 16, 16)).shape == (1, 2)
    finally:
        from radbank.models import registry

        del registry._REGISTRY["test-tiny"]


def test_a_name_registers_once() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_model("seedcnn", "radbank.models.seedcnn:build", cam_layer="features", description="")


META = RunMeta(
    model=ModelSpec("seedcnn", num_outputs=1, size=32),
    preprocess=Preprocess(32, "stretch"),
    normalize=Normalisation(0.5, 0.2),
    task="binary",
    label_names=("P",),
    class_names=("N", "P"),
    trained=TrainingInfo(images=10, patients=7, epochs=2),
)


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    model = create_model("seedcnn", num_outputs=1).eval()
    save_checkpoint(tmp_path / "m.safetensors", model, META)
    loaded, meta = load_checkpoint(tmp_path / "m.safetensors")
    x = torch.rand(3, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))
    assert meta == META


def test_version_1_metadata_reads_as_the_same_run() -> None:
    v1 = {
        "format": "radbank-checkpoint",
        "format_version": 1,
        "model": {"name": "seedcnn", "args": {"num_outputs": 1, "in_channels": 1}},
        "preprocess": {"size": 32, "fit": "stretch", "version": 1},
        "normalize": {"mean": 0.5, "std": 0.2},
        "task": "binary",
        "label_names": ["P"],
        "class_names": ["N", "P"],
        "threshold": 0.5,
        "trained": {"images": 10, "patients": 7, "epochs": 2},
    }
    assert RunMeta.from_json(v1) == META


def test_metadata_with_an_unknown_task_is_refused() -> None:
    with pytest.raises(MetadataError, match="task must be one of"):
        RunMeta.from_json({**META.to_json(), "task": "regression"})


def test_metadata_json_round_trip() -> None:
    assert RunMeta.from_json(META.to_json()) == META


def test_bad_checkpoints(tmp_path: Path) -> None:
    with pytest.raises(RadbankError, match="not found"):
        read_metadata(tmp_path / "none.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file at all")
    with pytest.raises(RadbankError, match="not a valid checkpoint"):
        read_metadata(junk)
    save_checkpoint(
        tmp_path / "m.safetensors",
        create_model("seedcnn", num_outputs=1),
        dataclasses.replace(META, model=ModelSpec("seedcnn", num_outputs=2)),
    )
    with pytest.raises(RadbankError, match="weights do not fit"):
        load_checkpoint(tmp_path / "m.safetensors")
