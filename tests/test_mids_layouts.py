"""BIMCV's own MIDS layouts, in and out: a BIMCV-COVID19+ release tree and a dcm2mids tree, written here the
way BIMCV writes them, are validated, detected, read, trained on, subset and exported again."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import write_png16
from radbank.cli import main
from radbank.mids.tree import layout_of
from radbank.mids.validate import validate_mids
from radbank.sources.mids import MidsOptions, read_tree
from radbank.sources.registry import detect, read_source
from test_mids import LABELS, bids_rejected

# Label sets per report, as BIMCV-COVID19+ writes them; 'unchanged' alone refers to an earlier study.
REPORT_LABELS = [["normal"], ["pneumonia"], ["COVID 19", "pneumonia", "infiltrates"], ["normal"], ["unchanged"]]


def _image(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    write_png16(path, np.clip(rng.normal(0.5, 0.15, (48, 40)), 0, 1), sbit=12)


def make_bimcv_release(root: Path, subjects: int = 10) -> Path:
    """A BIMCV-COVID19+-like release: mod-rx/, tag-keyed sidecars, participants with participant/modality_dicom/
    age/gender, sessions with study_date/medical_evaluation, derivatives/labels/labels_covid19_posi.tsv."""
    (root / "dataset_description.json").parent.mkdir(parents=True, exist_ok=True)
    (root / "dataset_description.json").write_text(json.dumps({"Name": "BIMCV-COVID19+ (test)", "MIDSVersion": "1.0"}))
    people, labels = [], []
    for s in range(subjects):
        sub, ses = f"sub-S{3000 + s:05d}", f"ses-E{6000 + s:05d}"
        folder = root / sub / ses / "mod-rx"
        stem = f"{sub}_{ses}_run-1_bp-chest_vp-{'pa' if s % 3 else 'ap'}_{'cr' if s % 2 else 'dx'}"
        _image(folder / f"{stem}.png", s)
        side = {
            "00080060": {"vr": "CS", "Value": ["CR" if s % 2 else "DX"]},
            "00100040": {"vr": "CS", "Value": ["M" if s % 2 else "F"]},
            "00101010": {"vr": "AS", "Value": [f"{40 + s:03d}Y"]},
            "0008103E": {"vr": "LO", "Value": ["TORAX PA"]},
            "00280004": {"vr": "CS", "Value": ["MONOCHROME2"]},
            "00280010": {"vr": "US", "Value": [48]},
            "00280011": {"vr": "US", "Value": [40]},
        }
        (folder / f"{stem}.json").write_text(json.dumps(side))
        pd.DataFrame([{"filename": f"mod-rx/{stem}.png"}]).to_csv(
            root / sub / ses / f"{sub}_{ses}_scans.tsv", sep="\t", index=False
        )
        pd.DataFrame([{"session_id": ses, "study_date": 20200401 + s, "medical_evaluation": "['Informe.']"}]).to_csv(
            root / sub / f"{sub}_sessions.tsv", sep="\t", index=False
        )
        people.append({"participant": sub, "modality_dicom": "['CR']", "age": f"['{40 + s}']", "gender": "M"})
        terms = REPORT_LABELS[s % len(REPORT_LABELS)]
        labels.append(
            {
                "PatientID": sub,
                "ReportID": ses,
                "Report": "['Informe de prueba.']",
                "Labels": "[" + "\t ".join(f"'{t}'" for t in terms) + "]",
                "Localizations": "['loc basal']" if "pneumonia" in terms else "[]",
                "LabelsLocalizationsBySentence": "[]",
                "labelCUIS": "[]",
                "LocalizationsCUIS": "[]",
            }
        )
    pd.DataFrame(people).to_csv(root / "participants.tsv", sep="\t", index=False)
    (root / LABELS).mkdir(parents=True)
    pd.DataFrame(labels).to_csv(
        root / LABELS / "labels_covid19_posi.tsv", sep="\t", index=False, quoting=csv.QUOTE_MINIMAL
    )
    return root


def make_dcm2mids(root: Path, subjects: int = 8) -> Path:
    """A tree as dcm2mids writes it: mim-rx/cr/, keyword sidecars with string values, scan_file column, its
    sessions (session_id written as sub-<StudyID>) and participants columns, no dataset_description.json;
    labels added in BIMCV's format under derivatives/labels/ (dcm2mids writes none)."""
    people, sessions, labels = [], [], []
    for s in range(subjects):
        sub, ses = f"sub-P{s:03d}", f"ses-{s + 1}"
        folder = root / sub / ses / "mim-rx" / "cr"
        stem = f"{sub}_{ses}_run-1_bp-CHEST_cr"
        _image(folder / f"{stem}.png", 100 + s)
        side = {
            "Modality": "CR",
            "PatientSex": "F",
            "BodyPartExamined": "CHEST",
            "ViewPosition": "PA",
            "Rows": "48",
            "Columns": "40",
            "PhotometricInterpretation": "MONOCHROME2",
            "PixelSpacing": "[0.2, 0.2]",
        }
        (folder / f"{stem}.json").write_text(json.dumps(side, indent=4))
        pd.DataFrame([{"scan_file": f"mim-rx/cr/{stem}.png", "BodyPart": "CHEST", "Modality": "CR"}]).to_csv(
            root / sub / ses / f"{sub}_{ses}_scans.tsv", sep="\t", index=False
        )
        sessions = [
            {
                "session_id": f"sub-{s + 1}",
                "session_pseudo_id": s + 1,
                "acq_time": "2021-01-01T10:00:00",
                "age": 50.0 + s,
            }
        ]
        pd.DataFrame(sessions).to_csv(root / sub / f"{sub}_sessions.tsv", sep="\t", index=False)
        people.append(
            {
                "participant_id": sub,
                "participant_pseudo_id": f"P{s:03d}",
                "sex": "F",
                "participant_birthday": "1970-01-01",
                "ages": f"[{50.0 + s}]",
                "modalities": "['CR']",
                "body_parts_examined": "['CHEST']",
            }
        )
        labels.append({"PatientID": sub, "ReportID": ses, "Labels": "['pleural effusion']" if s % 2 else "['normal']"})
    pd.DataFrame(people).to_csv(root / "participants.tsv", sep="\t", index=False)
    (root / LABELS).mkdir(parents=True)
    pd.DataFrame(labels).to_csv(root / LABELS / "labels.tsv", sep="\t", index=False)
    return root


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bimcv_release(tmp_path_factory.mktemp("bimcv") / "release")


@pytest.fixture(scope="module")
def dcm2mids_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dcm2mids(tmp_path_factory.mktemp("dcm2mids") / "tree")


def test_bimcv_layouts_validate_without_errors(release: Path, dcm2mids_tree: Path) -> None:
    for tree in (release, dcm2mids_tree):
        issues = validate_mids(tree)
        assert [i for i in issues if i.level == "error"] == [], tree
    release_warnings = {i.message for i in validate_mids(release)}
    assert "column 'participant' (BIMCV-COVID19+) is participant_id in BIDS" in release_warnings
    dcm_warnings = {i.message for i in validate_mids(dcm2mids_tree)}
    assert "session_id values start with sub- (dcm2mids); ses-<label> expected" in dcm_warnings


def test_detection_names_each_layout(release: Path, dcm2mids_tree: Path) -> None:
    assert (layout_of(release), detect(release)) == ("bimcv-release", "bimcv-release")
    assert (layout_of(dcm2mids_tree), detect(dcm2mids_tree)) == ("dcm2mids", "dcm2mids")


def test_release_read_labels_metadata_and_skips(release: Path) -> None:
    rec = read_source("auto", release, {})
    assert rec.source == "bimcv-release"
    assert rec.task == "multilabel"
    assert rec.label_names == ["COVID 19", "infiltrates", "pneumonia"]
    assert len(rec) == 8
    assert [r for _, r in rec.skipped] == ["labelled only 'unchanged' (the findings of an earlier study)"] * 2
    row = rec.table.set_index("patient").loc["S03001"]
    assert row["age"] == 41  # participants.tsv's age list
    assert row["sex"] == "M"  # BIMCV-COVID19+'s gender column
    assert row["modality"] == "CR"  # the tag-keyed sidecar
    assert row["localizations"] == "loc basal"
    flat = read_tree(release, MidsOptions(labels="infiltrates,alveolar pattern"))
    assert flat.labels.sum(axis=0).tolist() == [2.0, 0.0]
    covid = read_source("bimcv-release", release, {"labels": "COVID-19,Pneumonia"})  # matched by UMLS concept
    assert covid.label_names == ["COVID-19", "Pneumonia"]
    assert covid.labels[:, 0].sum() == 2


def test_dcm2mids_read(dcm2mids_tree: Path) -> None:
    rec = read_source("dcm2mids", dcm2mids_tree, {})
    assert rec.task == "binary"
    assert rec.class_names == ["normal", "pleural effusion"]
    assert len(rec) == 8
    assert set(rec.table["view"]) == {"PA"}
    assert rec.table["age"].min() == 50
    assert set(rec.table["sex"]) == {"F"}


def test_release_trains_subsets_and_exports_in_both_layouts(release: Path, tmp_path: Path) -> None:
    args = [
        "train",
        str(release),
        "--out",
        str(tmp_path / "run"),
        "--size",
        "32",
        "--epochs",
        "1",
        "--val-fraction",
        "0.3",
        "--batch-size",
        "4",
        "--workers",
        "1",
        "-q",
    ]
    assert main(args) == 0
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert (
        main(["subset", str(release), "--finding", "Pneumonia", "--out", str(tmp_path / "sub"), "--n", "0", "-q"]) == 0
    )
    manifest = pd.read_csv(tmp_path / "sub" / "manifest.csv")
    assert manifest["class"].value_counts().to_dict() == {"Pneumonia": 2, "No-Finding": 2}  # balanced, whole patients
    for name in ("bimcv-release", "dcm2mids"):
        out = tmp_path / name
        assert main(["mids", "export", str(release), str(out), "--layout", name, "--workers", "1", "-q"]) == 0
        assert [i for i in validate_mids(out) if i.level == "error"] == []
        assert bids_rejected(out) == []
        back = read_source("auto", out, {})
        assert back.source == "mids"
        assert back.label_names == ["COVID 19", "infiltrates", "pneumonia"]
        assert sorted(back.table["session"]) == sorted(read_source("auto", release, {}).table["study"].str[-6:])
    assert (
        sorted(p.parent.name for p in (tmp_path / "dcm2mids").glob("sub-*/ses-*/mim-rx/*/*.png"))
        == ["cr"] * 4 + ["dx"] * 4
    )
    table = pd.read_csv(tmp_path / "dcm2mids" / LABELS / "labels.tsv", sep="\t", dtype=str)
    covid = table[table["Labels"].str.contains("COVID")]
    assert set(covid["labelCUIS"]) == {"['C5203670' 'C0277877' 'C0032285']"}  # COVID 19, infiltrates, pneumonia
    assert set(covid["LocalizationsCUIS"]) == {"['C1282378']"}  # loc basal
    other = ["mids", "export", str(release), str(tmp_path / "dcm2mids"), "--layout", "bimcv-release", "-q"]
    assert main(other) == 2  # never two layouts in one tree
    sidecar = next((tmp_path / "dcm2mids").rglob("*_cr.json"))
    assert json.loads(sidecar.read_text())["Modality"] == "CR"  # dcm2mids: keyword-keyed
