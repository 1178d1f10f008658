"""`radbank label-reports`: inputs (folders, MIDS trees, tables), the output table, bad input, and the
uncertain-label policy when a label table is read for training."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radbank.cli import main
from radbank.config import TrainConfig
from radbank.errors import RadbankError
from radbank.findings.policy import label_cell, uncertain_value
from radbank.findings.table import LabelOptions, label_reports


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, sep="\t" if path.suffix == ".tsv" else ",")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "reports"
    root.mkdir()
    (root / "a.txt").write_text("No pneumothorax. Possible small left effusion.", "utf-8")
    (root / "b.txt").write_text("Sin neumotórax. Cardiomegalia.", "utf-8")
    (root / "c.txt").write_bytes("Derrame pleural derecho. Neumotórax.".encode("cp1252"))
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"\x00\x01\x02PNG")
    return root


def test_folder_rows_and_values(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "labels.csv"
    summary = label_reports(folder, out, LabelOptions(workers=1))
    table = _read(out).set_index("report")
    assert summary.reports == 3
    assert table.loc["a", "Pneumothorax"] == "0"
    assert table.loc["a", "Effusion"] == "-1"
    assert table.loc["a", "Cardiomegaly"] == ""
    assert table.loc["b", "Cardiomegaly"] == "1"
    assert table.loc["c", "Pneumothorax"] == "1"  # cp1252 file decoded


def test_cuis_and_no_finding(tmp_path: Path) -> None:
    src = tmp_path / "r.txt"
    src.write_text("Cardiomegaly. Possible small effusion.", "utf-8")
    label_reports(src, tmp_path / "one.csv", LabelOptions(lang="en", workers=1))
    row = _read(tmp_path / "one.csv").iloc[0]
    assert row["umls_cui"] == "C0018800"
    assert row["umls_cui_uncertain"] == "C2073625"  # pleural effusion, the CUI BIMCV codes PadChest with
    assert row["No Finding"] == ""


def test_normal_report_gets_no_finding(tmp_path: Path) -> None:
    src = tmp_path / "normal.txt"
    src.write_text("Heart size is normal. No pneumothorax or pleural effusion.", "utf-8")
    label_reports(src, tmp_path / "n.csv", LabelOptions(workers=1))
    assert _read(tmp_path / "n.csv").loc[0, "No Finding"] == "1"


def test_non_utf8_file_name(tmp_path: Path) -> None:
    root = tmp_path / "names"
    root.mkdir()
    (Path(os.fsdecode(os.fsencode(root) + b"/inf\xf3rme.txt"))).write_text("Neumotórax.", "utf-8")
    label_reports(root, tmp_path / "n.csv", LabelOptions(workers=1))
    assert _read(tmp_path / "n.csv").loc[0, "report"] == "infórme"


def test_bad_files_are_skipped_and_listed(folder: Path, tmp_path: Path) -> None:
    summary = label_reports(folder, tmp_path / "labels.csv", LabelOptions(workers=1))
    assert sorted(Path(p).name for p, _ in summary.skipped) == ["binary.txt", "empty.txt"]
    listed = _read(tmp_path / "labels.skipped.csv")
    assert len(listed) == 2


def test_table_carries_key_columns_for_train(tmp_path: Path) -> None:
    src = tmp_path / "reports.csv"
    pd.DataFrame(
        {
            "AccessionNumber": ["A1", "A2", "A3"],
            "informe": ["Neumotórax izquierdo.", "Sin hallazgos.", ""],
            "nhc": ["1", "2", "3"],
        }
    ).to_csv(src, index=False)
    summary = label_reports(src, tmp_path / "labels.tsv", LabelOptions(column="informe", workers=1))
    table = _read(tmp_path / "labels.tsv")
    assert list(table["AccessionNumber"]) == ["A1", "A2"]
    assert "nhc" not in table.columns
    assert table.loc[0, "Pneumothorax"] == "1"
    assert [reason for _, reason in summary.skipped] == ["empty text"]


def test_jsonl_with_two_text_fields_and_an_id(tmp_path: Path) -> None:
    src = tmp_path / "reports.jsonl"
    src.write_text('{"id": "r1", "findings": "Small effusion.", "impression": "No pneumothorax."}\n', "utf-8")
    label_reports(src, tmp_path / "o.csv", LabelOptions(column="findings,impression", workers=1))
    row = _read(tmp_path / "o.csv").iloc[0]
    assert (row["report"], row["Effusion"], row["Pneumothorax"]) == ("r1", "1", "0")


def test_mids_tree_reports_carry_subject_and_session(tmp_path: Path) -> None:
    root = tmp_path / "mids"
    ses = root / "sub-01" / "ses-02"
    ses.mkdir(parents=True)
    (root / "dataset_description.json").write_text("{}", "utf-8")
    (ses / "sub-01_ses-02_report.txt").write_text("Cardiomegalia.", "utf-8")
    (ses / "notes.txt").write_text("Neumotórax.", "utf-8")  # not a report file of the tree
    label_reports(root, tmp_path / "m.csv", LabelOptions(workers=1))
    table = _read(tmp_path / "m.csv")
    assert table[["report", "participant_id", "session_id"]].values.tolist() == [
        ["sub-01_ses-02_report", "sub-01", "ses-02"]
    ]


def test_padchest_and_all_label_sets(folder: Path, tmp_path: Path) -> None:
    label_reports(folder, tmp_path / "p.csv", LabelOptions(label_set="padchest", workers=1))
    label_reports(folder, tmp_path / "all.csv", LabelOptions(label_set="all", workers=1))
    assert "pleural effusion" in _read(tmp_path / "p.csv").columns
    assert {"Effusion", "pacemaker"} <= set(_read(tmp_path / "all.csv").columns)


def test_parallel_workers_give_the_same_table(tmp_path: Path) -> None:
    src = tmp_path / "many.csv"
    texts = ["No pneumothorax.", "Cardiomegalia.", "Possible pneumonia.", "Sin derrame."] * 40
    pd.DataFrame({"text": texts}).to_csv(src, index=False)
    label_reports(src, tmp_path / "one.csv", LabelOptions(workers=1))
    label_reports(src, tmp_path / "two.csv", LabelOptions(workers=2))
    assert _read(tmp_path / "one.csv").equals(_read(tmp_path / "two.csv"))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "not found"),
        (lambda p: p, "no report files"),
    ],
)
def test_command_level_errors(tmp_path: Path, make: object, message: str) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RadbankError, match=message):
        label_reports(make(empty), tmp_path / "o.csv")  # type: ignore[operator]


def test_output_that_is_a_folder_is_an_error(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(RadbankError, match="is a folder"):
        label_reports(folder, tmp_path)


def test_table_without_a_text_column_is_an_error(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    pd.DataFrame({"a": ["x"]}).to_csv(src, index=False)
    with pytest.raises(RadbankError, match="no text column"):
        label_reports(src, tmp_path / "o.csv")


def test_cli_label_reports(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.csv"
    assert main(["label-reports", str(folder), "--out", str(out), "--workers", "1"]) == 0
    assert "3 report(s) labelled" in capsys.readouterr().out


def test_cli_bad_language_is_one_line_error(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["label-reports", str(folder), "--out", str(tmp_path / "x.csv"), "--lang", "fr"])
    assert exc.value.code == 2


# --- the uncertain-label policy, for training ---------------------------------------------------------------
@pytest.mark.parametrize(("policy", "value"), [("ones", 1.0), ("zeros", 0.0)])
def test_uncertain_policy_values(policy: str, value: float) -> None:
    assert label_cell("-1", policy) == value


def test_uncertain_masked_by_default() -> None:
    assert math.isnan(label_cell("-1"))


@pytest.mark.parametrize(("cell", "value"), [("1", 1.0), ("0", 0.0), ("1.0", 1.0), ("0.7", 1.0)])
def test_label_cells(cell: str, value: float) -> None:
    assert label_cell(cell) == value


@pytest.mark.parametrize("cell", ["", "nan", "n/a", "maybe"])
def test_unknown_cells_are_masked(cell: str) -> None:
    assert math.isnan(label_cell(cell))


def test_unknown_policy_is_an_error() -> None:
    with pytest.raises(RadbankError, match="uncertain-label policy"):
        uncertain_value("half")


def test_config_rejects_unknown_policy() -> None:
    with pytest.raises(RadbankError, match="unknown uncertain-label policy 'half'; choose one of masked, ones, zeros"):
        TrainConfig(uncertain="half").validate()


def test_label_table_from_label_reports_feeds_training(folder: Path, tmp_path: Path) -> None:
    from radbank.sources.dicom_dir import _from_label_table

    src = tmp_path / "reports.csv"
    pd.DataFrame(
        {"AccessionNumber": ["A1", "A2"], "text": ["Possible pneumonia. Cardiomegaly.", "No pneumonia."]}
    ).to_csv(src, index=False)
    out = tmp_path / "labels.csv"
    label_reports(src, out, LabelOptions(lang="en", workers=1))
    images = pd.DataFrame(
        {"path": ["/x/1.dcm", "/x/2.dcm"], "rel": ["1.dcm", "2.dcm"], "AccessionNumber": ["A1", "A2"]}
    )
    masked = _from_label_table(images, out, None, None, [])
    ones = _from_label_table(images, out, None, None, [], uncertain="ones")
    pneumonia = masked.label_names.index("Pneumonia")
    assert "report" not in masked.label_names
    assert "umls_cui" not in masked.label_names
    assert np.isnan(masked.labels[0, pneumonia])
    assert ones.labels[0, pneumonia] == 1.0
    assert masked.labels[1, pneumonia] == 0.0
