"""Re-identification risk figures against a hand-computed table and pycanon; generalisation to a target k."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radbank.cli import main
from radbank.risk.generalize import generalise, hierarchy
from radbank.risk.measures import assess

ROWS = [  # age, sex, zip, finding
    ("30", "M", "46001", "A"),
    ("30", "M", "46001", "B"),
    ("30", "M", "46001", "A"),
    ("41", "F", "46002", "A"),
    ("41", "F", "46002", "A"),
    ("52", "M", "46003", "B"),
    ("52", "M", "46003", "C"),
    ("52", "M", "46003", "B"),
    ("52", "M", "46003", "A"),
    ("67", "F", "46004", "C"),
]


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=["age", "sex", "zip", "finding"])


def test_hand_computed_figures(table: pd.DataFrame) -> None:
    r = assess(table, ["age", "sex"], ["finding"], threshold=3)
    # classes: {30 M} 3 rows A,B,A; {41 F} 2 rows A,A; {52 M} 4 rows B,C,B,A; {67 F} 1 row C
    assert (r.classes, r.k, r.l_distinct["finding"]) == (4, 1, 1)
    assert r.records_at_risk == 3
    assert r.singling_out == pytest.approx(0.1)
    assert r.linkability_max == 1.0
    assert r.linkability_avg == pytest.approx(0.4)
    # overall A .5 B .3 C .2; the {67 F} class is all C: total variation .5*(.5+.3+.8) = .8
    assert r.t_closeness["finding"] == pytest.approx(0.8)
    assert r.inference_certain["finding"] == pytest.approx(0.3)  # {41 F} and {67 F}
    assert r.inference_accuracy["finding"] == pytest.approx(0.7)
    assert r.inference_baseline["finding"] == 0.5
    sizes = {b["size"]: (b["classes"], b["records"]) for b in r.class_sizes}
    assert sizes["1"] == (1, 1)
    assert sizes["2"] == (1, 2)
    assert sizes["3-4"] == (2, 7)
    numeric = assess(table.assign(score=[1, 2, 1, 1, 1, 3, 3, 3, 3, 3]), ["sex"], ["score"])
    # ordered EMD for a numeric attribute: M has 1,2,1,3,3,3,3, F 1,1,3; the table 1x4 2x1 3x5
    p, q = np.array([2, 1, 4]) / 7, np.array([4, 1, 5]) / 10
    f = np.array([2, 0, 1]) / 3  # F has 1,1,3
    expected = max(np.abs(np.cumsum(p - q)).sum() / 2, np.abs(np.cumsum(f - q)).sum() / 2)
    assert numeric.t_closeness["score"] == pytest.approx(expected, abs=1e-5)


def test_matches_pycanon(table: pd.DataFrame) -> None:
    anonymity = pytest.importorskip("pycanon.anonymity")
    rng = np.random.default_rng(0)
    findings = rng.choice(["No Finding", "Pneumothorax", "Effusion"], 400, p=[0.6, 0.3, 0.1])
    big = pd.DataFrame(
        {
            "age": rng.integers(20, 90, 400).astype(str),
            "sex": rng.choice(["M", "F"], 400),
            "finding": findings,
            "score": rng.integers(0, 6, 400),
            "PatientID": [f"p{i}" for i in range(400)],
        }
    )
    g = generalise(big, ["age", "sex"], 5)
    for t, qi in ((table, ["age", "sex"]), (table, ["zip"]), (big, ["age", "sex"]), (g.table, ["age", "sex"])):
        r = assess(t, qi, ["finding"])
        assert r.k == anonymity.k_anonymity(t, qi)
        assert r.l_distinct["finding"] == anonymity.l_diversity(t, qi, ["finding"])
        assert int(r.l_entropy["finding"] + 1e-9) == anonymity.entropy_l_diversity(t, qi, ["finding"])
        assert r.t_closeness["finding"] == pytest.approx(anonymity.t_closeness(t, qi, ["finding"]), abs=1e-6)
    assert assess(big, ["age", "sex"], []).unit == "person"  # one PatientID per row: the same figures as rows
    numeric = assess(g.table, ["age"], ["score"])  # a number: the ordered distance
    assert numeric.t_closeness["score"] == pytest.approx(anonymity.t_closeness(g.table, ["age"], ["score"]), abs=1e-6)
    assert numeric.t_closeness["score"] > 0


def test_generalise_reaches_target_and_reports_loss(table: pd.DataFrame) -> None:
    g = generalise(table, ["age", "sex"], 3, max_suppression=0.1)
    assert g.k >= 3
    assert assess(g.table, ["age", "sex"], ["finding"]).k >= 3
    assert g.suppressed <= 1
    assert len(g.table) == len(table) - g.suppressed
    assert 0.0 <= g.loss["precision"] < 1.0
    assert g.loss["suppressed_fraction"] == g.suppressed / len(table)
    assert set(g.loss["intensity"]) == {"age", "sex"}
    assert g.loss["discernibility"] > 0
    untouched = generalise(table, ["zip"], 1)
    assert untouched.levels == {"zip": 0}
    assert untouched.table["zip"].tolist() == table["zip"].tolist()


def test_hierarchies() -> None:
    age = hierarchy("age", pd.Series(["37", "93", "n/a"]))
    assert [age.apply("37", lv) for lv in range(5)] == ["37", "35-39", "30-39", "20-39", "*"]
    assert age.apply("93", 1) == "90+"
    assert age.apply("n/a", 2) == "n/a"
    date = hierarchy("study_date", pd.Series(["2020-03-15", "20190102"]))
    assert [date.apply("2020-03-15", lv) for lv in range(5)] == ["2020-03-15", "2020-03", "2020", "2020s", "*"]
    assert date.apply("20190102", 2) == "2019"
    postal = hierarchy("postal_code", pd.Series(["46001", "03002"]))
    assert postal.kind == "postal"
    assert postal.apply("46001", 2) == "460**"
    assert postal.apply("46001", 5) == "*"
    assert hierarchy("sex", pd.Series(["M", "F"])).levels == 1


def test_cli_risk(tmp_path: Path, table: pd.DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "participants.tsv"
    table.to_csv(src, sep="\t", index=False)
    out, js = tmp_path / "k3.tsv", tmp_path / "risk.json"
    args = [
        "risk",
        str(src),
        "--quasi",
        "age,sex",
        "--sensitive",
        "finding",
        "--threshold",
        "3",
        "--target-k",
        "3",
        "--max-suppression",
        "0.1",
        "--out",
        str(out),
        "--json",
        str(js),
    ]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "k = 1" in text
    assert "singling out: 10.0%" in text
    assert "after generalisation" in text
    result = json.loads(js.read_text())
    assert result["before"]["k"] == 1
    assert result["after"]["k"] >= 3
    assert assess(pd.read_csv(out, sep="\t", dtype=str), ["age", "sex"], ["finding"]).k >= 3
    assert main(["risk", str(src), "--quasi", "age", "--target-k", "0", "-q"]) == 2
    assert "--target-k must be at least 1" in capsys.readouterr().err
    assert main(["risk", str(src), "--quasi", "age,postcode"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "no quasi-identifier column(s) postcode" in err[0]
