"""MR volumes in MIDS: `mids export` writes head MR series (DICOM) and MR NIfTI (a MIDS source) defaced under
`mim-mr/anat/` in both layouts, with BIDS names and sidecars; `mids validate` and the BIDS validator accept them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pydicom
import pytest

from deface_data import template_head
from helpers import write_dicom
from radbank.anonymize.deface.core import DefaceOptions
from radbank.anonymize.deface.dicom_series import series_volume
from radbank.anonymize.deface.mids_writer import MR_FIELDS, write_mids_mr
from radbank.cli import main
from radbank.mids.export import ExportOptions, export_mids
from radbank.mids.validate import validate_mids
from radbank.sources import read_source
from test_deface_dicom import MR_IMAGE, write_series
from test_mids import bids_rejected

SIDECAR_KEYS = {"Modality", "BodyPartExamined", "Defaced", *MR_FIELDS}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two head MR series of one study (a T1 description; no description, MPRAGE timing), a knee MR series, a noise
    'head', a CR; a label table keyed by path."""
    root = tmp_path_factory.mktemp("mids_mr")
    src = root / "dicom"
    study = pydicom.uid.generate_uid()
    write_series(src / "mr" / "t1", study=study)
    write_series(src / "mr" / "timing", description=None, study=study)
    for k in range(4):
        write_dicom(
            src / "knee" / f"K{k}.dcm",
            np.full((16, 16), 50, np.uint16),
            modality="MR",
            PatientID="KNEE01",
            BodyPartExamined="KNEE",
            SeriesInstanceUID="1.2.826.0.1.3680043.10.999.30",
        )
    noise = np.random.default_rng(2).integers(0, 1000, (48, 48, 32))
    for k in range(noise.shape[2]):
        write_dicom(
            src / "noise" / f"N{k:02d}.dcm",
            noise[:, :, k].astype(np.uint16),
            modality="MR",
            bits_stored=16,
            SOPClassUID=MR_IMAGE,
            SeriesInstanceUID="1.2.826.0.1.3680043.10.999.31",
            BodyPartExamined="HEAD",
            ImageOrientationPatient=[1, 0, 0, 0, 1, 0],
            ImagePositionPatient=[0.0, 0.0, 5.0 * k],
            PixelSpacing=[5.0, 5.0],
            PatientID="NOISE01",
            SeriesDescription="T1",
        )
    write_dicom(src / "cr" / "c.dcm", np.full((64, 64), 100, np.uint16), modality="CR", ViewPosition="PA")
    files = sorted(p.relative_to(src).as_posix() for p in src.rglob("*.dcm"))
    labels = ["Pneumothorax" if f.startswith("cr/") else "No-Finding" for f in files]
    pd.DataFrame({"path": files, "label": labels}).to_csv(root / "labels.csv", index=False)
    return root


def _export(root: Path, out: str, *flags: str) -> int:
    return main(
        [
            "mids",
            "export",
            str(root / "dicom"),
            str(root / out),
            "--source",
            "dicom",
            "--modalities",
            "CR,MR",
            "--label-table",
            str(root / "labels.csv"),
            "--deface-method",
            "template",
            "--workers",
            "1",
            "-q",
            *flags,
        ]
    )


@pytest.fixture(scope="module")
def release(source: Path) -> Path:
    assert _export(source, "release") == 0
    return source / "release"


def _volumes(root: Path) -> list[Path]:
    return sorted(root.glob("sub-*/ses-*/mim-mr/anat/*.nii.gz"))


def test_head_series_become_defaced_volumes_with_bids_names(release: Path) -> None:
    names = [p.name.split("_", 2)[-1] for p in _volumes(release)]
    assert names == ["run-1_T1w.nii.gz", "run-2_T1w.nii.gz"]  # the description, then the MPRAGE timing
    assert not list(release.glob("sub-KNEE01*")) and not list(release.glob("sub-NOISE01*"))  # nothing left behind


def test_a_volume_is_the_series_with_only_the_face_removed(release: Path, source: Path) -> None:
    before = series_volume([pydicom.dcmread(p) for p in sorted((source / "dicom" / "mr" / "t1").iterdir())])
    img = nib.load(_volumes(release)[0])
    after = np.asarray(img.dataobj)
    assert np.allclose(img.affine, before.affine)
    changed = after != before.scaled
    assert changed.any()
    assert np.all(after[changed] == 0)
    world = np.c_[np.argwhere(changed), np.ones(int(changed.sum()))] @ img.affine.T  # R, A, S of each changed voxel
    centre = img.affine @ np.r_[(np.array(after.shape) - 1) / 2, 1]
    assert world[:, 1].min() > centre[1]  # in front of the middle of the head only


def test_mr_sidecar_holds_bids_fields_in_seconds_and_nothing_else(release: Path) -> None:
    side = json.loads(_volumes(release)[0].with_name(_volumes(release)[0].name.replace(".nii.gz", ".json")).read_text())
    assert set(side) <= SIDECAR_KEYS
    assert side["RepetitionTime"] == 2.3
    assert side["EchoTime"] == 0.00298
    assert side["Modality"] == "MR"
    assert side["Defaced"]["Method"] == "template"


def test_tables_and_labels_name_the_volumes(release: Path) -> None:
    tables = sorted(release.glob("sub-*/ses-*/*_scans.tsv"))  # every session's table: glob order is the disk's
    scans = pd.concat([pd.read_csv(p, sep="\t", dtype=str) for p in tables], ignore_index=True)
    mr = scans[scans["filename"].str.startswith("mim-mr/anat/")]
    assert len(mr) == 2
    assert set(mr["modality"]) == {"MR"}
    assert set(mr["body_part"]) == {"HEAD"}
    findings = pd.read_csv(release / "derivatives" / "labels" / "findings.tsv", sep="\t", dtype=str)
    assert set(mr["filename"]) <= set(findings["filename"])


def test_skipped_mr_is_listed_with_the_reason(source: Path, tmp_path: Path) -> None:
    records = read_source("dicom", source / "dicom", {"label_table": str(source / "labels.csv"), "modalities": "CR,MR"})
    rep = export_mids(records, tmp_path / "out", options=ExportOptions(deface_method="template", workers=1))
    reasons = {Path(src).parent.name: reason for src, reason in rep.skipped}
    assert reasons["knee"] == "MR of body part KNEE: only head MR volumes are exported (defaced)"
    assert reasons["noise"].startswith("not exported: not recognised as a head")
    assert rep.written == 3  # the CR and two volumes
    again = export_mids(records, tmp_path / "out", options=ExportOptions(deface_method="template", workers=1))
    assert again.resumed == 3


def test_validate_and_the_bids_validator_accept_the_mr_files(release: Path) -> None:
    assert [i for i in validate_mids(release) if "mim-mr" in i.path] == []
    assert bids_rejected(release) == []  # mim-*/ is in .bidsignore: the BIDS validator does not look inside
    bids = pytest.importorskip("bids_validator").BIDSValidator()
    mr = [p.relative_to(release).as_posix() for p in release.glob("sub-*/ses-*/mim-mr/anat/*")]
    assert len(mr) == 4
    assert [r for r in mr if not bids.is_bids("/" + r.replace("mim-mr/", ""))] == []  # valid BIDS names at anat/


def test_dcm2mids_layout_puts_mr_in_the_same_place(source: Path) -> None:
    assert _export(source, "dcm2mids", "--layout", "dcm2mids") == 0
    out = source / "dcm2mids"
    assert [p.name for p in _volumes(out)] == [p.name for p in _volumes(source / "release")]
    assert len(list(out.glob("sub-*/ses-*/mim-rx/cr/*.png"))) == 1
    assert [i for i in validate_mids(out) if i.level == "error"] == []
    assert bids_rejected(out) == []


def test_a_mids_source_with_mr_volumes_exports_them_again(release: Path, tmp_path: Path) -> None:
    records = read_source("mids", release, {})
    assert sum(str(p).endswith(".nii.gz") for p in records.table["path"]) == 2
    rep = export_mids(records, tmp_path / "again", options=ExportOptions(deface_method="template", workers=1))
    assert rep.written == 3
    again = _volumes(tmp_path / "again")
    side = json.loads(again[0].with_name(again[0].name.replace(".nii.gz", ".json")).read_text())
    assert side["RepetitionTime"] == 2.3  # carried from the source's sidecar


def test_validate_flags_mr_sidecars_and_names(release: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(release, tree)
    volume = _volumes(tree)[0]
    sidecar = volume.with_name(volume.name.replace(".nii.gz", ".json"))
    side = json.loads(sidecar.read_text())
    side["RepetitionTime"], side["Modality"] = 2300, "CT"
    del side["Defaced"]
    sidecar.write_text(json.dumps(side))
    other = _volumes(tree)[1]
    other.rename(other.with_name(other.name.replace("_T1w", "_T1")))
    other.with_name(other.name.replace(".nii.gz", ".json")).rename(
        other.with_name(other.name.replace("_T1w.nii.gz", "_T1.json"))
    )
    issues = [(i.level, i.message) for i in validate_mids(tree)]
    assert ("warning", "RepetitionTime is 2300, greater than 100: is it expressed in seconds? (BIDS)") in issues
    assert ("error", "Modality CT in an MR folder") in issues
    assert any(level == "warning" and "no record of its face being removed" in m for level, m in issues)
    assert any(level == "warning" and "'T1' is not a BIDS anatomical suffix" in m for level, m in issues)


def test_plain_bids_anat_of_xnat2mids_is_accepted(release: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(release, tree)
    for f in tree.glob("sub-*/ses-*/mim-mr/anat/*"):
        target = f.parents[2] / "anat" / f.name
        target.parent.mkdir(exist_ok=True)
        f.rename(target)
    for table in [*tree.glob("sub-*/ses-*/*_scans.tsv"), tree / "derivatives" / "labels" / "findings.tsv"]:
        table.write_text(table.read_text().replace("mim-mr/anat/", "anat/"))
    shutil.rmtree(next(tree.glob("sub-*/ses-*/mim-mr")))
    assert [i for i in validate_mids(tree) if i.level == "error"] == []


def test_a_volume_of_unknown_contrast_is_named_t1w_only_when_it_looks_t1_weighted(tmp_path: Path) -> None:
    head, affine = template_head()
    inverted = (head.max() - head).astype(np.float32)  # a T2-like contrast: CSF bright
    out = write_mids_mr(tmp_path / "x_T1w.nii.gz", inverted, affine, options=DefaceOptions("template"), t1_only=True)
    assert not out.written
    assert out.reason.startswith("contrast unknown")
    assert not (tmp_path / "x_T1w.nii.gz").exists()
