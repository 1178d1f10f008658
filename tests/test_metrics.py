"""Metrics against known values: Wilson (Newcombe 1998), the tutorial's confusion matrix, AUCs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from radbank import cluster_bootstrap as cb
from radbank.fsutil import read_json
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
    assert m["ppv"]["value"] == pytest.approx(81 / 94)
    assert m["npv"]["value"] == pytest.approx(91 / 103)
    printed = format_confusion(m["confusion_matrix"]["matrix"], ["Pneumothorax", "No Finding"])
    rows = [line.split() for line in printed.splitlines()[2:]]
    assert rows[0][-2:] == ["81", "13"]
    assert rows[1][-2:] == ["12", "91"]
    assert rows[0][:2] == ["predicted", "Pneumothorax"]


def test_auc_and_bootstrap_interval() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    s = np.round(rng.normal(y * 1.0, 1.0), 1)  # rounded: ties on purpose
    res = auc_with_ci(y, s)
    assert res["value"] == pytest.approx(roc_auc_score(y, s))
    lo, hi = res["ci95"]
    assert lo < res["value"] < hi
    assert hi - lo < 0.15
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


# --- patient-level (cluster) bootstrap -------------------------------------------------------------


def _clustered(n_patients: int = 150, per_patient: int = 5, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Each patient's images are copies: same truth, same score (the extreme of correlated follow-ups)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n_patients)
    s = np.round(rng.normal(y * 1.2, 1.0), 2)
    patients = np.repeat(np.arange(n_patients), per_patient).astype(str)
    return np.repeat(y, per_patient), np.repeat(s, per_patient), patients


def test_cluster_auc_statistic_is_exact_against_sklearn() -> None:
    y, s, patients = _clustered(40, 3)
    s = s + np.random.default_rng(2).normal(0, 0.3, len(s)).round(1)  # images of a patient now differ
    clusters = cb.Clusters.from_ids(patients)
    counts = np.random.default_rng(3).integers(0, 3, (4, clusters.count))
    got = cb.auc(clusters, y, s).fn(counts)
    for b in range(4):
        weights = counts[b][clusters.of]
        assert got[b] == pytest.approx(roc_auc_score(y, s, sample_weight=weights))


def test_cluster_ratio_statistic_is_a_weighted_proportion() -> None:
    y, s, patients = _clustered(30, 2)
    clusters = cb.Clusters.from_ids(patients)
    counts = np.random.default_rng(4).integers(0, 3, (3, clusters.count))
    correct = (s > 0.5) == (y == 1)
    got = cb.ratio(clusters, correct, np.ones(len(y))).fn(counts)
    for b in range(3):
        weights = counts[b][clusters.of]
        assert got[b] == pytest.approx((weights * correct).sum() / weights.sum())


def test_draw_counts_resample_with_replacement() -> None:
    counts = cb.draw_counts(np.random.default_rng(0), 50, 400)
    assert (counts.sum(axis=1) == 50).all()
    assert counts.mean() == pytest.approx(1.0)
    assert counts.var() == pytest.approx(1 - 1 / 50, abs=0.05)  # multinomial: n p (1 - p) with p = 1/n


def test_patient_interval_is_wider_when_a_patients_images_are_copies() -> None:
    y, s, patients = _clustered(150, 5)
    m = binary_metrics(y, s, 0.6, patients=patients)
    wilson = m["accuracy"]["ci95"][1] - m["accuracy"]["ci95"][0]
    lo, hi = m["accuracy"]["by_patient"]["ci95"]
    assert lo < m["accuracy"]["value"] < hi
    assert (hi - lo) / wilson > 1.8  # ~sqrt(5): 150 independent units, not 750
    auc_image = m["roc_auc"]["ci95"][1] - m["roc_auc"]["ci95"][0]
    auc_patient = m["roc_auc"]["by_patient"]["ci95"][1] - m["roc_auc"]["by_patient"]["ci95"][0]
    assert auc_patient / auc_image > 1.8


def test_patient_interval_matches_image_interval_with_one_image_per_patient() -> None:
    y, s, patients = _clustered(600, 1)
    m = binary_metrics(y, s, 0.6, patients=patients)
    for name in ("accuracy", "sensitivity", "roc_auc"):
        image = m[name]["ci95"][1] - m[name]["ci95"][0]
        patient = m[name]["by_patient"]["ci95"][1] - m[name]["by_patient"]["ci95"][0]
        assert patient / image == pytest.approx(1.0, abs=0.2), name


def test_patient_intervals_count_patients_and_are_reproducible() -> None:
    y, s, patients = _clustered(60, 2)
    m = binary_metrics(y, s, 0.6, patients=patients)
    assert m["patients"] == 60
    assert m["sensitivity"]["by_patient"]["patients"] == len(set(patients[y == 1]))
    assert binary_metrics(y, s, 0.6, patients=patients) == m
    assert "by_patient" not in binary_metrics(y, s, 0.6)["accuracy"]


def test_resamples_without_a_positive_patient_are_counted_undefined() -> None:
    y = np.array([1, 1] + [0] * 38)
    s = np.linspace(1, 0, 40)
    patients = np.array(["p"] * 2 + [f"n{i}" for i in range(38)])
    by_patient = binary_metrics(y, s, 0.5, patients=patients)["roc_auc"]["by_patient"]
    assert 0 < by_patient["undefined"] < 2000  # (38/39)^39 ~ 36% of resamples draw no positive patient
    assert by_patient["ci95"] == [1.0, 1.0]


def test_multilabel_by_patient_ignores_unknown_labels() -> None:
    labels = np.array([[1, np.nan], [0, 1], [1, 0], [0, np.nan], [1, 1], [0, 0]], dtype=np.float32)
    probs = np.array([[0.9, 0.2], [0.1, 0.8], [0.7, 0.3], [0.2, 0.9], [0.8, 0.6], [0.3, 0.1]])
    patients = np.array(["a", "b", "c", "d", "e", "f"])
    ml = multilabel_metrics(labels, probs, ["x", "y"], patients=patients)
    assert ml["per_label"]["y"]["roc_auc"]["by_patient"]["patients"] == 4  # a and d are unknown for y
    assert ml["per_label"]["x"]["roc_auc"]["by_patient"]["ci95"] == [1.0, 1.0]


def test_headline_and_report_say_which_interval_is_which(trained_run: Path) -> None:
    from radbank.evaluate import headline

    metrics = read_json(trained_run / "metrics.json")
    text = headline({"val": metrics})
    assert f"by patient, {metrics['patients']} patients" in text
    assert "by image" in text
    page = (trained_run / "report.html").read_text()
    assert "95% CI by patient" in page
    assert "cluster bootstrap over the" in page
