"""The rule registry: a site policy overrides PS3.15 per attribute through one mechanism, and every action is
made to conform to the file's IOD (nothing required removed, no optional sequence left empty)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from helpers import write_dicom
from radbank.anonymize.dicom import Deidentifier
from radbank.anonymize.iod import conform, load_iod_types
from radbank.anonymize.keys import Keyed
from radbank.anonymize.rules import RuleSet, SitePolicy
from radbank.cli import main
from radbank.errors import RadbankError

CT = "1.2.840.10008.5.1.4.1.1.2"
KEYED = Keyed(b"\x01" * 32)


def _dataset(**attrs: object) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = CT, "1.2.826.0.1.3680043.10.999.20.1"
    ds.PatientName, ds.PatientID = "Muñoz^José", "HC-123456"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.999.20"
    for key, value in attrs.items():
        setattr(ds, key, value)
    return ds


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_site_policy_overrides_every_kind_of_rule(tmp_path: Path, suffix: str) -> None:
    rules = {
        "StudyDescription": "keep",  # PS3.15 cleans it
        "KVP": "remove",  # not in the table, a number: kept by VR without decoding (the old fast path)
        "BodyPartExamined": "empty",  # kept by VR
        "StationName": "replace",  # PS3.15 removes it
        "InstitutionName": "pseudonymise",  # PS3.15 removes it
        "(0008,0022)": "keep",  # Acquisition Date: shifted otherwise
    }
    path = tmp_path / f"policy{suffix}"
    if suffix == ".yaml":
        path.write_text("".join(f"'{k}': {v}\n" for k, v in rules.items()))
    else:
        path.write_text("keyword,action\n" + "".join(f'"{k}",{v}\n' for k, v in rules.items()))
    ds = _dataset(
        StudyDescription="Control Muñoz",
        KVP="120",
        BodyPartExamined="CHEST",
        StationName="RX3",
        InstitutionName="Hospital La Fe",
        AcquisitionDate="20210312",
    )
    Deidentifier(KEYED, policy=SitePolicy.load(path)).deidentify(ds)
    assert ds.StudyDescription == "Control Muñoz"
    assert "KVP" not in ds
    assert ds.BodyPartExamined == ""
    assert ds.StationName == "ANONYMIZED"
    assert ds.InstitutionName == KEYED.pseudonym("other", "Hospital La Fe")
    assert ds.AcquisitionDate == "20210312"


def test_without_policy_the_standard_applies(tmp_path: Path) -> None:
    ds = _dataset(StudyDescription="Control Muñoz", KVP="120", AcquisitionDate="20210312")
    Deidentifier(KEYED).deidentify(ds)
    assert ds.StudyDescription == "Control ***"
    assert ds.KVP == 120
    assert ds.AcquisitionDate != "20210312"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NoSuchKeyword: keep\n", "not a DICOM attribute keyword"),
        ("StudyDescription: shred\n", "unknown action 'shred'"),
        ("PixelSpacing: pseudonymise\n", "cannot pseudonymise a value of VR DS"),
        ("- a list\n", "expected a mapping"),
    ],
)
def test_bad_policy_files_say_which_value(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(RadbankError, match=message):
        SitePolicy.load(tmp_path / "p.yaml")


def test_fast_path_follows_the_decision() -> None:
    rules = RuleSet(policy=SitePolicy({0x00180060: "X"}, "p.yaml"))
    assert not rules.kept_as_is(0x00180060, "DS")  # KVP: the policy removes it
    assert RuleSet().kept_as_is(0x00180060, "DS")  # without: kept, never decoded
    assert not RuleSet().kept_as_is(0x00081030, "LO")  # Study Description: cleaned, so decoded


def test_conform_follows_the_attribute_type() -> None:
    assert [conform("X/Z", t, False) for t in (1, 2, 3)] == ["D", "Z", "X"]
    assert [conform("X", t, False) for t in (1, 2, 3)] == ["D", "Z", "X"]
    assert conform("Z", 3, True) == "X"  # an optional sequence is removed, never left with zero items
    assert conform("Z", 2, True) == "Z"
    types = load_iod_types()
    assert types.type_of(CT, (0x00081110,)) == 3  # Referenced Study Sequence: Type 3 in General Study
    assert types.type_of(CT, (0x00102297,)) == 2  # Responsible Person: 2C in the Patient Module


def test_iod_keeps_required_attributes_and_drops_empty_sequences() -> None:
    ref = Dataset()
    ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = (
        "1.2.840.10008.3.1.2.3.1",
        "1.2.826.0.1.3680043.10.999.20.9",
    )
    animal = _dataset(
        PatientSpeciesDescription="Felis catus",
        ResponsiblePerson="Doe^Jane",
        ResponsibleOrganization="Pet Clinic",
        ReferencedStudySequence=Sequence([ref]),
    )
    Deidentifier(KEYED).deidentify(animal)
    assert animal.ResponsiblePerson == ""  # X in PS3.15, Type 2C for an animal: emptied, not removed
    assert animal.ResponsibleOrganization == ""
    assert "ReferencedStudySequence" not in animal  # X/Z on a Type 3 sequence: removed, not left empty


def test_dry_run_names_the_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_dicom(tmp_path / "in" / "a.dcm", np.zeros((4, 4), np.uint16), BurnedInAnnotation="NO", Manufacturer="ACME")
    (tmp_path / "site.yaml").write_text("Manufacturer: remove\n")
    (tmp_path / "key").write_text("00" * 32)
    args = ["anonymize", "dicom", str(tmp_path / "in"), str(tmp_path / "out"), "--key", str(tmp_path / "key")]
    assert main([*args, "--policy", str(tmp_path / "site.yaml"), "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "removed (site policy site.yaml)" in plan
    assert main([*args, "--policy", str(tmp_path / "site.yaml"), "-q"]) == 0
    out = pydicom.dcmread(next((tmp_path / "out").rglob("*.dcm")))
    assert "Manufacturer" not in out
    with pytest.raises(RadbankError, match="other options or site policy"):
        from radbank.anonymize.batch import DeidJob, run_batch

        run_batch(DeidJob(str(tmp_path / "in"), str(tmp_path / "out"), str(tmp_path / "key"), workers=1))
