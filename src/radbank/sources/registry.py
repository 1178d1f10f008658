"""The source registry: one reader class per dataset kind, each with its own options dataclass.

An entry names its reader as "module:Class" (imported only when used, so listing sources for argparse
choices imports nothing heavy). Auto-detection asks each reader, in registration order, whether it
`can_read(path)`; the first that says yes reads the folder. The registry feeds `--source` choices,
config validation (`TrainConfig.source_options` is checked against the reader's options dataclass)
and the documentation. A new source is one file holding its reader and one `register_source(...)` line
in `radbank/sources/__init__.py`.
"""

from __future__ import annotations

import importlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, cast

from radbank.errors import RadbankError
from radbank.sources.options import build, field_names
from radbank.sources.records import Records, printable_skipped

log = logging.getLogger(__name__)

O = TypeVar("O")  # noqa: E741 - the options dataclass of a reader


class SourceReader(ABC, Generic[O]):
    """Reads one kind of dataset into Records. Subclasses set `options_type` (a dataclass)."""

    options_type: ClassVar[type[Any]]

    @classmethod
    @abstractmethod
    def can_read(cls, path: Path) -> bool:
        """True when `path` looks like this kind of dataset (cheap: a few stats and small reads)."""

    @abstractmethod
    def read(self, root: Path, options: O, workers: int = 0) -> Records:
        """Index the dataset at `root`; per-file problems go to Records.skipped."""


@dataclass(frozen=True)
class SourceEntry:
    """A registered dataset kind."""

    name: str
    reader: str  # "package.module:Class"
    description: str
    aliases: tuple[str, ...] = ()

    def reader_class(self) -> type[SourceReader[Any]]:
        """Import the reader class."""
        module, _, attr = self.reader.partition(":")
        return cast(type[SourceReader[Any]], getattr(importlib.import_module(module), attr))

    def option_names(self) -> tuple[str, ...]:
        return field_names(self.reader_class().options_type)


_REGISTRY: dict[str, SourceEntry] = {}
_ALIASES: dict[str, str] = {}


def register_source(name: str, reader: str, *, description: str, aliases: tuple[str, ...] = ()) -> SourceEntry:
    """Add a dataset kind under `name` (detection asks readers in registration order)."""
    if name in _REGISTRY or name in _ALIASES or name == "auto":
        raise ValueError(f"source {name!r} is already registered")
    if ":" not in reader:
        raise ValueError(f"reader must be 'module:Class', not {reader!r}")
    entry = SourceEntry(name, reader, description, aliases)
    _REGISTRY[name] = entry
    for alias in aliases:
        _ALIASES[alias] = name
    return entry


def source_names() -> tuple[str, ...]:
    """Registered source names, in detection order."""
    return tuple(_REGISTRY)


def source_choices() -> tuple[str, ...]:
    """What a `source` setting may say: auto, the names and their aliases."""
    return ("auto", *_REGISTRY, *_ALIASES)


def source_entry(name: str) -> SourceEntry:
    """The entry of a name or alias; RadbankError naming the choices when there is none."""
    key = _ALIASES.get(name, name)
    try:
        return _REGISTRY[key]
    except KeyError:
        raise RadbankError(f"unknown source {name!r}; choose one of {', '.join(source_choices())}") from None


def all_option_names() -> set[str]:
    """Every option some reader takes."""
    return {n for e in _REGISTRY.values() for n in e.option_names()}


def detect(path: str | Path) -> str:
    """The name of the first registered reader that can read `path` (the last one, folders, as a fallback)."""
    base = Path(path)
    if not base.exists():
        raise RadbankError(f"{base}: folder not found")
    for entry in _REGISTRY.values():
        if entry.reader_class().can_read(base):
            return entry.name
    return next(reversed(_REGISTRY))


def make_options(name: str, values: Mapping[str, Any], origin: str = "source_options", strict: bool = True) -> Any:
    """The options of source `name` from `values`; with strict=False, options it does not take are dropped."""
    entry = source_entry(name)
    cls = entry.reader_class().options_type
    if not strict:
        known = set(field_names(cls))
        for key in sorted(set(values) - known):
            log.warning("option %s does not apply to a %s dataset; ignored", key, entry.name)
        values = {k: v for k, v in values.items() if k in known}
    return build(cls, values, f"{origin} ({entry.name})")


def check_options(source: str, values: Mapping[str, Any], origin: str) -> None:
    """RadbankError for options no reader (source auto) or not this reader takes, or of the wrong type."""
    if source == "auto":
        known = sorted(all_option_names())
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise RadbankError(f"{origin}: unknown source option(s) {', '.join(unknown)} (known: {', '.join(known)})")
        for entry in _REGISTRY.values():  # each value as every reader that takes it would read it
            names = set(entry.option_names())
            make_options(entry.name, {k: v for k, v in values.items() if k in names}, origin)
        return
    make_options(source, values, origin)


def read_source(
    name: str, root: str | Path, values: Mapping[str, Any], workers: int = 0, strict: bool = True
) -> Records:
    """Read `root` with the reader `name` (or the detected one for "auto") and these option values."""
    entry = source_entry(detect(root) if name == "auto" else name)
    options = make_options(entry.name, values, strict=strict and name != "auto")
    records = printable_skipped(entry.reader_class()().read(Path(root), options, workers))
    records.source = records.source or entry.name
    return records
