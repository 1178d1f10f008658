"""Risk counted over persons (several records per person): hand-computed figures, a brute-force reference
for the sparse l/t/inference code, and generalisation that leaves every class with k distinct persons."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from radbank.errors import RadbankError
from radbank.risk.classes import class_ids, subjects
from radbank.risk.generalize import generalise
from radbank.risk.measures import assess
from radbank.risk.sensitive import sensitive_figures

ROWS = [  # PatientID, birth, sex, date, finding: P1 has three studies, P4 two
    ("P1", "1950", "M", "2015-01-01", "A"),
    ("P1", "1950", "M", "2015-02-01", "A"),
    ("P1", "1950", "M", "2015-03-01", "B"),
    ("P2", "1950", "M", "2015-01-01", "A"),
    ("P3", "1950", "M", "2015-01-01", "C"),
    ("P4", "1960", "F", "2016-05-05", "A"),
    ("P4", "1960", "F", "2016-05-05", "A"),
    ("P5", "1960", "F", "2016-05-05", "B"),
]


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=["PatientID", "birth", "sex", "date", "finding"])


def test_classes_count_persons(table: pd.DataFrame) -> None:
    r = assess(table, ["birth", "sex"], ["finding"], threshold=3)
    # {1950 M}: 5 records of P1 P1 P1 P2 P3 = 3 persons; {1960 F}: 3 records of P4 P4 P5 = 2 persons
    assert (r.unit, r.subject, r.subjects, r.records) == ("person", "PatientID", 5, 8)
    assert r.k == 2
    assert assess(table, ["birth", "sex"], ["finding"], subject=None).k == 3  # counting records
    assert r.subjects_at_risk == 2  # P4 and P5
    assert r.records_at_risk == 3
    assert r.singling_out == 0.0
    assert r.linkability_max == 0.5
    assert r.linkability_avg == pytest.approx((3 * (1 / 3) + 2 * (1 / 2)) / 5)
    assert r.unique_combinations == 0


def test_sensitive_counts_persons_not_records(table: pd.DataFrame) -> None:
    r = assess(table, ["birth", "sex"], ["finding"])
    # persons holding each value: {1950 M} A: P1 P2, B: P1, C: P3 -> .5 .25 .25; {1960 F} A: P4, B: P5 -> .5 .5
    # the table: A: P1 P2 P4, B: P1 P5, C: P3 -> 3/6 2/6 1/6
    assert r.l_distinct["finding"] == 2
    assert r.l_entropy["finding"] == pytest.approx(2.0)  # exp(ln 2); {1950 M} has exp(1.5 ln 2) = 2.83
    assert r.t_closeness["finding"] == pytest.approx(0.5 * (1 / 6 + 1 / 6), abs=1e-6)  # {1960 F}
    assert r.inference_certain["finding"] == 0.0  # no value is held by every person of a class
    assert r.inference_accuracy["finding"] == pytest.approx((2 + 1) / (3 + 2))
    assert r.inference_baseline["finding"] == pytest.approx(3 / 5)
    p3_a = table.assign(finding=["A", "A", "B", "A", "A", "A", "A", "B"])  # every person of {1950 M} has A
    certain = assess(p3_a, ["birth", "sex"], ["finding"])
    assert certain.l_distinct["finding"] == 2  # P1 also has B: two values, yet A is certain for P1, P2, P3
    assert certain.inference_certain["finding"] == pytest.approx(3 / 5)


def test_a_person_is_at_risk_through_any_record(table: pd.DataFrame) -> None:
    r = assess(table, ["birth", "sex", "date"], [], threshold=3)
    # (1950 M 2015-01-01): P1 P2 P3; P1's other two studies are classes of one person; (1960 F ...): P4 P5
    assert r.k == 1
    assert r.singling_out == pytest.approx(1 / 5)  # P1
    assert r.subjects_at_risk == 3  # P1 (1), P4 and P5 (2)
    assert r.unique_combinations == 1  # P1's three classes together


def test_default_subject_column_and_missing_ids(table: pd.DataFrame) -> None:
    nih = table.rename(columns={"PatientID": "Patient ID"})
    assert assess(nih, ["birth"], []).subject == "Patient ID"
    both = table.assign(participant_id=[f"s{i}" for i in range(len(table))])
    assert assess(both, ["birth"], []).subject == "participant_id"
    assert assess(table.drop(columns="PatientID"), ["birth"], []).unit == "record"
    blank = table.assign(PatientID=["P1", "", "", "P2", "P2", "n/a", "P3", "P3"])
    who = subjects(blank)
    assert (who.count, who.without_id) == (6, 3)  # P1 P2 P3 and three rows without an ID, a person each
    with pytest.raises(RadbankError, match="subject column"):
        assess(table, ["PatientID"], [])


def _reference(table: pd.DataFrame, quasi: list[str], s: str) -> tuple[int, float, float, float]:
    """l, entropy l, t and inference accuracy from the definitions, one class at a time (dense)."""
    t = table.assign(_c=class_ids(table, quasi))
    held = t.drop_duplicates(["_c", s, "PatientID"])
    numeric = pd.to_numeric(t[s], errors="coerce").notna().all()
    values = sorted(t[s].unique(), key=float if numeric else str)
    overall = held.drop_duplicates([s, "PatientID"])[s].value_counts().reindex(values, fill_value=0)
    q = (overall / overall.sum()).to_numpy()
    ls, ents, ts, right, members = [], [], [], 0, 0
    for _, e in held.groupby("_c"):
        counts = e[s].value_counts().reindex(values, fill_value=0).to_numpy()
        p = counts / counts.sum()
        ls.append(int((counts > 0).sum()))
        ents.append(-sum(x * math.log(x) for x in p if x > 0))
        ts.append(np.abs(np.cumsum(p - q)).sum() / (len(q) - 1) if numeric else 0.5 * np.abs(p - q).sum())
        right += int(counts.max())
        members += e["PatientID"].nunique()
    return min(ls), math.exp(min(ents)), max(ts), right / members


@pytest.mark.parametrize("numeric", [False, True])
def test_sparse_figures_equal_the_dense_definitions(numeric: bool) -> None:
    rng = np.random.default_rng(7)
    n = 3000
    patient = rng.integers(0, 700, n)
    values = rng.integers(0, 40, n) if numeric else rng.choice([f"v{i}" for i in range(300)], n)
    t = pd.DataFrame(
        {
            "PatientID": patient.astype(str),
            "birth": (1930 + patient % 37).astype(str),
            "sex": np.where(patient % 2, "M", "F"),
            "year": rng.integers(2010, 2016, n).astype(str),
            "finding": values.astype(str),
        }
    )
    quasi = ["birth", "sex", "year"]
    ids = class_ids(t, quasi)
    who = subjects(t)
    persons = np.bincount(pd.DataFrame({"c": ids, "p": who.codes}).drop_duplicates()["c"])
    f = sensitive_figures(t["finding"], ids, who, persons)
    l_distinct, l_entropy, t_close, accuracy = _reference(t, quasi, "finding")
    assert f.l_distinct == l_distinct
    assert f.l_entropy == pytest.approx(l_entropy, abs=1e-5)
    assert f.t_closeness == pytest.approx(t_close, abs=1e-5)
    assert f.inference_accuracy == pytest.approx(accuracy)


def _persons_per_class(t: pd.DataFrame, quasi: list[str]) -> pd.Series:
    return t.groupby(quasi, dropna=False)["PatientID"].nunique()


def test_one_patients_images_do_not_make_a_class() -> None:
    crowd = [(f"C{i}", "1950", "M", "2015", "A") for i in range(20)]
    lonely = [("P9", "1930", "F", "2015", "B")] * 6  # six images of one patient: a class of 6 records, 1 person
    t = pd.DataFrame(crowd + lonely, columns=["PatientID", "birth", "sex", "year", "finding"])
    rows = generalise(t, ["birth", "sex"], 5, subject=None)
    assert "P9" in set(rows.table["PatientID"])  # counting records, 6 >= 5
    g = generalise(t, ["birth", "sex"], 5)
    assert "P9" not in set(g.table["PatientID"])
    assert _persons_per_class(g.table, ["birth", "sex"]).min() >= 5
    assert (g.suppressed, g.subjects_suppressed, g.subjects_removed) == (6, 1, 1)
    assert g.k == 20


def test_suppression_keeps_a_persons_safe_records() -> None:
    crowd = [(f"C{i}", "1950", "M", "2015-01-02", "A") for i in range(10)]
    p1 = [("C0", "1950", "M", "2016-07-08", "B")]  # C0's second study: a class of one person
    t = pd.DataFrame(crowd + p1, columns=["PatientID", "birth", "sex", "date", "finding"])
    g = generalise(t, ["birth", "sex", "date"], 5, max_suppression=0.1)
    assert (g.suppressed, g.subjects_suppressed, g.subjects_removed) == (1, 1, 0)
    assert (g.table["PatientID"] == "C0").sum() == 1
    assert g.levels == {"birth": 0, "sex": 0, "date": 0}


def test_generalisation_reaches_k_persons_on_varying_dates() -> None:
    rng = np.random.default_rng(3)
    n, people = 2000, 500
    patient = rng.integers(0, people, n)
    days = rng.integers(0, 2000, n)
    t = pd.DataFrame(
        {
            "PatientID": [f"p{i}" for i in patient],
            "birth": (1920 + patient % 60).astype(str),
            "sex": np.where(patient % 3, "M", "F"),
            "date": pd.to_datetime("2010-01-01") + pd.to_timedelta(days, "D"),
        }
    )
    t["date"] = t["date"].dt.strftime("%Y%m%d")
    g = generalise(t, ["birth", "sex", "date"], 5)
    assert _persons_per_class(g.table, ["birth", "sex", "date"]).min() >= 5
    assert g.subjects_suppressed <= 0.05 * people
    assert assess(g.table, ["birth", "sex", "date"], []).k == g.k
    assert g.k >= 5


def test_target_out_of_reach_is_an_error() -> None:
    t = pd.DataFrame({"PatientID": [f"p{i}" for i in range(40)], "age": [str(20 + i) for i in range(40)]})
    with pytest.raises(RadbankError, match=r"k = 1000 cannot be reached: .* 40 of 40 persons"):
        generalise(t, ["age"], 1000)
