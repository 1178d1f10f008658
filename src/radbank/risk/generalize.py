"""Generalise and suppress quasi-identifiers until a table is k-anonymous (Datafly-style greedy search).

Hierarchies, chosen per column from its name and values:
- numbers (age): exact -> 5-year bands -> 10 -> 20 -> '*' (ages of 90 and over are one band, '90+');
- dates (YYYY-MM-DD, YYYYMMDD): -> year-month -> year -> decade -> '*';
- postal codes (column named zip/postal/postcode/cp): one more trailing digit masked per level;
- anything else: value -> '*'.
Each round tries generalising each quasi-identifier one level and keeps the step that leaves the fewest
records in classes smaller than k (ties: the smallest loss of precision); when at most `max_suppression`
of the records remain at risk, those records are suppressed.
Information loss: each column's level / its top level, the records suppressed, the discernibility
metric and the normalised average class size.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from radbank.errors import RadbankError
from radbank.risk.measures import check_columns, class_ids

NA_VALUES = ("", "n/a", "nan", "NaN", "None")
POSTAL = re.compile(r"(^|_)(zip|postal|postcode|post_code|cp|codigo_postal)($|_)", re.IGNORECASE)
DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")
AGE_WIDTHS = (5, 10, 20)
TOP_AGE = 90


@dataclass
class Hierarchy:
    """A column's generalisation levels: level 0 is the value itself, `levels` is '*'."""

    kind: str
    levels: int
    apply: Callable[[str, int], str]


def _age(value: str, level: int) -> str:
    if value in NA_VALUES:
        return value
    try:
        a = float(value)
    except ValueError:
        return "*"
    if level == 0:
        return value
    if a >= TOP_AGE:
        return f"{TOP_AGE}+"
    w = AGE_WIDTHS[level - 1]
    lo = int(a // w * w)
    return f"{lo}-{min(lo + w - 1, TOP_AGE - 1)}"


def _date(value: str, level: int) -> str:
    m = DATE.match(value)
    if level == 0 or not m:
        return value if level == 0 else "*"
    y, mo = m.group(1), m.group(2)
    return [f"{y}-{mo}", y, f"{y[:3]}0s"][level - 1]


def _postal(value: str, level: int) -> str:
    keep = max(len(value) - level, 0)
    return value[:keep] + "*" * (len(value) - keep)


def hierarchy(name: str, values: pd.Series) -> Hierarchy:
    """The generalisation hierarchy of a column (see the module docstring)."""
    present = values[~values.isin(NA_VALUES)].astype(str)
    if POSTAL.search(name):
        width = int(present.str.len().max()) if len(present) else 1
        return Hierarchy("postal", width, lambda v, lv: "*" if lv >= width else _postal(v, lv))
    if len(present) and present.str.match(DATE).all():
        return Hierarchy("date", 4, lambda v, lv: "*" if lv >= 4 else _date(v, lv))
    if len(present) and pd.to_numeric(present, errors="coerce").notna().all():
        top = len(AGE_WIDTHS) + 1
        return Hierarchy("number", top, lambda v, lv: "*" if lv >= top else _age(v, lv))
    return Hierarchy("category", 1, lambda v, lv: "*" if lv >= 1 else v)


@dataclass
class Generalised:
    """The k-anonymous table and what it cost."""

    table: pd.DataFrame
    k: int
    levels: dict[str, int]
    top_levels: dict[str, int]
    kinds: dict[str, str]
    suppressed: int
    loss: dict[str, Any] = field(default_factory=dict)


def _sizes(table: pd.DataFrame, quasi: list[str]) -> np.ndarray:
    ids = class_ids(table, quasi)
    return np.bincount(ids)[ids]


def generalise(table: pd.DataFrame, quasi: list[str], k: int, max_suppression: float = 0.05) -> Generalised:
    """Generalise `quasi` columns and suppress records until every class has at least k records."""
    trials: dict[str, tuple[int, float, int, pd.DataFrame]]
    check_columns(table, quasi, "quasi-identifier")
    if k < 1:
        raise RadbankError("--target-k must be at least 1")
    if not 0.0 <= max_suppression < 1.0:
        raise RadbankError("--max-suppression must be a fraction in [0, 1)")
    source = table.astype(str)
    hier = {q: hierarchy(q, source[q]) for q in quasi}
    levels = dict.fromkeys(quasi, 0)
    current = source.copy()
    n = len(source)
    while True:
        sizes = _sizes(current, quasi)
        at_risk = sizes < k
        if at_risk.sum() <= max_suppression * n:
            break
        open_cols = [q for q in quasi if levels[q] < hier[q].levels]
        if not open_cols:
            break
        trials = {}
        for q in open_cols:
            trial = current.copy()
            trial[q] = [hier[q].apply(v, levels[q] + 1) for v in source[q]]
            trials[q] = (int((_sizes(trial, quasi) < k).sum()), 1.0 / hier[q].levels, quasi.index(q), trial)
        col = min(trials, key=lambda q: trials[q][:3])
        levels[col] += 1
        current = trials[col][3]
    sizes = _sizes(current, quasi)
    kept = current[sizes >= k].reset_index(drop=True)
    suppressed = n - len(kept)
    k_reached = int(_sizes(kept, quasi).min()) if len(kept) else 0
    top = {q: h.levels for q, h in hier.items()}
    out = Generalised(kept, k_reached, levels, top, {q: h.kind for q, h in hier.items()}, suppressed)
    out.loss = information_loss(kept, quasi, levels, out.top_levels, suppressed, n, k)
    return out


def information_loss(kept: pd.DataFrame, quasi: list[str], levels: dict[str, int], top: dict[str, int],
                     suppressed: int, n: int, k: int) -> dict[str, Any]:  # fmt: skip
    """Generalisation intensity per column, precision (1 - mean intensity), suppression, DM and C_avg."""
    intensity = {q: round(levels[q] / top[q], 4) if top[q] else 0.0 for q in quasi}
    sizes = np.bincount(class_ids(kept, quasi)) if len(kept) else np.array([], dtype=np.int64)
    return {
        "intensity": intensity,
        "precision": round(1.0 - float(np.mean(list(intensity.values()))), 4) if quasi else 1.0,
        "suppressed_fraction": round(suppressed / n, 4) if n else 0.0,
        "discernibility": int((sizes.astype(np.int64) ** 2).sum() + suppressed * n),
        "avg_class_size_ratio": round(len(kept) / len(sizes) / k, 4) if len(sizes) else 0.0,
    }
