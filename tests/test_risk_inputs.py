"""`radbank risk` on bad input (issue 13) and on PadChest's table format: one line and exit 2, nothing written."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from radbank.cli import main
from radbank.risk.hierarchy import hierarchy

# BIMCV's PadChest label table: the header as published (the first column has an empty name) and two rows
# in its quoting; list fields written by numpy break lines inside quotes (labelCUIS, LocalizationsCUIS).
PADCHEST_HEADER = (
    ",ImageID,ImageDir,StudyDate_DICOM,StudyID,PatientID,PatientBirth,PatientSex_DICOM,ViewPosition_DICOM,"
    "Projection,MethodProjection,Pediatric,Modality_DICOM,Manufacturer_DICOM,PhotometricInterpretation_DICOM,"
    "PixelRepresentation_DICOM,PixelAspectRatio_DICOM,SpatialResolution_DICOM,BitsStored_DICOM,WindowCenter_DICOM,"
    "WindowWidth_DICOM,Rows_DICOM,Columns_DICOM,XRayTubeCurrent_DICOM,Exposure_DICOM,ExposureInuAs_DICOM,"
    "ExposureTime,RelativeXRayExposure_DICOM,ReportID,Report,MethodLabel,Labels,Localizations,"
    "LabelsLocalizationsBySentence,labelCUIS,LocalizationsCUIS"
)
PADCHEST_ROW = (
    "{i},{i}0536686640136348236148679891455886468_k6ga29.png,0,{date},{i}0536686640136348236148679891455886468,"
    "{patient},{birth},{sex},POSTEROANTERIOR,PA,Manual review of DICOM fields,No,CR,ImagingDynamicsCompanyLtd,"
    "MONOCHROME2,0,None,None,12,2092,2251,1728,1872,250,2,2500,10,-1.42,4765777, cambi pulmonar cronic sever .,"
    "Physician,\"['pulmonary fibrosis', 'chronic changes']\",\"['loc basal']\","
    "\"[['pulmonary fibrosis', 'loc basal bilateral'], ['chronic changes']]\","
    "\"['C0034069' 'C0742362' 'C2115817' 'C3544344' 'C0262950' 'C0223683' 'C0020164'\n 'C0003483']\",['C1282378']"
)


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    return err[0]


@pytest.fixture
def ages(tmp_path: Path) -> Path:
    rows = [f"p{i}\t{30 + i % 40}\t{'MF'[i % 2]}\tA" for i in range(60)] + ["p60\tunknown\tF\tB"]
    path = tmp_path / "participants.tsv"
    path.write_text("participant_id\tage\tsex\tfinding\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--quasi", ","], "--quasi ',' names no column"),
        (["--quasi", "age", "--threshold", "-3"], "--threshold must be at least 1"),
        (["--quasi", "age", "--max-suppression", "1.5"], "--max-suppression must be a fraction"),
        (["--quasi", "age", "--out", "x.tsv"], "give --target-k too"),
    ],
)
def test_bad_options(ages: Path, capsys: pytest.CaptureFixture[str], extra: list[str], says: str) -> None:
    assert main(["risk", str(ages), *extra]) == 2
    assert says in _one_line_error(capsys)


def test_out_is_a_folder(ages: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risk", str(ages), "--quasi", "age", "--target-k", "2", "--out", str(tmp_path)]) == 2
    assert f"--out {tmp_path} is a folder" in _one_line_error(capsys)
    assert main(["risk", str(tmp_path), "--quasi", "age"]) == 2
    assert "is a folder, not a table" in _one_line_error(capsys)


def test_target_out_of_reach_writes_nothing(ages: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, js = tmp_path / "k.tsv", tmp_path / "risk.json"
    args = ["risk", str(ages), "--quasi", "age,sex", "--target-k", "1000", "--out", str(out), "--json", str(js)]
    assert main(args) == 2
    assert "k = 1000 cannot be reached" in _one_line_error(capsys)
    assert not out.exists()
    assert not js.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["participants.tsv"]  # no temporary file left


def test_one_odd_age_stays_a_category(ages: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    h = hierarchy("age", pd.read_csv(ages, sep="\t", dtype=str)["age"])
    assert (h.kind, h.odd) == ("age", ["unknown"])
    assert h.apply("37", 2) == "30-39"
    assert h.apply("unknown", 2) == "unknown"
    out = tmp_path / "k5.tsv"
    assert main(["risk", str(ages), "--quasi", "age,sex", "--target-k", "5", "--out", str(out)]) == 0
    assert "age: 1 value(s) that are not ages kept as categories of their own: 'unknown'" in capsys.readouterr().out
    released = pd.read_csv(out, sep="\t", dtype=str)
    assert (released["age"] != "*").all()  # banded, not wiped out by one bad cell
    assert released["age"].str.fullmatch(r"\d+-\d+").all()  # "unknown" was alone: suppressed


def test_unterminated_quote_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "table.csv"
    path.write_text('id,age,note\np1,30,ok\np2,41,"open quote\np3,52,x\np4,67,"closed"\np5,70,y\n')
    assert main(["risk", str(path), "--quasi", "age"]) == 2
    err = _one_line_error(capsys)
    assert str(path) in err
    assert "line 3: a quoted field opened on this row is not closed properly" in err
    path.write_text('id,age,note\np1,30,ok\np2,41,"never closed\np3,52,x\n')  # pandas: EOF inside string
    assert main(["risk", str(path), "--quasi", "age"]) == 2
    assert "line 3" in _one_line_error(capsys)


def test_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,age,name\np1,30,Ana\np2,41,García\n".encode("latin-1"))
    assert main(["risk", str(path), "--quasi", "age"]) == 2
    err = _one_line_error(capsys)
    assert f"{path}: not UTF-8 text (byte 0xed on line 3)" in err


def test_padchest_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        PADCHEST_ROW.format(
            i=i,
            date=f"2015{1 + i % 3:02d}14",
            patient=f"{i % 12:036d}",
            birth=f"{1930 + i % 2}.0",
            sex="MF"[i % 12 % 2],
        )
        for i in range(40)
    ]
    src, out = tmp_path / "padchest.csv", tmp_path / "k3.csv"
    src.write_text(PADCHEST_HEADER + "\n" + "\n".join(rows) + "\n")
    args = [
        "risk",
        str(src),
        "--quasi",
        "PatientBirth,PatientSex_DICOM,StudyDate_DICOM",
        "--sensitive",
        "Labels",
        "--target-k",
        "3",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "unit: person (subject column PatientID: 12 persons in 40 records)" in text
    with out.open(newline="") as f:
        written = list(csv.reader(f))
    assert written[0] == PADCHEST_HEADER.split(",")  # the empty first name as published, not 'Unnamed: 0'
    assert written[1][-2].count("\n") == 1  # the quoted line break survives
    released = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert released.groupby(["PatientBirth", "PatientSex_DICOM", "StudyDate_DICOM"])["PatientID"].nunique().min() >= 3
