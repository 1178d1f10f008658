"""Privacy models and re-identification risks of a table, counted over distinct persons.

Definitions (the AEPD and Singapore PDPC anonymisation guides and the Article 29 WP Opinion 05/2014 they
build on; k, l and t as in pycanon and ARX). A row is a record; the subject column says whose it is
(radbank.risk.classes), and one person may have several records with different quasi-identifier values
(a StudyDate per study, the same PatientBirth):
- equivalence class: the records sharing every quasi-identifier value; its size is the number of distinct
  persons among them; k = the smallest size. A person is at risk when ANY of their records sits in a class
  of fewer than `threshold` persons: an attacker who knows the quasi-identifiers of one study finds that
  record among fewer than `threshold` persons (sdcMicro's hierarchical risk takes the same view of a
  household: it is re-identified when at least one member is).
- singling out: persons alone in at least one of their classes; linkability: each person's prosecutor
  re-identification probability is 1 / the size of their smallest class: max (= 1/k) and average over
  persons. With one record per person these are the record-level figures (average = classes / records).
- records joined on the subject column: when the released table keeps the subject column, an attacker who
  knows several of a person's records can intersect their classes; the persons whose set of classes is
  unique are counted. Per-record k does not protect them (drop or re-key the subject column if it matters).
- l-diversity, t-closeness, inference: radbank.risk.sensitive.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from radbank.errors import RadbankError
from radbank.risk.classes import (
    AUTO,
    Ints,
    Subjects,
    any_per_person,
    check_columns,
    class_ids,
    persons_per_class,
    subjects,
    unique_combinations,
    worst_per_person,
)
from radbank.risk.report import RiskReport, format_report
from radbank.risk.sensitive import sensitive_figures

__all__ = ["AUTO", "RiskReport", "assess", "check_columns", "class_ids", "format_report"]

SIZE_BINS = ((1, 1), (2, 2), (3, 4), (5, 9), (10, 19), (20, None))


def _size_bins(persons: Ints, ids: Ints, who: Subjects) -> list[dict[str, Any]]:
    records = np.bincount(ids, minlength=len(persons))
    out: list[dict[str, Any]] = []
    for lo, hi in SIZE_BINS:
        sel = (persons >= lo) & (persons <= (hi if hi is not None else np.inf))
        size = f"{lo}" if lo == hi else (f"{lo}-{hi}" if hi else f"{lo}+")
        members = int(any_per_person(sel[ids], who).sum())
        out.append({"size": size, "classes": int(sel.sum()), "records": int(records[sel].sum()), "persons": members})
    return out


def assess(
    table: pd.DataFrame, quasi: list[str], sensitive: list[str], threshold: int = 5, subject: str | None = AUTO
) -> RiskReport:
    """All figures of `table` (see the module docstring); `subject`: the person column, AUTO or None (rows)."""
    check_columns(table, quasi, "quasi-identifier")
    check_columns(table, sensitive, "sensitive")
    if not quasi:
        raise RadbankError("no quasi-identifier columns given")
    if threshold < 1:
        raise RadbankError(f"the risk threshold must be at least 1 (got {threshold})")
    if len(table) == 0:
        raise RadbankError("the table has no rows")
    who = subjects(table, subject)
    if who.column is not None and who.column in [*quasi, *sensitive]:
        raise RadbankError(f"{who.column} is the subject column; it cannot also be a quasi-identifier or sensitive")
    ids = class_ids(table, quasi)
    persons = persons_per_class(ids, who)
    smallest = worst_per_person(persons[ids], who)  # per person: the size of their smallest class
    rep = RiskReport(
        len(table),
        list(quasi),
        list(sensitive),
        threshold,
        len(persons),
        int(persons.min()),
        who.unit,
        who.column,
        who.count,
        who.without_id,
    )
    rep.class_sizes = _size_bins(persons, ids, who)
    rep.subjects_at_risk = int((smallest < threshold).sum())
    rep.records_at_risk = int((persons[ids] < threshold).sum())
    rep.singling_out = float((smallest == 1).mean())
    rep.linkability_max = float(1.0 / persons.min())
    rep.linkability_avg = float((1.0 / smallest).mean())
    if who.column is not None and who.count < len(table):
        rep.unique_combinations = unique_combinations(ids, who)
    for s in sensitive:
        f = sensitive_figures(table[s], ids, who, persons)
        rep.l_distinct[s], rep.l_entropy[s], rep.t_closeness[s] = f.l_distinct, f.l_entropy, f.t_closeness
        rep.inference_certain[s], rep.inference_accuracy[s] = f.inference_certain, f.inference_accuracy
        rep.inference_baseline[s] = f.inference_baseline
    return rep
