"""Scoring de-identification against a gold corpus: entity- and token-level precision, recall, F1.

Entity level, two ways: `exact` (same start, end and label) and `overlap` (a gold span counts as found
when a predicted span of any label covers part of it: what matters for privacy; a predicted span is
right when it overlaps some gold span). Token level: every word-like token inside a gold span must be
inside a predicted span (label-agnostic for recall, per gold label; precision over predicted tokens).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from radbank.text.combine import meddocan_label
from radbank.text.detect import Detector
from radbank.text.kinship import FAMILIARES, kinship_words, replaced
from radbank.text.language import guess_language
from radbank.text.meddocan import Counts, Official, score_document
from radbank.text.pseudonymize import KEPT_LABELS, default_detector
from radbank.text.spans import Span

IDENTIFYING = ("NAME", "ID", "DATE", "PHONE", "EMAIL", "URL", "ADDRESS", "ZIP", "CITY", "INSTITUTION")
"""The labels whose removal `removed` counts (the issue's identifying spans; not age, sex, country)."""
KINSHIP = "KINSHIP"
"""The `removed` row of relatives' spans that hold no name ("su madre", "dos hermanos"): MEDDOCAN labels them
FAMILIARES_SUJETO_ASISTENCIA, radbank keeps them as family history. `ALL` counts them; `ALL-KINSHIP` does not."""

TOKEN = re.compile(r"\w+", re.U)


class Scores(Counts):
    """Counts whose precision and recall are 1.0 when there is nothing to find or nothing found."""

    EMPTY = 1.0


@dataclass
class Evaluation:
    reports: int = 0
    seconds: float = 0.0
    exact: dict[str, Scores] = field(default_factory=dict)
    overlap: dict[str, Scores] = field(default_factory=dict)
    token: dict[str, Scores] = field(default_factory=dict)
    missed: list[dict[str, Any]] = field(default_factory=list)
    spurious: list[dict[str, Any]] = field(default_factory=list)
    removed: dict[str, Scores] = field(default_factory=dict)
    official: Official | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "reports": self.reports,
            "seconds": round(self.seconds, 3),
            "reports_per_second": round(self.reports / self.seconds, 1) if self.seconds else None,
            **{
                level: {k: v.row() for k, v in sorted(getattr(self, level).items())}
                for level in ("exact", "overlap", "token", "removed")
            },
            "missed": self.missed,
            "spurious": self.spurious,
        }
        return {**(self.official.to_dict() if self.official else {}), **out}


def _get(table: dict[str, Scores], label: str) -> Scores:
    return table.setdefault(label, Scores())


def evaluate(records: list[dict[str, Any]], detector: Detector | None = None) -> Evaluation:
    """Score the detector on gold records; ALL rows are the totals."""
    detector = detector or default_detector()
    ev = Evaluation(reports=len(records))
    predictions = []
    started = time.perf_counter()
    for rec in records:
        lang = rec["lang"] if rec["lang"] in ("es", "en") else guess_language(rec["text"])
        predictions.append(detector.detect(rec["text"], lang))
    ev.seconds = time.perf_counter() - started
    for rec, pred in zip(records, predictions, strict=True):
        text, gold = rec["text"], rec["spans"]
        pset = {(p.start, p.end, p.label) for p in pred}
        gset = {(g["start"], g["end"], g["label"]) for g in gold}
        for g in gold:
            key = (g["start"], g["end"], g["label"])
            for label in (g["label"], "ALL"):
                _get(ev.exact, label).tp += key in pset
                _get(ev.exact, label).fn += key not in pset
            hit = any(p.start < g["end"] and g["start"] < p.end for p in pred)
            for label in (g["label"], "ALL"):
                _get(ev.overlap, label).tp += hit
                _get(ev.overlap, label).fn += not hit
            if not hit:
                ev.missed.append({"id": rec["id"], "label": g["label"], "text": text[g["start"] : g["end"]]})
        for p in pred:
            key = (p.start, p.end, p.label)
            for label in (p.label, "ALL"):
                _get(ev.exact, label).fp += key not in gset
            right = any(p.start < g["end"] and g["start"] < p.end for g in gold)
            for label in (p.label, "ALL"):
                _get(ev.overlap, label).fp += not right
            if not right:
                ev.spurious.append({"id": rec["id"], "label": p.label, "text": text[p.start : p.end]})
        _score_tokens(ev, text, gold, pred)
        _score_removal(ev, text, gold, pred)
        if any("meddocan" in g for g in gold):
            ev.official = ev.official or Official()
            score_document(
                ev.official,
                text,
                [(g["meddocan"], g["start"], g["end"]) for g in gold],
                [(meddocan_label(p, text), p.start, p.end) for p in pred],
            )
    return ev


def removed_text(text: str, pred: list[Span]) -> str:
    """The report with every found span (but kept labels) replaced by its tag, as `mode='redact'` writes it."""
    out, last = [], 0
    for p in (replaced(text, s) for s in pred):
        if p.label not in KEPT_LABELS:
            out += [text[last : p.start], f"[{p.label}]"]
            last = p.end
    return "".join(out) + text[last:]


def removal(text: str, gold: list[dict[str, Any]], pred: list[Span]) -> list[tuple[str, bool]]:
    """(row, removed) for every identifying gold span and each `removed` row it counts in: a span is removed
    when its text no longer appears (as a whole word) in the output."""
    output = removed_text(text, pred)
    out = []
    for g in gold:
        if g["label"] in IDENTIFYING:
            value = text[g["start"] : g["end"]].strip()
            gone = re.search(rf"(?<!\w){re.escape(value)}(?!\w)", output) is None
            out += [(row, gone) for row in removal_rows(g, value)]
    return out


def _score_removal(ev: Evaluation, text: str, gold: list[dict[str, Any]], pred: list[Span]) -> None:
    for row, gone in removal(text, gold, pred):
        scores = _get(ev.removed, row)
        scores.tp += gone
        scores.fn += not gone


def kinship_only(gold: dict[str, Any], value: str) -> bool:
    """A relatives' span with no name in it, by the test radbank keeps such spans by (`kinship.kinship_words`)."""
    return gold.get("meddocan") == FAMILIARES and kinship_words(value)


def removal_rows(gold: dict[str, Any], value: str) -> tuple[str, ...]:
    """The `removed` rows an identifying gold span counts in: its label, ALL, and KINSHIP or ALL-KINSHIP."""
    return (gold["label"], "ALL", KINSHIP if kinship_only(gold, value) else "ALL-KINSHIP")


def _score_tokens(ev: Evaluation, text: str, gold: list[dict[str, Any]], pred: list[Any]) -> None:
    for m in TOKEN.finditer(text):
        s, e = m.start(), m.end()
        g = next((g["label"] for g in gold if g["start"] <= s and e <= g["end"]), None)
        p = next((p.label for p in pred if p.start <= s and e <= p.end), None)
        if g is None and p is None:
            continue
        for label in {g or p or "", "ALL"}:
            scores = _get(ev.token, label)
            if g is not None and p is not None:
                scores.tp += 1
            elif g is not None:
                scores.fn += 1
            else:
                scores.fp += 1


def format_table(ev: Evaluation, max_missed: int = 50) -> str:
    """The printed report: a per-label table for each level, then the missed spans."""
    lines = [
        f"{ev.reports} reports, {ev.reports / ev.seconds if ev.seconds else 0:.0f} reports/s (detection, one process)"
    ]
    for level in ("overlap", "exact", "token", "removed"):
        table = getattr(ev, level)
        lines.append(f"\n{level}-level")
        lines.append(f"  {'label':<12} {'gold':>5} {'found':>6} {'precision':>9} {'recall':>7} {'F1':>6}")
        for label in sorted(table, key=lambda k: (k == "ALL", k)):
            s = table[label]
            lines.append(
                f"  {label:<12} {s.tp + s.fn:5d} {s.tp + s.fp:6d} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f}"
            )
    counts = Counter(m["label"] for m in ev.missed)
    if ev.official:
        lines.append("\nMEDDOCAN official (evaluation script's definitions)")
        lines.append(f"  {'subtask':<22} {'precision':>9} {'recall':>7} {'F1':>6}")
        for name in ("subtask1", "subtask2_strict", "subtask2_merged"):
            c = getattr(ev.official, name)
            lines.append(f"  {name:<22} {c.precision:9.4f} {c.recall:7.4f} {c.f1:6.4f}")
    lines.append(f"\nmissed spans: {len(ev.missed)} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
    for m in ev.missed[:max_missed]:
        lines.append(f"  {m['id']}: {m['label']} {m['text']!r}")
    return "\n".join(lines)
