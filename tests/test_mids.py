"""MIDS export from a de-identified DICOM set, validation (and its breakages), reading back, training."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pydicom
import pytest

from radbank.anonymize.batch import DeidJob, run_batch
from radbank.anonymize.keys import keygen
from radbank.cli import main
from radbank.mids.export import ExportOptions, export_mids
from radbank.mids.naming import parse_name
from radbank.mids.report_findings import report_findings
from radbank.mids.sidecar import RECOMMENDED_FIELDS, REQUIRED_FIELDS, SPACING, TECHNIQUE, TEXT
from radbank.mids.tree import read_sidecar
from radbank.mids.umls import ancestors, concepts, is_cui, localizations, lookup, lookup_localization
from radbank.mids.validate import validate_mids
from radbank.phantom.cases import plan_cases
from radbank.phantom.dicom import planted_identifiers, write_phi_set
from radbank.sources.folders import read_class_folders
from radbank.sources.mids import read_mids
from radbank.sources.nih import NIH_FINDINGS, NO_FINDING

NIH = [*NIH_FINDINGS, NO_FINDING]
SIDECAR_KEYS = set(TEXT + TECHNIQUE + SPACING + REQUIRED_FIELDS + RECOMMENDED_FIELDS) | {
    "SourcePhotometricInterpretation",
    "SourceBitsStored",
}
LABELS = Path("derivatives") / "labels"


def bids_rejected(root: Path) -> list[str]:
    """Files the Python bids-validator rejects and the tree's .bidsignore does not list (gitignore rules, as the
    reference validator applies them; dot-files are not part of a BIDS dataset)."""
    bids = pytest.importorskip("bids_validator")
    pathspec = pytest.importorskip("pathspec")
    ignore = root / ".bidsignore"
    spec = pathspec.GitIgnoreSpec.from_lines(ignore.read_text().splitlines() if ignore.exists() else [])
    v = bids.BIDSValidator()
    v._init_regexes()  # its rules are regex strings compiled on every call (hundreds, past re's cache): same verdicts
    v.regexes = [re.compile(r) if isinstance(r, str) else r for r in v.regexes]
    rel = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return [r for r in rel if not spec.match_file(r) and not v.is_bids("/" + r)]


def _tsv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def _pixels_hash(path: Path) -> str:
    return hashlib.sha256(pydicom.dcmread(path).PixelData).hexdigest()


@pytest.fixture(scope="module")
def deid_set(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A de-identified DICOM set (made here), its label table keyed by output path, and reports."""
    root = tmp_path_factory.mktemp("mids_dicom")
    originals = write_phi_set(root / "in", patients=10, studies=2, images=1, seed=5)
    keygen(root / "key")
    run_batch(DeidJob(str(root / "in"), str(root / "deid"), str(root / "key"), workers=1))
    cases = plan_cases(len(originals), seed=5)
    label_of = {_pixels_hash(p): ("Pneumothorax" if cases[k].label else "No-Finding") for k, p in enumerate(originals)}
    rows, reports = [], []
    for f in sorted((root / "deid").rglob("*.dcm")):
        rel = f.relative_to(root / "deid").as_posix()
        rows.append({"path": rel, "label": label_of[_pixels_hash(f)]})
        study = str(pydicom.dcmread(f, stop_before_pixels=True).StudyInstanceUID)
        reports.append(
            {"StudyInstanceUID": study, "report": f"Paciente Juan García Pérez. Neumotórax derecho {rel[:4]}."}
        )
    pd.DataFrame(rows).to_csv(root / "labels.csv", index=False)
    pd.DataFrame(reports).drop_duplicates("StudyInstanceUID").to_csv(root / "reports.csv", index=False)
    return {"root": root, "deid": root / "deid", "in": root / "in"}


@pytest.fixture(scope="module")
def exported(deid_set: dict[str, Path]) -> Path:
    out = deid_set["root"] / "mids"
    args = [
        "mids",
        "export",
        str(deid_set["deid"]),
        str(out),
        "--label-table",
        str(deid_set["root"] / "labels.csv"),
        "--reports",
        str(deid_set["root"] / "reports.csv"),
        "--workers",
        "1",
        "-q",
    ]
    assert main(args) == 0
    return out


def test_export_layout_sidecars_and_codes(exported: Path, deid_set: dict[str, Path]) -> None:
    desc = json.loads((exported / "dataset_description.json").read_text())
    assert desc["Name"]
    assert desc["BIDSVersion"]
    assert desc["MIDSVersion"]
    participants = _tsv(exported / "participants.tsv")
    assert list(participants.columns[:3]) == ["participant_id", "age", "sex"]
    assert len(participants) == 10
    images = sorted(exported.glob("sub-*/ses-*/mod-rx/*.png"))  # the default layout: BIMCV-COVID19+'s mod-rx
    assert len(images) == 20
    for img in images:
        name = parse_name(img.name)
        assert name is not None
        assert name.suffix in ("cr", "dx")
        assert name.bp == "chest"
        assert name.vp == "pa"
        assert img.parts[-4] == f"sub-{name.sub}"
        assert img.parts[-3] == f"ses-{name.ses}"
        raw = json.loads(img.with_suffix(".json").read_text())
        assert raw["00080060"]["Value"] == [name.suffix.upper()]  # tag-keyed, DICOM JSON model, as BIMCV's
        side = read_sidecar(img.with_suffix(".json"))
        assert set(side) <= SIDECAR_KEYS, set(side) - SIDECAR_KEYS  # nothing identifying, nothing else
        assert side["Modality"] == name.suffix.upper()
        assert side["ViewPosition"] == "PA"
        assert side["KVP"] == 125
        assert side["BitsStored"] == 16
        assert side["PixelSpacing"][0] > 0
    # nothing planted in the original export survives anywhere in the tree
    blob = b"".join(p.read_bytes() for p in exported.rglob("*") if p.is_file() and p.suffix != ".png")
    for ident in planted_identifiers(deid_set["in"]):
        assert ident.encode() not in blob, ident
    findings = _tsv(exported / LABELS / "findings.tsv")
    curated = findings[findings["source"] == "curated"]
    assert set(curated["label"]) == {"No Finding", "Pneumothorax"}
    assert set(curated.loc[curated["label"] == "Pneumothorax", "umls_cui"]) == {"C2073565"}  # PadChest's concept
    nlp = findings[findings["source"] == "report-nlp"]
    assert set(nlp["umls_cui"]) == {"C2073565"}  # "Neumotórax derecho" coded from the Spanish report
    report = "\n".join(p.read_text() for p in sorted((exported / LABELS).glob("sub-*/ses-*/*_report.txt")))
    assert "García" not in report and "Juan" not in report and "[NAME]" in report  # redacted by default
    table = pd.read_csv(exported / LABELS / "labels.tsv", sep="\t", dtype=str)
    assert list(table.columns) == [
        "PatientID",
        "ReportID",
        "Report",
        "Labels",
        "Localizations",
        "labelCUIS",
        "LocalizationsCUIS",
    ]
    assert set(table["Labels"]) == {"['pneumothorax']", "['normal']"}
    assert set(table.loc[table["Labels"] == "['pneumothorax']", "labelCUIS"]) == {"['C2073565']"}
    assert not list(exported.glob("sub-*/ses-*/*_findings.tsv"))
    assert not list(exported.glob("sub-*/ses-*/*.txt"))


def test_sessions_columns_are_not_participants_columns(exported: Path) -> None:
    participants = set(_tsv(exported / "participants.tsv").columns)
    for table in exported.glob("sub-*/sub-*_sessions.tsv"):
        assert set(_tsv(table).columns) & participants == set(), table


def test_validate_clean_tree_and_bids_validator_accepts_every_file(exported: Path) -> None:
    issues = validate_mids(exported)
    assert [i for i in issues if i.level == "error"] == []
    assert main(["mids", "validate", str(exported), "-q"]) == 0
    missing = validate_mids(exported / "nowhere")
    assert [(i.level, i.path, i.message) for i in missing] == [("error", str(exported / "nowhere"), "not a folder")]
    assert bids_rejected(exported) == []


def _first(root: Path, pattern: str) -> Path:
    return sorted(root.glob(pattern))[0]


def _drop_description(root: Path) -> None:
    (root / "dataset_description.json").unlink()


def _drop_participant_row(root: Path) -> None:
    lines = (root / "participants.tsv").read_text().splitlines()
    (root / "participants.tsv").write_text("\n".join(lines[:-1]) + "\n")


def _misname_image(root: Path) -> None:
    img = _first(root, "sub-*/ses-*/mod-rx/*.png")
    img.rename(img.with_name("chest_xray.png"))


def _drop_sidecar(root: Path) -> None:
    _first(root, "sub-*/ses-*/mod-rx/*.json").unlink()


def _orphan_sidecar(root: Path) -> None:
    _first(root, "sub-*/ses-*/mod-rx/*.png").unlink()


def _empty_cell(root: Path) -> None:
    path = _first(root, "sub-*/sub-*_sessions.tsv")
    lines = path.read_text().splitlines()
    cells = lines[1].split("\t")
    cells[1] = ""
    path.write_text("\n".join([lines[0], "\t".join(cells), *lines[2:]]) + "\n")


def _bad_cui(root: Path) -> None:
    path = root / LABELS / "findings.tsv"
    path.write_text(path.read_text().replace("\tC", "\tX", 1))


def _bad_cui_bimcv_table(root: Path) -> None:
    path = root / LABELS / "labels.tsv"
    path.write_text(path.read_text().replace("['C2073565']", "['C20735']", 1))


def _wrong_subject(root: Path) -> None:
    img = _first(root, "sub-*/ses-*/mod-rx/*.png")
    name = parse_name(img.name)
    assert name is not None
    img.rename(img.with_name(img.name.replace(f"sub-{name.sub}", "sub-zzz")))


def _drop_sidecar_field(root: Path) -> None:
    path = _first(root, "sub-*/ses-*/mod-rx/*.json")
    obj = json.loads(path.read_text())
    del obj["00080060"]  # Modality
    path.write_text(json.dumps(obj))


def _bad_modality_folder(root: Path) -> None:
    folder = _first(root, "sub-*/ses-*/mod-rx")
    folder.rename(folder.with_name("xray"))


def _empty_modality_folder(root: Path) -> None:
    folder = _first(root, "sub-*/ses-*/mod-rx")
    for p in folder.iterdir():
        p.unlink()


BREAKAGES = {
    "no dataset_description": (_drop_description, "dataset_description.json", "required file missing"),
    "participant without row": (_drop_participant_row, "participants.tsv", "has a folder but no row"),
    "misnamed image": (_misname_image, "chest_xray.png", "name does not follow"),
    "image without sidecar": (_drop_sidecar, ".png", "image without a JSON sidecar"),
    "orphan sidecar": (_orphan_sidecar, ".json", "sidecar without an image"),
    "empty cell": (_empty_cell, "_sessions.tsv", "empty cell"),
    "malformed CUI": (_bad_cui, "findings.tsv", "is not a UMLS CUI"),
    "malformed CUI in labels.tsv": (_bad_cui_bimcv_table, "labels.tsv", "not a UMLS CUI"),
    "empty modality folder": (_empty_modality_folder, "mod-rx", "empty modality folder"),
    "entities vs folders": (_wrong_subject, "sub-zzz", "do not match the folders"),
    "sidecar field": (_drop_sidecar_field, ".json", "required field Modality missing"),
    "modality folder": (_bad_modality_folder, "xray", "modality folders are named mim-<group> or mod-<group>"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_validator_sees_each_breakage(
    breakage: str, exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(exported, tree)
    breaker, where, message = BREAKAGES[breakage]
    breaker(tree)
    errors = [i for i in validate_mids(tree) if i.level == "error"]
    assert any(where in i.path and message in i.message for i in errors), errors
    assert main(["mids", "validate", str(tree), "--errors-only"]) == 1
    out = capsys.readouterr().out
    assert message in out
    assert "error(s)" in out.splitlines()[-1]


def test_read_back_and_train_one_epoch(exported: Path, tmp_path: Path) -> None:
    records = read_mids(exported)
    assert records.task == "binary"
    assert records.class_names == ["No Finding", "Pneumothorax"]
    assert len(records) == 20
    assert records.table["patient"].nunique() == 10
    assert set(records.table["view"]) == {"PA"}
    args = [
        "train",
        str(exported),
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
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics
    assert (tmp_path / "run" / "model.safetensors").exists()


def test_umls_table_covers_nih_and_lookup_variants() -> None:
    for name in NIH:
        concept = lookup(name)
        assert concept is not None, name
        assert concept.scheme == "nih", name
    assert lookup("pleural-thickening").label == "Pleural_Thickening"  # type: ignore[union-attr]
    assert lookup("No-Finding").cui == lookup("No Finding").cui == "C0205307"  # type: ignore[union-attr]
    assert lookup("neumotórax").label == "Pneumothorax"  # type: ignore[union-attr]
    assert lookup("Weird-Thing") is None
    assert all(is_cui(c.cui) for c in concepts())
    assert len(concepts()) > 150


@pytest.mark.parametrize(
    ("names", "cui"),
    [
        (("Pneumothorax", "pneumothorax"), "C2073565"),  # NIH, CheXpert and PadChest: one concept
        (("Effusion", "Pleural Effusion", "pleural effusion"), "C2073625"),
        (("No Finding", "normal"), "C0205307"),
        (("Infiltration", "infiltrates"), "C0277877"),
        (("Hernia", "hiatal hernia"), "C3489393"),
        (("Lung Opacity", "increased density"), "C1443940"),
        (("COVID 19", "COVID-19", "covid19"), "C5203670"),
    ],
)
def test_one_cui_per_concept_whatever_the_label_set(names: tuple[str, ...], cui: str) -> None:
    assert {lookup(n).cui for n in names} == {cui}  # type: ignore[union-attr]


def test_localizations_and_the_label_tree() -> None:
    assert lookup_localization("loc basal").cui == "C1282378"  # type: ignore[union-attr]
    assert lookup_localization("right upper lobe").cui == "C1261074"  # type: ignore[union-attr]
    assert lookup("loc basal") is None
    assert all(c.scheme == "padchest-loc" for c in localizations())
    assert {"pleural effusion", "radiological finding"} <= ancestors("loculated pleural effusion")
    assert "infiltrates" in ancestors("ground glass pattern")
    assert lookup("laminar atelectasis") is None  # in BIMCV's tree without a published concept


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Small left apical pneumothorax. No pleural effusion.", {"Pneumothorax"}),
        ("No pneumothorax, but cardiomegaly is present.", {"Cardiomegaly"}),
        ("Sin neumotórax. Derrame pleural derecho. No se observan nódulos ni consolidación.", {"Effusion"}),
        ("Without evidence of pneumothorax or effusion.", set()),
        ("Atelectasia laminar basal izquierda.", {"Atelectasis"}),
    ],
)
def test_report_findings_negation(text: str, found: set[str]) -> None:
    assert {f.concept.label for f in report_findings(text)} == found


def test_unknown_labels_reported_bad_image_skipped_and_resume(tmp_path: Path, phantom120: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(phantom120 / "No-Finding", data / "No-Finding")
    shutil.copytree(phantom120 / "Pneumothorax", data / "Weird-Thing")
    bad = data / "Weird-Thing" / "99999999_000.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    records = read_class_folders(data, positive="Weird-Thing")
    rep = export_mids(records, tmp_path / "mids", options=ExportOptions(workers=1))
    assert rep.unknown_labels
    assert "Weird-Thing" in rep.unknown_labels
    assert [p for p, _ in rep.skipped] == [str(bad)]
    assert rep.written == len(records) - 1
    assert not (tmp_path / "mids" / "sub-99999999").exists()  # the skipped image left no folder behind
    assert [d for d in (tmp_path / "mids").rglob("*") if d.is_dir() and not any(d.iterdir())] == []
    findings = _tsv(tmp_path / "mids" / LABELS / "findings.tsv")
    assert set(findings.loc[findings["label"] == "Weird-Thing", "umls_cui"]) == {"n/a"}
    issues = validate_mids(tmp_path / "mids")
    warnings = [i for i in issues if "has no UMLS code" in i.message]
    assert warnings
    assert all(i.level == "warning" for i in warnings)
    assert [i for i in issues if i.level == "error"] == []
    again = export_mids(records, tmp_path / "mids", options=ExportOptions(workers=1))
    assert again.written == 0
    assert again.resumed == rep.written


def test_phantom_reports_code_back_to_their_findings() -> None:
    from radbank.phantom.reports import report_text

    cases = plan_cases(300, seed=2, extra_findings=True)
    assert {c.patient % 2 for c in cases} == {0, 1}  # both languages
    for c in cases:
        assert sorted(f.concept.label for f in report_findings(report_text(c))) == sorted(c.findings), report_text(c)


def test_png_export_with_metadata_table(phantom120: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meta = pd.read_csv(phantom120 / "phantom.csv", dtype=str).drop(columns=["patient"])
    meta["pixel_spacing"] = "0.572"
    meta.to_csv(tmp_path / "meta.csv", index=False)
    out = tmp_path / "mids"
    assert (
        main(["mids", "export", str(phantom120), str(out), "--metadata", str(tmp_path / "meta.csv"), "--workers", "1"])
        == 0
    )
    assert "metadata for 120 of 120 images" in capsys.readouterr().out
    assert [i for i in validate_mids(out) if i.level == "error" or "recommended field" in i.message] == []
    side = read_sidecar(next(out.rglob("*_cr.json")))
    assert side["ViewPosition"] in ("PA", "AP")
    assert side["PixelSpacing"] == [0.572, 0.572]
    participants = pd.read_csv(out / "participants.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert participants["age"].ne("n/a").all()
    assert set(participants["sex"]) <= {"M", "F"}
    assert main(["mids", "export", str(phantom120), str(out), "--metadata", str(tmp_path / "nope.csv"), "-q"]) == 2


def test_demo_export_passes_bids_validator_and_mids_validate(phantom120: Path, tmp_path: Path) -> None:
    """The demo's publishing step (phantom, metadata, reports): every file accepted, no validation error."""
    from radbank.demo import publish

    rep, _ = publish(phantom120, tmp_path, 120, 3, 1)
    assert rep.written == 120
    assert rep.nlp_findings > 0
    assert [i for i in validate_mids(rep.out) if i.level == "error"] == []
    assert bids_rejected(rep.out) == []
    assert json.loads((tmp_path / "risk.json").read_text())["validation"]["errors"] == 0
