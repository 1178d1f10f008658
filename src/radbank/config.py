"""Typed run configuration: defaults reproduce the tutorial; YAML in, resolved YAML out."""

from __future__ import annotations

import dataclasses
import logging
import typing
from dataclasses import InitVar, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from radbank.errors import RadbankError
from radbank.fsutil import write_text
from radbank.io import DEFAULT_MAX_PIXELS
from radbank.models.registry import model_names
from radbank.sources.folders import NIH_PATIENT_REGEX
from radbank.sources.options import coerce
from radbank.sources.registry import check_options, source_choices, source_entry

log = logging.getLogger(__name__)
SIZES = (8, 2048)  # working size limits in pixels
MIN_LIMIT = 4  # images a run needs at the least

# Reader options that were TrainConfig fields before issue 16: still accepted (YAML, CLI, Python) and moved
# into source_options, so that old run folders' config.yaml load and resume. Old defaults are dropped.
LEGACY_SOURCE_OPTIONS = ("positive", "labels", "view", "label_table", "modalities", "patient_regex", "uncertain")
LEGACY_DEFAULTS: dict[str, Any] = {"modalities": "CR,DX", "patient_regex": NIH_PATIENT_REGEX, "uncertain": "masked"}


@dataclass
class TrainConfig:
    """Everything that decides a training run (saved as config.yaml in the run folder).

    `source_options` holds the options of the dataset's reader (see `radbank.sources`), checked against
    that reader's options dataclass; `positive`, `labels`, `view`, `label_table`, `modalities`,
    `patient_regex` and `uncertain` may still be given as keywords (and CLI flags) and land there.
    """

    data: str = ""
    out: str = "runs/latest"
    source: str = "auto"
    source_options: dict[str, Any] = field(default_factory=dict)
    test_split: str = "none"  # "none", "official" (NIH's test_list.txt) or a fraction of patients
    split_file: str | None = None  # a split written by `radbank split` (path,patient,split): used as it is
    size: int = 100
    fit: str = "stretch"
    limit: int | None = 1000
    val_fraction: float = 0.2
    epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    lr_schedule: str = "cosine"
    seed: int = 42
    model: str = "seedcnn"
    weights: str | None = None  # a pretrained state_dict to start from (never downloaded)
    device: str = "auto"
    augment: bool = False
    threshold: float = 0.5
    workers: int = 0
    cache: str | None = None
    max_pixels: int = DEFAULT_MAX_PIXELS
    positive: InitVar[str | None] = None
    labels: InitVar[str | None] = None
    view: InitVar[str | None] = None
    label_table: InitVar[str | None] = None
    modalities: InitVar[str | None] = None
    patient_regex: InitVar[str | None] = None
    uncertain: InitVar[str | None] = None

    def __post_init__(self, *legacy: str | None) -> None:
        given = {k: v for k, v in zip(LEGACY_SOURCE_OPTIONS, legacy, strict=True) if v is not None}
        self.source_options = merge_legacy(self.source, dict(self.source_options), given)

    # Keys that do not change the result (a run may resume with other values).
    RUNTIME_KEYS: typing.ClassVar[tuple[str, ...]] = ("out", "workers", "cache", "device", "data")

    def validate(self, origin: str = "config") -> None:
        """Raise RadbankError for values out of range, naming `origin` (the file or 'options')."""
        checks = [
            (SIZES[0] <= self.size <= SIZES[1], f"size must be {SIZES[0]}..{SIZES[1]}, not {self.size}"),
            (self.limit is None or self.limit >= MIN_LIMIT, f"limit must be at least {MIN_LIMIT}, not {self.limit}"),
            (0 < self.val_fraction < 1, f"val_fraction must be in (0, 1), not {self.val_fraction}"),
            (self.epochs >= 1, f"epochs must be at least 1, not {self.epochs}"),
            (self.batch_size >= 1, f"batch_size must be at least 1, not {self.batch_size}"),
            (self.lr > 0, f"lr must be positive, not {self.lr}"),
            (0 <= self.threshold <= 1, f"threshold must be in [0, 1], not {self.threshold}"),
            (
                self.lr_schedule in ("cosine", "constant"),
                f"lr_schedule must be cosine or constant, not {self.lr_schedule!r}",
            ),
            (self.fit in ("stretch", "pad"), f"fit must be stretch or pad, not {self.fit!r}"),
            (self.model in model_names(), f"model must be one of {', '.join(model_names())}, not {self.model!r}"),
            (
                self.source in source_choices(),
                f"source must be one of {', '.join(source_choices())}, not {self.source!r}",
            ),
            (
                _valid_test_split(self.test_split),
                f"test_split must be none, official or a fraction, not {self.test_split!r}",
            ),
            (
                not (self.split_file and self.test_split != "none"),
                f"split_file gives the test split itself; test_split must be none, not {self.test_split!r}",
            ),
            (
                self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:"),
                f"device must be auto, cpu or cuda, not {self.device!r}",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise RadbankError(f"{origin}: {message}")
        check_options(self.source, self.source_options, f"{origin}: source_options")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def identity(self) -> dict[str, Any]:
        """The settings that decide the result (what a resumed run must share)."""
        return {k: v for k, v in self.to_dict().items() if k not in self.RUNTIME_KEYS}


def merge_legacy(source: str, options: dict[str, Any], legacy: dict[str, Any]) -> dict[str, Any]:
    """`options` with the legacy top-level reader settings merged in (they win); old defaults and, for an
    explicit source, settings its reader does not take are dropped (they never had an effect)."""
    if not legacy:
        return options
    taken = set(source_entry(source).option_names()) if source in source_choices() and source != "auto" else None
    for key, value in legacy.items():
        if value is None or LEGACY_DEFAULTS.get(key) == value:
            continue
        if taken is not None and key not in taken:
            log.warning("%s does not apply to a %s dataset; ignored", key, source)
            continue
        options[key] = value
    return options


def _valid_test_split(value: str) -> bool:
    if value in ("none", "official"):
        return True
    try:
        return 0.0 < float(value) < 1.0
    except ValueError:
        return False


def config_from_dict(data: dict[str, Any], origin: str = "config") -> TrainConfig:
    """Build a TrainConfig from a mapping, naming any unknown key or wrong type."""
    if not isinstance(data, dict):
        raise RadbankError(f"{origin}: expected a mapping of settings, got {type(data).__name__}")
    hints = typing.get_type_hints(TrainConfig)
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(data) - known - set(LEGACY_SOURCE_OPTIONS))
    if unknown:
        raise RadbankError(f"{origin}: unknown setting(s) {', '.join(unknown)}")
    values = {k: coerce(v, hints[k], f"{origin}: {k}") for k, v in data.items() if k in known}
    legacy = {k: coerce(v, str | None, f"{origin}: {k}") for k, v in data.items() if k in LEGACY_SOURCE_OPTIONS}
    cfg = TrainConfig(**values, **legacy)
    cfg.validate(origin)
    return cfg


def load_config(path: str | Path) -> TrainConfig:
    """Read a YAML config file (a run's config.yaml or a user's)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RadbankError(f"{p}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RadbankError(f"{p}: cannot read config ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise RadbankError(f"{p}: malformed YAML{where}") from None
    return config_from_dict(data or {}, str(p))


def save_config(cfg: TrainConfig, path: str | Path) -> None:
    """Write the resolved config as YAML (atomically)."""
    write_text(path, "# radbank resolved training configuration\n" + yaml.safe_dump(cfg.to_dict(), sort_keys=False))
