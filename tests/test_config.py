"""Config files: clear errors for missing or malformed files, unknown keys and wrong types."""

from __future__ import annotations

from pathlib import Path

import pytest

from radbank.config import TrainConfig, config_from_dict, load_config, save_config
from radbank.errors import RadbankError


def test_round_trip(tmp_path: Path) -> None:
    cfg = TrainConfig(data="d", out="o", epochs=3, augment=True, limit=None)
    save_config(cfg, tmp_path / "c.yaml")
    assert load_config(tmp_path / "c.yaml") == cfg


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("epochs: [1, 2\n", "malformed YAML at line"),
        ("- a\n- b\n", "expected a mapping"),
        ("epoch: 3\n", "unknown setting(s) epoch"),
        ("epochs: three\n", "epochs must be an integer"),
        ("augment: 1\n", "augment must be true or false"),
        ("lr: -1\n", "lr must be positive"),
        ("model: densenet12\n", "model must be one of seedcnn, tutorialcnn, densenet121, resnet18, not 'densenet12'"),
    ],
)
def test_bad_config_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(RadbankError) as info:
        load_config(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(RadbankError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_identity_ignores_runtime_settings() -> None:
    a = config_from_dict({"data": "x", "workers": 2, "cache": "/c"})
    b = config_from_dict({"data": "y", "workers": 1})
    assert a.identity() == b.identity()
    assert a.identity() != config_from_dict({"epochs": 3}).identity()
