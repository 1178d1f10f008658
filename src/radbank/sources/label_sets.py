"""Turning per-image sets of finding terms (PadChest's, BIMCV's, radbank's) into a label matrix.

Names are matched by UMLS concept (`radbank.mids.umls`), so `Effusion` (NIH), `Pleural Effusion`
(CheXpert) and `pleural effusion` (PadChest) select the same images. With `hierarchy`, a term counts as
present when a more specific term below it in BIMCV's label tree is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from radbank.errors import RadbankError
from radbank.sources.records import BINARY, Records, from_class_names, is_healthy_name


@dataclass(frozen=True)
class LabelSpec:
    """What to learn from term sets: `labels` (multi-label columns), `positive` (binary), the tree."""

    labels: str | None = None
    positive: str | None = None
    hierarchy: bool = True


NOT_FINDINGS = {"normal", "no finding", "unchanged", "exclude", "suboptimal study"}
IGNORED = {"unchanged", "suboptimal study"}


def row_problem(terms: set[str] | list[str], projection: str = "") -> str | None:
    """Why an image with these terms cannot be used, or None."""
    keys = {t.strip().lower() for t in terms}
    if not keys:
        return "no labels in the table"
    if "exclude" in keys:
        return "marked 'exclude' in the Labels column"
    if projection.upper() == "EXCLUDE":
        return "Projection marked EXCLUDE"
    if not keys - IGNORED:
        return "labelled only 'unchanged' (the findings of an earlier study)"
    return None


def usable(terms: set[str] | list[str]) -> set[str]:
    """The terms that are findings or normal (unchanged / suboptimal study left out)."""
    return {t for t in terms if t.strip().lower() not in IGNORED}


def resolve_names(spec: str | None, present: set[str]) -> list[tuple[str, str]]:
    """(column name, term) pairs for a labels setting ("all": every finding term present, sorted)."""
    from radbank.mids.umls import known_terms, lookup, normalize

    if spec is None or spec.strip().lower() == "all":
        terms = sorted(t for t in present if normalize(t) not in NOT_FINDINGS and not is_healthy_name(t))
        return [(t, t) for t in terms]
    seen = {normalize(p) for p in present}
    out = []
    for name in (n.strip() for n in spec.split(",") if n.strip()):
        if normalize(name) not in seen and lookup(name) is None and normalize(name) not in known_terms():
            raise RadbankError(
                f"unknown label {name!r} (not in the dataset, nor a known PadChest, NIH or CheXpert name)"
            )
        out.append((name, name))
    if not out:
        raise RadbankError("labels: no finding named")
    return out


def label_matrix(
    sets: list[set[str]], columns: list[tuple[str, str]], hierarchy: bool = True
) -> npt.NDArray[np.float32]:
    """1/0 per (row, column): the column's concept is among the row's terms (or below one, with hierarchy)."""
    from radbank.mids.umls import ancestors, lookup, normalize

    def key(term: str) -> str:
        concept = lookup(term)
        return normalize(concept.padchest or concept.label) if concept is not None else normalize(term)

    matrix = np.zeros((len(sets), len(columns)), dtype=np.float32)
    wanted = [key(t) for _, t in columns]
    for i, terms in enumerate(sets):
        keys = {key(t) for t in terms}
        if hierarchy:
            keys |= {a for t in list(keys) for a in ancestors(t)}
        matrix[i] = [1.0 if w in keys else 0.0 for w in wanted]
    return matrix


def labelled(table: pd.DataFrame, sets: list[set[str]], spec: LabelSpec, origin: str, source: str) -> Records:
    """Records from one term set per image: `spec.labels` picks multi-label columns; one term per image and two
    or more terms in all give a binary or multi-class task; otherwise multi-label over every finding term."""
    if spec.labels:
        columns = resolve_names(spec.labels, {t for s in sets for t in s})
    elif all(len(s) == 1 for s in sets):
        classes = [next(iter(s)) for s in sets]
        if len(set(classes)) >= BINARY:
            return from_class_names(table, classes, spec.positive, origin, source=source)
        columns = resolve_names(None, set(classes))
    else:
        columns = resolve_names(None, {t for s in sets for t in s})
    if not columns:
        raise RadbankError(f"{origin}: every image is labelled normal; nothing to learn")
    names = [c for c, _ in columns]
    return Records(table, label_matrix(sets, columns, spec.hierarchy), names, "multilabel", names, source=source)
