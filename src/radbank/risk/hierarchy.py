"""Generalisation hierarchies of quasi-identifier columns, chosen from the column's name and values.

- numbers: exact -> 5-wide bands -> 10 -> 20 -> '*'; an age column (a word "age"/"edad" in its name) also
  top-codes 90 and over as '90+' (HIPAA Safe Harbor's rule for ages); a birth year is a number, not an age;
- dates (YYYY-MM-DD, YYYYMMDD): -> year-month -> year -> decade -> '*';
- postal codes (column named zip/postal/postcode/cp): one more trailing digit masked per level;
- anything else: value -> '*'.
A column is a number or date column when most of its present values are; the values that are not (a stray
"unknown" in an age column) are kept as categories of their own until the top level and listed in
`Hierarchy.odd`, so that one bad cell does not turn the whole column into '*'. Missing cells ("", "n/a")
are a value of their own until the top level. Every level is a coarsening of the level below it, so
generalising one column further never splits an equivalence class.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

NA_VALUES = ("", "n/a", "nan", "NaN", "None")
POSTAL = re.compile(r"(^|_)(zip|postal|postcode|post_code|cp|codigo_postal)($|_)", re.IGNORECASE)
DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")
AGE_WORDS = frozenset({"age", "edad"})
AGE_WIDTHS = (5, 10, 20)
TOP_AGE = 90
MAJORITY = 0.5
SHOWN_ODD = 10


@dataclass
class Hierarchy:
    """A column's generalisation levels: level 0 is the value itself, `levels` is '*'."""

    kind: str
    levels: int
    apply: Callable[[str, int], str]
    odd: list[str] = field(default_factory=list)


def _words(name: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name)}


def _number(value: str, level: int, top_code: bool) -> str:
    try:
        a = float(value)
    except ValueError:
        return value  # an odd value stays a category of its own
    if level == 0:
        return value
    if top_code and a >= TOP_AGE:
        return f"{TOP_AGE}+"
    w = AGE_WIDTHS[level - 1]
    lo = int(a // w * w)
    hi = min(lo + w - 1, TOP_AGE - 1) if top_code else lo + w - 1
    return f"{lo}-{hi}"


def _date(value: str, level: int) -> str:
    m = DATE.match(value)
    if level == 0 or not m:
        return value
    y, mo = m.group(1), m.group(2)
    return [f"{y}-{mo}", y, f"{y[:3]}0s"][level - 1]


def _postal(value: str, level: int) -> str:
    keep = max(len(value) - level, 0)
    return value[:keep] + "*" * (len(value) - keep)


def _topped(levels: int, fn: Callable[[str, int], str]) -> Callable[[str, int], str]:
    """`fn` below the top level, '*' at it; missing cells stay as they are below the top."""

    def apply(value: str, level: int) -> str:
        if level >= levels:
            return "*"
        return value if value in NA_VALUES else fn(value, level)

    return apply


def _odd(present: pd.Series, fits: pd.Series) -> list[str]:
    return sorted(present[~fits].unique().tolist())


def hierarchy(name: str, values: pd.Series) -> Hierarchy:
    """The generalisation hierarchy of a column (see the module docstring)."""
    present = values[~values.isin(NA_VALUES)].astype(str)
    if POSTAL.search(name):
        width = int(present.str.len().max()) if len(present) else 1
        return Hierarchy("postal", width, _topped(width, _postal))
    if not len(present):
        return Hierarchy("category", 1, _topped(1, lambda v, lv: v))
    dates = present.str.match(DATE)
    if dates.mean() > MAJORITY:
        return Hierarchy("date", 4, _topped(4, _date), _odd(present, dates))
    numbers = pd.to_numeric(present, errors="coerce").notna()
    if numbers.mean() > MAJORITY:
        top_code = bool(_words(name) & AGE_WORDS)
        top = len(AGE_WIDTHS) + 1
        kind = "age" if top_code else "number"
        return Hierarchy(kind, top, _topped(top, lambda v, lv: _number(v, lv, top_code)), _odd(present, numbers))
    return Hierarchy("category", 1, _topped(1, lambda v, lv: v))


def describe_odd(name: str, kind: str, odd: list[str]) -> str:
    """One line naming the values of a number/date column that are neither (empty when there are none)."""
    if not odd:
        return ""
    shown = ", ".join(repr(v) for v in odd[:SHOWN_ODD]) + (" ..." if len(odd) > SHOWN_ODD else "")
    return f"{name}: {len(odd)} value(s) that are not {kind}s kept as categories of their own: {shown}"
