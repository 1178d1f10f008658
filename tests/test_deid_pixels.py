"""Burned-in text: rules with rectangles, OCR redaction verified, quarantine when unsure."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from radbank.anonymize.audit import run_audit
from radbank.anonymize.batch import DeidJob, run_batch
from radbank.anonymize.keys import keygen
from radbank.anonymize.pixels import load_rules, ocr_available, ocr_words, parse_recipe
from radbank.errors import RadbankError
from radbank.phantom.dicom import write_phi_set

needs_ocr = pytest.mark.skipif(not ocr_available(), reason="tesseract not installed (apt-get install tesseract-ocr)")


@pytest.fixture(scope="module")
def burned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two patients: ultrasound captures with the name, ID burned into the top band (BurnedInAnnotation YES)."""
    root = tmp_path_factory.mktemp("burned")
    write_phi_set(root / "in", patients=2, studies=1, images=1, seed=9, burned_in_share=1.0)
    keygen(root / "key")
    return root


def test_quarantined_without_rule_or_ocr(burned: Path, tmp_path: Path) -> None:
    report = run_batch(
        DeidJob(str(burned / "in"), str(tmp_path / "out"), str(burned / "key"), workers=1, work=str(tmp_path / "work"))
    )
    assert report.counts["quarantined"] == 2
    assert report.counts["written"] == 0
    assert all("BurnedInAnnotation is YES" in r.reason for r in report.files if r.status == "quarantined")
    assert not list((tmp_path / "out").rglob("*.dcm"))
    assert len(list((tmp_path / "work").rglob("*.dcm"))) == 2


def test_rule_rectangles_redact_exactly(burned: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "band.rules"
    recipe.write_text(
        "FORMAT dicom\n%filter graylist\nLABEL phantom US name band\n  contains Modality US\n"
        "  + contains Manufacturer PHANTOM\n  coordinates 0,0,256,23\n"
    )
    report = run_batch(
        DeidJob(str(burned / "in"), str(tmp_path / "out"), str(burned / "key"), workers=1, pixel_rules=(str(recipe),))
    )
    assert report.counts["written"] == 2
    assert all(r.redacted_pixels == 256 * 23 for r in report.files if r.status == "written")
    for path in (tmp_path / "out").rglob("*.dcm"):
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
        assert arr[:23].max() == 0
        assert arr[23:].max() > 0
        assert ds.BurnedInAnnotation == "NO"
        assert "113101" in {i.CodeValue for i in ds.DeidentificationMethodCodeSequence}


def test_recipe_parsing_semantics_and_errors() -> None:
    rules = parse_recipe(
        "%filter graylist\nLABEL a\n  contains Modality CT|MR\n  + contains Manufacturer GE\n"
        "  || equals Rows 512\n  ctpcoordinates 10,20,30,40\n"
    )
    ds = pydicom.Dataset()
    ds.Modality, ds.Manufacturer, ds.Rows = "MR", "Siemens", 256
    assert not rules[0].matches(ds)  # (MR and GE) or 512 rows: false
    ds.Rows = 512
    assert rules[0].matches(ds)
    assert rules[0].boxes == [(10, 20, 40, 60)]
    assert len(load_rules()) > 100  # deid's CTP-derived recipe plus radbank's
    with pytest.raises(RadbankError, match="criteria before any LABEL"):
        parse_recipe("%filter graylist\n  contains Modality CT\n")


@needs_ocr
def test_ocr_redacts_burned_in_text_and_verifies(burned: Path, tmp_path: Path) -> None:
    report = run_batch(DeidJob(str(burned / "in"), str(tmp_path / "out"), str(burned / "key"), workers=1, ocr=True))
    assert report.counts["written"] == 2
    assert report.counts["quarantined"] == 0
    originals = [pydicom.dcmread(p) for p in sorted((burned / "in").rglob("*.dcm"))]
    names = {w for ds in originals for w in ([*str(ds.PatientName).split("^"), str(ds.PatientID)])}
    for path in (tmp_path / "out").rglob("*.dcm"):
        ds = pydicom.dcmread(path)
        read = " ".join(w.text for w in ocr_words(ds))
        assert not [n for n in names if len(n) > 3 and n.lower() in read.lower()], read
        band = ds.pixel_array[:20]
        assert (band == 0).mean() > 0.95  # the band's text is painted over
    assert run_audit(burned / "in", tmp_path / "out").passed
