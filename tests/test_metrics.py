"""Metrics against known values: Wilson (Newcombe 1998), the tutorial's confusion matrix, AUCs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from radbank.metrics import (
    auc_with_ci,
    binary_metrics,
    format_confusion,
    multiclass_metrics,
    multilabel_metrics,
    weighted_aucs,
    wilson_interval,
)


def test_wilson_matches_newcombe_1998() -> None:
    # Newcombe, Stat Med 1998;17:857-872, Table I: 81/263 -> 0.2553 to 0.3662 (method 3, Wilson score).
    lo, hi = wilson_interval(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)
    # Boundary cases from the same table: 0/10 -> 0 to 0.2775; 1/29 -> 0.0061 to 0.1718.
    assert [round(v, 4) for v in wilson_interval(0, 10)] == [0.0, 0.2775]
    assert [round(v, 4) for v in wilson_interval(1, 29)] == [0.0061, 0.1718]
    assert all(np.isnan(wilson_interval(0, 0)))


def _tutorial_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Labels and scores giving the tutorial's TP=81, FP=13, FN=12, TN=91 at threshold 0.5."""
    y = np.array([1] * 81 + [0] * 13 + [1] * 12 + [0] * 91)
    p = np.array([0.9] * 81 + [0.8] * 13 + [0.2] * 12 + [0.1] * 91)
    return y, p


def test_confusion_matrix_layout_is_the_tutorials() -> None:
    y, p = _tutorial_arrays()
    m = binary_metrics(y, p, 0.5, ("No Finding", "Pneumothorax"))
    assert m["confusion_matrix"]["matrix"] == [[81, 13], [12, 91]]  # rows predicted (sick first), cols truth
    assert m["accuracy"]["value"] == pytest.approx(0.873, abs=5e-4)
    assert m["sensitivity"]["value"] == pytest.approx(81 / 93)
    assert m["specificity"]["value"] == pytest.approx(91 / 104)
    assert m["ppv"]["value"] == pytest.approx(81 / 94) and m["npv"]["value"] == pytest.approx(91 / 103)
    printed = format_confusion(m["confusion_matrix"]["matrix"], ["Pneumothorax", "No Finding"])
    rows = [line.split() for line in printed.splitlines()[2:]]
    assert rows[0][-2:] == ["81", "13"] and rows[1][-2:] == ["12", "91"]
    assert rows[0][:2] == ["predicted", "Pneumothorax"]


def test_auc_and_bootstrap_interval() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    s = np.round(rng.normal(y * 1.0, 1.0), 1)  # rounded: ties on purpose
    res = auc_with_ci(y, s)
    assert res["value"] == pytest.approx(roc_auc_score(y, s))
    lo, hi = res["ci95"]
    assert lo < res["value"] < hi and hi - lo < 0.15
    assert auc_with_ci(y, s) == res  # seeded: reproducible
    assert auc_with_ci(np.ones(5), np.arange(5.0))["value"] is None


def test_weighted_aucs_are_exact_against_sklearn() -> None:
    rng = np.random.default_rng(1)
    pos, neg = np.round(rng.normal(1, 1, 30), 1), np.round(rng.normal(0, 1, 40), 1)
    w, v = rng.integers(0, 4, (5, 30)), rng.integers(0, 4, (5, 40))
    got = weighted_aucs(pos, neg, w, v)
    y = np.r_[np.ones(30), np.zeros(40)]
    for b in range(5):
        expected = roc_auc_score(y, np.r_[pos, neg], sample_weight=np.r_[w[b], v[b]])
        assert got[b] == pytest.approx(expected)


def test_multiclass_and_multilabel() -> None:
    y = np.array([0, 1, 2, 2, 1, 0])
    prob = np.eye(3)[[0, 1, 2, 1, 1, 0]] * 0.8 + 0.0667
    m = multiclass_metrics(y, prob, ["a", "b", "c"])
    assert m["accuracy"]["k"] == 5
    assert m["confusion_matrix"]["matrix"][1][2] == 1  # predicted b, truth c
    labels = np.array([[1, np.nan], [0, 1], [1, 0], [0, np.nan]], dtype=np.float32)
    probs = np.array([[0.9, 0.2], [0.1, 0.8], [0.7, 0.3], [0.2, 0.9]])
    ml = multilabel_metrics(labels, probs, ["x", "y"])
    assert ml["per_label"]["x"]["roc_auc"]["value"] == 1.0
    assert ml["per_label"]["y"]["n"] == 2  # the NaNs are not counted
