"""MEDDOCAN's official metrics, computed as its evaluation script (PlanTL-GOB-ES/MEDDOCAN-Evaluation-Script,
`classes.py`) computes them.

- Subtask 1 (NER): per document, the sets of (label, start, end) of gold and system; TP = intersection,
  FP = system - gold, FN = gold - system.
- Subtask 2 strict: the same with (start, end), labels ignored.
- Subtask 2 merged: spans sorted, and a span joined to the previous one when the text between them has no
  alphanumeric character; TP = strict matches plus merged matches; a strict FP/FN is forgiven when it lies
  inside one of those matches.
Micro-averaged over documents: P = TP / (TP + FP), R = TP / (TP + FN) (0 when undefined), F1 = 2PR / (P + R).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

Entity = tuple[str, int, int]
Pair = tuple[int, int]


@dataclass
class Counts:
    """True positives, false positives and false negatives, summed over documents."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    EMPTY: ClassVar[float] = 0.0  # precision (recall) when nothing was predicted (expected): MEDDOCAN's script

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else self.EMPTY

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else self.EMPTY

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def row(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class Official:
    """The official scores of one system on one corpus, and subtask 1 per gold/system label."""

    subtask1: Counts = field(default_factory=Counts)
    subtask2_strict: Counts = field(default_factory=Counts)
    subtask2_merged: Counts = field(default_factory=Counts)
    per_label: dict[str, Counts] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subtask1": self.subtask1.row(),
            "subtask2_strict": self.subtask2_strict.row(),
            "subtask2_merged": self.subtask2_merged.row(),
            "per_label": {k: v.row() for k, v in sorted(self.per_label.items())},
        }


def merge_spans(text: str, pairs: Iterable[Pair]) -> list[Pair]:
    """Sorted spans, each joined to the previous one when only non-alphanumerics lie between them."""
    merged: list[Pair] = []
    for start, end in sorted(pairs):
        if merged and not any(ch.isalnum() for ch in text[merged[-1][1] : start]):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _contained(pair: Pair, container: set[Pair]) -> bool:
    return any(pair[0] >= c[0] and pair[1] <= c[1] for c in container)


def _add(counts: Counts, tp: int, fp: int, fn: int) -> None:
    counts.tp += tp
    counts.fp += fp
    counts.fn += fn


def score_document(result: Official, text: str, gold: Sequence[Entity], system: Sequence[Entity]) -> None:
    """Add one document's counts to `result`."""
    g1, s1 = set(gold), set(system)
    _add(result.subtask1, len(g1 & s1), len(s1 - g1), len(g1 - s1))
    for label in {e[0] for e in g1 | s1}:
        gl, sl = {e for e in g1 if e[0] == label}, {e for e in s1 if e[0] == label}
        _add(result.per_label.setdefault(label, Counts()), len(gl & sl), len(sl - gl), len(gl - sl))
    g2, s2 = {(e[1], e[2]) for e in g1}, {(e[1], e[2]) for e in s1}
    _add(result.subtask2_strict, len(g2 & s2), len(s2 - g2), len(g2 - s2))
    matched = (g2 & s2) | (set(merge_spans(text, g2)) & set(merge_spans(text, s2)))
    fp = {p for p in s2 - g2 if not _contained(p, matched)}
    fn = {p for p in g2 - s2 if not _contained(p, matched)}
    _add(result.subtask2_merged, len(matched), len(fp), len(fn))


def official_scores(docs: Iterable[tuple[str, Sequence[Entity], Sequence[Entity]]]) -> Official:
    """The official scores over (text, gold entities, system entities) of each document."""
    result = Official()
    for text, gold, system in docs:
        score_document(result, text, gold, system)
    return result
