"""Run metadata: what a checkpoint says about itself, typed, frozen and versioned.

Written into `model.safetensors` by `train` and read back by `predict`, `evaluate`, `explain` and `serve`
(as nanoGPT's and timm's checkpoints describe themselves). Version 1 checkpoints (a plain dict with the
same keys) read as version 2.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from radbank.data.preprocess import Preprocess
from radbank.sources.records import TASKS, Task

META_VERSION = 2


class MetadataError(ValueError):
    """The metadata of a checkpoint is missing a field or has one of the wrong kind."""


def as_task(value: object) -> Task:
    """`value` as a Task, or MetadataError."""
    if value not in TASKS:
        raise MetadataError(f"task must be one of {', '.join(TASKS)}, not {value!r}")
    return value


@dataclass(frozen=True)
class ModelSpec:
    """The architecture (a registered model name) and the arguments its factory was called with."""

    name: str
    num_outputs: int
    in_channels: int = 1
    size: int = 100


@dataclass(frozen=True)
class Normalisation:
    """Pixel mean and standard deviation (of [0, 1] values) of the training images."""

    mean: float
    std: float


@dataclass(frozen=True)
class TrainingInfo:
    """Where the weights came from."""

    images: int = 0
    patients: int = 0
    epochs: int = 0
    source: str = ""
    data: str = ""
    weights: str | None = None
    processes: int = 1
    finished: str = ""


_TRAINED = frozenset(TrainingInfo.__dataclass_fields__)


@dataclass(frozen=True)
class RunMeta:
    """Everything needed to use a checkpoint: model, preprocessing, normalisation, labels, threshold."""

    model: ModelSpec
    preprocess: Preprocess
    normalize: Normalisation
    task: Task
    label_names: tuple[str, ...]
    class_names: tuple[str, ...]
    threshold: float = 0.5
    trained: TrainingInfo = field(default_factory=TrainingInfo)
    radbank_version: str = ""
    version: int = META_VERSION

    @property
    def positive(self) -> str:
        """The finding of a binary model (its single output)."""
        return self.class_names[-1]

    def output_names(self) -> tuple[str, ...]:
        """One name per probability column: the finding (binary), the classes, or the findings."""
        if self.task == "binary":
            return (self.positive,)
        return self.class_names if self.task == "multiclass" else self.label_names

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the checkpoint's `radbank` metadata)."""
        out = asdict(self)
        out["label_names"], out["class_names"] = list(self.label_names), list(self.class_names)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunMeta:
        """Parse version 1 or 2 metadata; MetadataError naming the first problem."""
        try:
            return cls._parse(data)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, MetadataError):
                raise
            raise MetadataError(f"malformed run metadata ({type(exc).__name__}: {exc})") from None

    @classmethod
    def _parse(cls, data: dict[str, Any]) -> RunMeta:
        version = int(data.get("version", data.get("format_version", 1)))
        if version > META_VERSION:
            raise MetadataError(f"metadata version {version} is newer than this radbank reads ({META_VERSION})")
        model = dict(data["model"])
        if "args" in model:  # version 1: {"name", "args": {...}}
            model = {"name": model["name"], **model["args"]}
        norm = data["normalize"]
        return cls(
            model=ModelSpec(
                name=str(model["name"]),
                num_outputs=int(model["num_outputs"]),
                in_channels=int(model.get("in_channels", 1)),
                size=int(model.get("size", data["preprocess"].get("size", 100))),
            ),
            preprocess=Preprocess(**data["preprocess"]),
            normalize=Normalisation(float(norm["mean"]), float(norm["std"])),
            task=as_task(data["task"]),
            label_names=tuple(str(n) for n in data["label_names"]),
            class_names=tuple(str(n) for n in data["class_names"]),
            threshold=float(data["threshold"]),
            trained=TrainingInfo(**{k: v for k, v in (data.get("trained") or {}).items() if k in _TRAINED}),
            radbank_version=str(data.get("radbank_version", "")),
        )
