"""Classification metrics with their uncertainty: pure functions over arrays.

Intervals by image (Wilson for proportions, a stratified bootstrap for ROC AUC) count images as
independent; given the patient of each image, every figure also gets `by_patient`: an interval from a
patient-level (cluster) bootstrap (radbank.cluster_bootstrap), with the number of patients.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score, roc_curve

from radbank import cluster_bootstrap as cb

Z95 = 1.959963984540054
PATIENT_FIGURES = ("sensitivity", "specificity", "roc_auc")  # per class / finding, with `by_patient`


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927; Newcombe 1998, method 3)."""
    if n <= 0:
        return (math.nan, math.nan)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def proportion(successes: int, n: int) -> dict[str, Any]:
    """A proportion with its 95% Wilson interval, as stored in metrics.json."""
    lo, hi = wilson_interval(successes, n)
    return {
        "value": successes / n if n else None,
        "ci95": [_num(lo), _num(hi)],
        "k": int(successes),
        "n": int(n),
        "method": "wilson",
    }


def confusion_counts(y_true: NDArray[Any], y_pred: NDArray[Any]) -> dict[str, int]:
    """TP, FP, FN, TN for 0/1 arrays (1 = sick)."""
    t, p = np.asarray(y_true).astype(bool), np.asarray(y_pred).astype(bool)
    return {"tp": int((t & p).sum()), "fp": int((~t & p).sum()), "fn": int((t & ~p).sum()), "tn": int((~t & ~p).sum())}


def tutorial_layout(c: dict[str, int]) -> list[list[int]]:
    """The tutorial's confusion matrix: rows = predicted (sick, healthy), columns = truth (sick, healthy)."""
    return [[c["tp"], c["fp"]], [c["fn"], c["tn"]]]


def format_confusion(matrix: list[list[int]], names: list[str]) -> str:
    """Render a confusion matrix whose rows are predictions and columns the truth, with labels."""
    width = max(8, *(len(n) for n in names), *(len(str(v)) for row in matrix for v in row))
    head = " " * (width + 12) + "truth".center((width + 1) * len(names))
    cols = " " * (width + 12) + " ".join(n.rjust(width) for n in names)
    lines = [head, cols]
    for i, (name, row) in enumerate(zip(names, matrix, strict=True)):
        label = ("predicted " if i == 0 else " " * 10) + name.rjust(width)
        lines.append(label + "  " + " ".join(str(v).rjust(width) for v in row))
    return "\n".join(lines)


def auc_with_ci(y_true: NDArray[Any], score: NDArray[Any], n_boot: int = 2000, seed: int = 0) -> dict[str, Any]:
    """ROC AUC with a 95% stratified-bootstrap percentile interval; None when one class is missing."""
    y = np.asarray(y_true).astype(int)
    s = np.asarray(score, dtype=np.float64)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if len(pos) == 0 or len(neg) == 0:
        return {"value": None, "ci95": [None, None], "method": "undefined: one class only"}
    value = float(roc_auc_score(y, s))
    boots = bootstrap_aucs(s[pos], s[neg], n_boot, seed)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return {"value": value, "ci95": [float(lo), float(hi)], "method": f"stratified bootstrap, {n_boot} resamples"}


def bootstrap_aucs(pos: NDArray[Any], neg: NDArray[Any], n_boot: int, seed: int = 0, chunk: int = 100) -> NDArray[Any]:
    """AUCs of `n_boot` resamples, positives and negatives resampled separately (stratified). The interval depends
    on the scores only, not on the order of the images (train and `radbank evaluate` list them differently)."""
    pos = np.sort(pos)
    n_p, n_n = len(pos), len(neg)
    rng = np.random.default_rng(seed)
    sorted_neg = cb.SortedNegatives(pos, neg)
    out = []
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        # Counts drawn for the negatives in sorted order: they are exchangeable, so no reordering is needed.
        out.append(sorted_neg.aucs(cb.draw_counts(rng, n_p, b), cb.draw_counts(rng, n_n, b), presorted=True))
    return np.concatenate(out)


def weighted_aucs(pos: NDArray[Any], neg: NDArray[Any], w: NDArray[Any], v: NDArray[Any]) -> NDArray[Any]:
    """Exact AUC for each row of case weights w (b, n_pos) and v (b, n_neg); ties count one half."""
    return cb.SortedNegatives(pos, neg).aucs(w, v)


Figures = dict[str, tuple[dict[str, Any], cb.Statistic]]  # name -> (the figure's dict, its statistic)


def add_by_patient(
    out: dict[str, Any], patients: NDArray[Any] | None, figures: Callable[[cb.Clusters], Figures]
) -> None:
    """Give each figure dict a `by_patient` interval from one shared set of patient resamples.

    `figures` builds the statistics for the patients of the images; `out["patients"]` gets their number.
    """
    if patients is None:
        return
    clusters = cb.Clusters.from_ids(patients)
    wanted = figures(clusters)
    found = cb.intervals(clusters, {k: stat for k, (_, stat) in wanted.items()})
    for key, (figure, _) in wanted.items():
        figure["by_patient"] = found[key]
    out["patients"] = clusters.count


def _rates(
    clusters: cb.Clusters, y: NDArray[Any], pred: NDArray[Any], score: NDArray[Any], rows: NDArray[Any] | None = None
) -> dict[str, cb.Statistic]:
    """Patient-bootstrap statistics of a 0/1 truth and prediction: sensitivity, specificity, PPV, NPV, AUC."""
    keep = np.ones(len(y), dtype=bool) if rows is None else rows
    t, p = (y == 1) & keep, (pred == 1) & keep
    f, n = (y == 0) & keep, (pred == 0) & keep
    return {
        "sensitivity": cb.ratio(clusters, t & p, t),
        "specificity": cb.ratio(clusters, f & n, f),
        "ppv": cb.ratio(clusters, t & p, p),
        "npv": cb.ratio(clusters, f & n, n),
        "roc_auc": cb.auc(clusters, y, score, keep),
    }


def binary_metrics(
    y_true: NDArray[Any],
    prob: NDArray[Any],
    threshold: float = 0.5,
    names: tuple[str, str] = ("healthy", "sick"),
    patients: NDArray[Any] | None = None,
) -> dict[str, Any]:
    """Everything the report shows for a binary classifier (1 = sick = names[1]).

    With `patients` (one ID per image), each figure with an interval also gets `by_patient`.
    """
    y = np.asarray(y_true).astype(int)
    p = np.asarray(prob, dtype=np.float64)
    c = confusion_counts(y, p >= threshold)
    n = len(y)
    out: dict[str, Any] = {
        "task": "binary",
        "n": n,
        "negative": names[0],
        "positive": names[1],
        "threshold": threshold,
        "counts": {**c, "positives": int(y.sum()), "negatives": int(n - y.sum())},
        "confusion_matrix": {
            "rows": f"predicted ({names[1]}, {names[0]})",
            "columns": f"truth ({names[1]}, {names[0]})",
            "matrix": tutorial_layout(c),
        },
        "accuracy": proportion(c["tp"] + c["tn"], n),
        "sensitivity": proportion(c["tp"], c["tp"] + c["fn"]),
        "specificity": proportion(c["tn"], c["tn"] + c["fp"]),
        "ppv": proportion(c["tp"], c["tp"] + c["fp"]),
        "npv": proportion(c["tn"], c["tn"] + c["fn"]),
        "roc_auc": auc_with_ci(y, p),
    }
    pred = (p >= threshold).astype(int)

    def figures(clusters: cb.Clusters) -> Figures:
        stats = {"accuracy": cb.ratio(clusters, pred == y, np.ones(n))} | _rates(clusters, y, pred, p)
        return {k: (out[k], stat) for k, stat in stats.items()}

    add_by_patient(out, patients, figures)
    sens, spec = out["sensitivity"]["value"], out["specificity"]["value"]
    ppv = out["ppv"]["value"]
    out["balanced_accuracy"] = _num((sens + spec) / 2) if sens is not None and spec is not None else None
    out["f1"] = _num(2 * ppv * sens / (ppv + sens)) if ppv and sens else 0.0
    return out


def multiclass_metrics(
    y_true: NDArray[Any], prob: NDArray[Any], names: list[str], patients: NDArray[Any] | None = None
) -> dict[str, Any]:
    """Accuracy, K x K confusion (rows predicted, columns truth) and one-vs-rest figures per class.

    With `patients`, accuracy and the per-class figures also get `by_patient` intervals.
    """
    y = np.asarray(y_true).astype(int)
    pred = np.asarray(prob).argmax(axis=1)
    k = len(names)
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (pred, y), 1)
    per_class: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(names):
        c = confusion_counts(y == j, pred == j)
        per_class[name] = {
            "sensitivity": proportion(c["tp"], c["tp"] + c["fn"]),
            "specificity": proportion(c["tn"], c["tn"] + c["fp"]),
            "roc_auc": auc_with_ci(y == j, prob[:, j]),
        }
    aucs = [v["roc_auc"]["value"] for v in per_class.values() if v["roc_auc"]["value"] is not None]
    out: dict[str, Any] = {
        "task": "multiclass",
        "n": len(y),
        "classes": names,
        "accuracy": proportion(int((pred == y).sum()), len(y)),
        "confusion_matrix": {"rows": "predicted", "columns": "truth", "labels": names, "matrix": matrix.tolist()},
        "per_class": per_class,
        "macro_roc_auc": float(np.mean(aucs)) if aucs else None,
    }

    def figures(clusters: cb.Clusters) -> Figures:
        found: Figures = {"accuracy": (out["accuracy"], cb.ratio(clusters, pred == y, np.ones(len(y))))}
        for j, name in enumerate(names):
            rates = _rates(clusters, (y == j).astype(int), (pred == j).astype(int), prob[:, j])
            found |= {f"{name}/{k}": (per_class[name][k], rates[k]) for k in PATIENT_FIGURES}
        return found

    add_by_patient(out, patients, figures)
    return out


def multilabel_metrics(
    labels: NDArray[Any],
    prob: NDArray[Any],
    names: list[str],
    threshold: float = 0.5,
    patients: NDArray[Any] | None = None,
) -> dict[str, Any]:
    """Per-finding ROC AUC (bootstrap 95% CI), sensitivity/specificity at the threshold; unknowns ignored.

    With `patients`, each finding's AUC, sensitivity and specificity also get `by_patient` intervals.
    """
    per_label: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(names):
        known = ~np.isnan(labels[:, j])
        y, p = labels[known, j].astype(int), prob[known, j]
        c = confusion_counts(y, p >= threshold)
        per_label[name] = {
            "n": int(known.sum()),
            "positives": int(y.sum()),
            "roc_auc": auc_with_ci(y, p, seed=j),
            "sensitivity": proportion(c["tp"], c["tp"] + c["fn"]),
            "specificity": proportion(c["tn"], c["tn"] + c["fp"]),
        }
    aucs = [v["roc_auc"]["value"] for v in per_label.values() if v["roc_auc"]["value"] is not None]
    out: dict[str, Any] = {
        "task": "multilabel",
        "n": len(labels),
        "labels": names,
        "threshold": threshold,
        "per_label": per_label,
        "mean_roc_auc": float(np.mean(aucs)) if aucs else None,
    }

    def figures(clusters: cb.Clusters) -> Figures:
        found: Figures = {}
        for j, name in enumerate(names):
            truth = np.nan_to_num(labels[:, j], nan=-1).astype(int)
            rates = _rates(clusters, truth, (prob[:, j] >= threshold).astype(int), prob[:, j], truth >= 0)
            found |= {f"{name}/{k}": (per_label[name][k], rates[k]) for k in PATIENT_FIGURES}
        return found

    add_by_patient(out, patients, figures)
    return out


def roc_points(y_true: NDArray[Any], score: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """(fpr, tpr) of the ROC curve."""
    fpr, tpr, _ = roc_curve(np.asarray(y_true).astype(int), np.asarray(score, dtype=np.float64))
    return fpr, tpr


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)
