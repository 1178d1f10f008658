"""The network, its weights and the grids: DeepDefacer rebuilt, the published weights converted faithfully."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from deface_data import registry_file, template_head
from radbank.anonymize.deface.geometry import obliquity_degrees, resample, world_box_grid
from radbank.anonymize.deface.unet import GRID, DeepDefacerUNet, _SamePad
from radbank.anonymize.deface.weights import WEIGHTS, load_unet

ROOT = Path(__file__).resolve().parents[1]


def test_keras_same_padding_of_an_even_kernel_pads_after_only() -> None:
    x = torch.arange(4.0).reshape(1, 1, 1, 1, 4)
    padded = _SamePad(2)(x)
    assert padded[0, 0, 0, 0].tolist() == [0.0, 1.0, 2.0, 3.0, 0.0]


def test_network_maps_a_grid_volume_to_probabilities_of_the_same_size() -> None:
    torch.manual_seed(0)
    model = DeepDefacerUNet().eval()
    with torch.inference_mode():
        out = model(torch.rand(1, 1, 32, 32, 32))
    assert out.shape == (1, 1, 32, 32, 32)
    assert float(out.min()) >= 0.0
    assert float(out.max()) <= 1.0


def test_shipped_weights_load_with_the_published_parameter_count() -> None:
    model = load_unet()
    assert sum(p.numel() for p in model.parameters()) == 1_412_197  # deepdefacer 2.1.2's model.hdf5 holds as many


def test_converter_reproduces_the_shipped_weights_from_deepdefacers_hdf5(tmp_path: Path) -> None:
    pytest.importorskip("h5py")
    from safetensors.torch import load_file

    hdf5 = registry_file("deepdefacer==2.1.2", "deepdefacer/model.hdf5")
    out = tmp_path / "w.safetensors"
    tool = str(ROOT / "tools" / "convert_deepdefacer.py")
    done = subprocess.run([sys.executable, tool, str(hdf5), "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    mine, shipped = load_file(str(out)), load_file(str(WEIGHTS))
    assert sorted(mine) == sorted(shipped)
    assert all(torch.equal(mine[k], shipped[k]) for k in mine)


def test_a_keras_kernel_lands_transposed_in_pytorch_layout(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    hdf5 = registry_file("deepdefacer==2.1.2", "deepdefacer/model.hdf5")
    with h5py.File(hdf5, "r") as fh:
        kernel = np.asarray(fh["model_weights"]["conv3d_11"]["conv3d_11"]["kernel:0"])  # (kd, kh, kw, in, out)
    weight = load_unet().layers["conv3d_11"].weight.numpy()  # (out, in, kd, kh, kw)
    assert weight[5, 7, 1, 0, 1] == kernel[1, 0, 1, 7, 5]


def test_world_grid_covers_the_volume_and_resampling_round_trips() -> None:
    head, affine = template_head()
    grid = world_box_grid(head.shape, affine, GRID)
    on_grid = resample(head.astype(np.float32), affine, (GRID,) * 3, grid)
    back = resample(on_grid, grid, head.shape, affine).numpy()
    inside = head > 50
    error = np.abs(back[inside] - head[inside]).mean() / head[inside].mean()
    assert error < 0.05


def test_resampling_with_a_step_stays_close_to_direct_sampling() -> None:
    head, affine = template_head()
    direct = resample(head.astype(np.float32), affine, head.shape, affine).numpy()
    stepped = resample(head.astype(np.float32), affine, head.shape, affine, step=2).numpy()
    assert np.abs(direct - head).max() < 1e-2  # identity resampling returns the voxels
    assert np.corrcoef(stepped.ravel(), head.ravel().astype(np.float64))[0, 1] > 0.99


def test_obliquity_of_a_rotated_affine() -> None:
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    rot = np.array([[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0], [0, 0, 0, 1.0]])
    assert obliquity_degrees(np.diag([2.0, 2.0, 2.0, 1.0])) == 0.0
    assert obliquity_degrees(rot @ np.diag([2.0, 2.0, 2.0, 1.0])) == pytest.approx(30.0, abs=1e-6)


def test_ras_turn_round_trips_an_lia_volume() -> None:
    from radbank.anonymize.deface.orient import from_ras, ras_axes, to_ras

    lia = np.array([[-1, 0, 0, 128], [0, 0, 1, -128], [0, -1, 0, 128], [0, 0, 0, 1.0]])
    volume = np.random.default_rng(0).random((4, 5, 6))
    axes = ras_axes(lia)
    assert to_ras(volume, axes).shape == (4, 6, 5)
    assert np.array_equal(from_ras(to_ras(volume, axes), axes), volume)
