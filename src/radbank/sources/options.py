"""Typed settings from plain values (YAML, CLI): one coercion for TrainConfig and every reader's options."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from radbank.errors import RadbankError

T = TypeVar("T")


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
        return value.lower() in ("true", "yes")
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _dict(value: Any) -> dict[str, Any] | None:
    ok = isinstance(value, Mapping) and all(isinstance(k, str) for k in value)
    return dict(value) if ok else None


_CONVERT: dict[Any, tuple[Any, str]] = {
    bool: (_bool, "true or false"),
    int: (_int, "an integer"),
    float: (_float, "a number"),
    str: (_str, "a string"),
    dict: (_dict, "a mapping of names to values"),
}


def coerce(value: Any, hint: Any, where: str) -> Any:
    """`value` as type `hint` (str, int, float, bool, an Optional of them, or a str-keyed dict), else RadbankError."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
    convert, what = _CONVERT.get(typing.get_origin(hint) or hint, (None, ""))
    if convert is None:
        return value
    out = convert(value)
    if out is None:
        raise RadbankError(f"{where} must be {what}, not {value!r}")
    return out


def build(cls: type[T], values: Mapping[str, Any], origin: str) -> T:
    """An instance of the dataclass `cls` from `values`, naming unknown keys and wrong types."""
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - fields)
    if unknown:
        known = ", ".join(sorted(fields)) or "none"
        raise RadbankError(f"{origin}: unknown option(s) {', '.join(unknown)} (known: {known})")
    hints = typing.get_type_hints(cls)
    return cls(**{k: coerce(v, hints[k], f"{origin}: {k}") for k, v in values.items()})


def field_names(cls: type[Any]) -> tuple[str, ...]:
    """The option names of a dataclass."""
    return tuple(f.name for f in dataclasses.fields(cls))


def parse_key_values(items: list[str] | None, what: str = "source option") -> dict[str, str]:
    """`KEY=VALUE` strings (a repeated command-line option) as a dict; RadbankError for a malformed one."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise RadbankError(f"{what} {item!r}: expected KEY=VALUE")
        out[key.strip().replace("-", "_")] = value
    return out
