"""Privacy models and re-identification risks of a table, on its quasi-identifiers and sensitive attribute.

Definitions (as in the AEPD and Singapore PDPC anonymisation guides, and the Article 29 WP Opinion 05/2014
they build on; cf. pycanon and ARX):
- equivalence class: records sharing every quasi-identifier value; k = the smallest class.
- l-diversity (distinct): the fewest distinct sensitive values in a class; entropy l = exp(min class entropy).
- t-closeness: the largest Earth Mover's Distance between a class's sensitive distribution and the table's
  (ordered distance for numeric attributes, equal distance, i.e. total variation, for categorical ones).
- singling out: records alone in their class; linkability: records in classes smaller than the threshold,
  with the prosecutor (max 1/|E|) and average (classes / records) re-identification probabilities;
  inference: records whose class has a single sensitive value, and how often the class's most common value
  is right compared with the table's most common value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from radbank.errors import RadbankError

SIZE_BINS = ((1, 1), (2, 2), (3, 4), (5, 9), (10, 19), (20, None))


@dataclass
class RiskReport:
    """Figures of one table."""

    records: int
    quasi: list[str]
    sensitive: list[str]
    threshold: int
    classes: int
    k: int
    l_distinct: dict[str, int] = field(default_factory=dict)
    l_entropy: dict[str, float] = field(default_factory=dict)
    t_closeness: dict[str, float] = field(default_factory=dict)
    class_sizes: list[dict[str, Any]] = field(default_factory=list)
    records_at_risk: int = 0
    singling_out: float = 0.0
    linkability_max: float = 0.0
    linkability_avg: float = 0.0
    inference_certain: dict[str, float] = field(default_factory=dict)
    inference_accuracy: dict[str, float] = field(default_factory=dict)
    inference_baseline: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_columns(table: pd.DataFrame, columns: list[str], what: str, origin: str = "table") -> None:
    """A clear error when a named column is not in the table."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise RadbankError(f"{origin}: no {what} column(s) {', '.join(missing)} (columns: {', '.join(table.columns)})")


def class_ids(table: pd.DataFrame, quasi: list[str]) -> np.ndarray:
    """The equivalence class of each row (missing values form a value of their own)."""
    if not quasi:
        return np.zeros(len(table), dtype=np.int64)
    keys = table[quasi].astype(str)
    return keys.groupby(quasi, sort=False, dropna=False).ngroup().to_numpy()


def _emd(p: np.ndarray, q: np.ndarray, ordered: bool) -> float:
    if ordered and len(p) > 1:
        return float(np.abs(np.cumsum(p - q)).sum() / (len(p) - 1))
    return float(0.5 * np.abs(p - q).sum())


def _numeric(values: pd.Series) -> pd.Series | None:
    num = pd.to_numeric(values, errors="coerce")
    return num if num.notna().all() else None


def assess(table: pd.DataFrame, quasi: list[str], sensitive: list[str], threshold: int = 5) -> RiskReport:
    """All figures of `table` (see the module docstring)."""
    check_columns(table, quasi, "quasi-identifier")
    check_columns(table, sensitive, "sensitive")
    n = len(table)
    if n == 0:
        raise RadbankError("the table has no rows")
    ids = class_ids(table, quasi)
    sizes = np.bincount(ids)
    per_record = sizes[ids]
    rep = RiskReport(n, list(quasi), list(sensitive), threshold, len(sizes), int(sizes.min()))
    for lo, hi in SIZE_BINS:
        sel = (sizes >= lo) & (sizes <= (hi if hi is not None else np.inf))
        rep.class_sizes.append({"size": f"{lo}" if lo == hi else (f"{lo}-{hi}" if hi else f"{lo}+"),
                                "classes": int(sel.sum()), "records": int(sizes[sel].sum())})  # fmt: skip
    rep.records_at_risk = int((per_record < threshold).sum())
    rep.singling_out = float((per_record == 1).mean())
    rep.linkability_max = float(1.0 / sizes.min())
    rep.linkability_avg = float(len(sizes) / n)
    for s in sensitive:
        _sensitive(rep, table[s], ids, len(sizes))
    return rep


def _sensitive(rep: RiskReport, column: pd.Series, ids: np.ndarray, n_classes: int) -> None:
    name = str(column.name)
    num = _numeric(column)
    if num is not None:
        levels = np.sort(num.unique())
        codes = np.searchsorted(levels, num.to_numpy())
    else:
        levels_idx = pd.Index(column.astype(str).unique()).sort_values()
        codes = levels_idx.get_indexer(column.astype(str))
        levels = np.asarray(levels_idx)
    counts = np.zeros((n_classes, len(levels)), dtype=np.int64)
    np.add.at(counts, (ids, codes), 1)
    sizes = counts.sum(axis=1, keepdims=True)
    dist = counts / sizes
    overall = counts.sum(axis=0) / counts.sum()
    distinct = (counts > 0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.nansum(np.where(dist > 0, dist * np.log(dist), 0.0), axis=1)
    rep.l_distinct[name] = int(distinct.min())
    rep.l_entropy[name] = round(float(np.exp(entropy.min())), 6)
    rep.t_closeness[name] = round(max(_emd(d, overall, num is not None) for d in dist), 6)
    per_record_certain = (distinct == 1)[ids]
    rep.inference_certain[name] = float(per_record_certain.mean())
    rep.inference_accuracy[name] = float(counts.max(axis=1).sum() / counts.sum())
    rep.inference_baseline[name] = float(overall.max())


def format_report(rep: RiskReport, title: str = "") -> str:
    """A plain-text table of the figures."""
    lines = [title] if title else []
    lines += [
        f"records {rep.records}, quasi-identifiers {', '.join(rep.quasi)}; sensitive {', '.join(rep.sensitive)}",
        f"k-anonymity         k = {rep.k}  ({rep.classes} equivalence classes)",
    ]
    for s in rep.sensitive:
        lines.append(f"l-diversity ({s})  distinct l = {rep.l_distinct[s]}, entropy l = {rep.l_entropy[s]:.2f}")
        lines.append(f"t-closeness ({s})  t = {rep.t_closeness[s]:.3f}")
    lines.append("class size  classes  records")
    lines += [f"{b['size']:>10}  {b['classes']:>7}  {b['records']:>7}" for b in rep.class_sizes]
    pct = 100.0 / rep.records
    lines += [
        f"records at risk (class < {rep.threshold}): {rep.records_at_risk} ({rep.records_at_risk * pct:.1f}%)",
        f"singling out: {rep.singling_out:.1%} of records are unique on the quasi-identifiers",
        f"linkability: re-identification probability max {rep.linkability_max:.3f}, average {rep.linkability_avg:.3f}",
    ]
    for s in rep.sensitive:
        lines.append(
            f"inference ({s}): {rep.inference_certain[s]:.1%} of records in classes with one value; guessing the "
            f"class's commonest value is right {rep.inference_accuracy[s]:.1%} (table's commonest: "
            f"{rep.inference_baseline[s]:.1%})"
        )
    return "\n".join(lines)
