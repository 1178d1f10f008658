"""The model registry: one entry per architecture, feeding the CLI's choices, config validation and Grad-CAM.

As timm does it (`register_model` / `create_model`), with one difference: an entry names its factory as
"module:function" and the module is imported only when a model is built, so listing models (argparse
choices, `--help`) never imports torch. Adding a model is one new file holding its factory and one
`register_model(...)` line in `radbank/models/__init__.py`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from radbank.errors import RadbankError

if TYPE_CHECKING:
    from torch import nn

Factory = Callable[[int, int, int], "nn.Module"]  # (num_outputs, in_channels, size) -> a fresh network


@dataclass(frozen=True)
class ModelEntry:
    """A registered architecture."""

    name: str
    factory: str  # "package.module:function", called as function(num_outputs, in_channels, size)
    cam_layer: str  # the module Grad-CAM hooks (the last convolutional stage)
    description: str

    def load_factory(self) -> Factory:
        """Import the factory function (and with it torch and the model's module)."""
        module, _, attr = self.factory.partition(":")
        return cast(Factory, getattr(importlib.import_module(module), attr))


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(name: str, factory: str, *, cam_layer: str, description: str) -> ModelEntry:
    """Add an architecture under `name` (a second registration of one name is an error)."""
    if name in _REGISTRY:
        raise ValueError(f"model {name!r} is already registered")
    if ":" not in factory:
        raise ValueError(f"factory must be 'module:function', not {factory!r}")
    entry = ModelEntry(name, factory, cam_layer, description)
    _REGISTRY[name] = entry
    return entry


def model_names() -> tuple[str, ...]:
    """Registered model names, in registration order."""
    return tuple(_REGISTRY)


def model_entry(name: str) -> ModelEntry:
    """The entry of `name`; RadbankError naming the choices when there is none."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise RadbankError(f"unknown model {name!r}; choose one of {', '.join(_REGISTRY)}") from None


def create_model(name: str, num_outputs: int, in_channels: int = 1, size: int = 100) -> nn.Module:
    """A freshly initialised network of architecture `name` (weights are never downloaded)."""
    return model_entry(name).load_factory()(num_outputs, in_channels, size)
