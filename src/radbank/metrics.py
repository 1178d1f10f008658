"""Classification metrics with their uncertainty: pure functions over arrays."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

Z95 = 1.959963984540054


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


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, int]:
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


def auc_with_ci(y_true: np.ndarray, score: np.ndarray, n_boot: int = 2000, seed: int = 0) -> dict[str, Any]:
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


def bootstrap_aucs(pos: np.ndarray, neg: np.ndarray, n_boot: int, seed: int = 0, chunk: int = 100) -> np.ndarray:
    """AUCs of `n_boot` resamples, positives and negatives resampled separately (stratified)."""
    n_p, n_n = len(pos), len(neg)
    rng = np.random.default_rng(seed)
    out = []
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        w = rng.multinomial(n_p, np.full(n_p, 1.0 / n_p), size=b)
        v = rng.multinomial(n_n, np.full(n_n, 1.0 / n_n), size=b)
        out.append(weighted_aucs(pos, neg, w, v))
    return np.concatenate(out)


def weighted_aucs(pos: np.ndarray, neg: np.ndarray, w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Exact AUC for each row of case weights w (b, n_pos) and v (b, n_neg); ties count one half.

    With negatives sorted, AUC = sum_i w_i (C[L_i] + (C[R_i] - C[L_i]) / 2) / (sum w * sum v), where C
    holds the cumulative weights of the sorted negatives and L_i / R_i count negatives below / not
    above positive i. One pass over the data per resample instead of a sort.
    """
    order = np.argsort(neg, kind="stable")
    t = neg[order]
    v = v[:, order]
    left, right = np.searchsorted(t, pos, "left"), np.searchsorted(t, pos, "right")
    c = np.concatenate([np.zeros((len(v), 1)), v.cumsum(axis=1)], axis=1)
    cl = c[:, left]
    total = w.sum(axis=1) * v.sum(axis=1)
    return (w * (cl + 0.5 * (c[:, right] - cl))).sum(axis=1) / total


def binary_metrics(
    y_true: np.ndarray, prob: np.ndarray, threshold: float = 0.5, names: tuple[str, str] = ("healthy", "sick")
) -> dict[str, Any]:
    """Everything the report shows for a binary classifier (1 = sick = names[1])."""
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
    sens, spec = out["sensitivity"]["value"], out["specificity"]["value"]
    ppv = out["ppv"]["value"]
    out["balanced_accuracy"] = _num((sens + spec) / 2) if sens is not None and spec is not None else None
    out["f1"] = _num(2 * ppv * sens / (ppv + sens)) if ppv and sens else 0.0
    return out


def multiclass_metrics(y_true: np.ndarray, prob: np.ndarray, names: list[str]) -> dict[str, Any]:
    """Accuracy, K x K confusion (rows predicted, columns truth) and one-vs-rest figures per class."""
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
    return {
        "task": "multiclass",
        "n": len(y),
        "classes": names,
        "accuracy": proportion(int((pred == y).sum()), len(y)),
        "confusion_matrix": {"rows": "predicted", "columns": "truth", "labels": names, "matrix": matrix.tolist()},
        "per_class": per_class,
        "macro_roc_auc": float(np.mean(aucs)) if aucs else None,
    }


def multilabel_metrics(
    labels: np.ndarray, prob: np.ndarray, names: list[str], threshold: float = 0.5
) -> dict[str, Any]:
    """Per-finding ROC AUC (bootstrap 95% CI), sensitivity/specificity at the threshold; unknowns ignored."""
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
    return {
        "task": "multilabel",
        "n": len(labels),
        "labels": names,
        "threshold": threshold,
        "per_label": per_label,
        "mean_roc_auc": float(np.mean(aucs)) if aucs else None,
    }


def roc_points(y_true: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fpr, tpr) of the ROC curve."""
    fpr, tpr, _ = roc_curve(np.asarray(y_true).astype(int), np.asarray(score, dtype=np.float64))
    return fpr, tpr


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)
