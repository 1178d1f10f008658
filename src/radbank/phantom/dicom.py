"""Synthetic DICOM exports full of (fake) identifying information, to exercise de-identification.

Each patient (a Faker es_ES or en_US identity) has studies of CR/DX radiographs drawn by the phantom, and
optionally ultrasound-like secondary captures with the name burned into the pixels. Identifiers are planted
wherever real exports put them: names in descriptions and comments, Other Patient IDs Sequence, sequences
nested two levels deep, private blocks (text and binary), UIDs under an organisation root that embeds the
patient ID, dates and times, file and folder names. `planted.json` lists every planted identifier so that
tests and benchmarks can check none survives.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

from radbank.fsutil import atomic_path, write_json
from radbank.phantom.cases import plan_cases
from radbank.phantom.render import render

ORG_ROOT = "1.2.826.0.1.3680043.10.999"
CR, DX, SC = "1.2.840.10008.5.1.4.1.1.1", "1.2.840.10008.5.1.4.1.1.1.1", "1.2.840.10008.5.1.4.1.1.7"
INSTITUTION = "Hospital Universitari i Politecnic La Fe"
INSTITUTION_ADDRESS = "Avinguda Fernando Abril Martorell 106, 46026 Valencia"


@dataclass(frozen=True)
class Person:
    """A fake patient and the people around the study."""

    family: str
    given: str
    patient_id: str
    other_id: str
    birth_date: str  # YYYYMMDD
    sex: str
    address: str
    phone: str
    mother: str
    referring: str
    operator: str
    reader: str


def make_people(n: int, seed: int = 0) -> list[Person]:
    """n fake identities, alternately Spanish and English, reproducible for a seed."""
    from faker import Faker

    people = []
    for i in range(n):
        fake = Faker("es_ES" if i % 2 == 0 else "en_US")
        fake.seed_instance(seed * 1_000 + i)
        sex = "F" if i % 3 else "M"
        given = fake.first_name_female() if sex == "F" else fake.first_name_male()
        birth = fake.date_of_birth(minimum_age=18, maximum_age=88)

        def name(fake: Faker = fake) -> str:
            return f"{fake.last_name()}^{fake.first_name()}"

        people.append(
            Person(
                fake.last_name(),
                given,
                f"HC{fake.random_number(digits=7, fix_len=True)}",
                f"SIP{fake.random_number(digits=8, fix_len=True)}",
                birth.strftime("%Y%m%d"),
                sex,
                fake.street_address(),
                fake.phone_number()[:16],
                name(),
                name(),
                name(),
                name(),
            )
        )
    return people


def _uid(*parts: object) -> str:
    return ".".join([ORG_ROOT, *(str(p) for p in parts)])[:64]


def phi_dataset(
    person: Person,
    pixels: NDArray[Any],
    study: int,
    image: int,
    modality: str,
    when: dt.datetime,
    burned_in: bool = False,
) -> Dataset:
    """One file's dataset with identifiers planted throughout (see the module docstring)."""
    digits = "".join(ch for ch in person.patient_id if ch.isdigit())
    sop_class = SC if modality == "US" else CR if modality == "CR" else DX
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = sop_class
    ds.StudyInstanceUID = _uid(digits, when.strftime("%Y%m%d"), study)
    ds.SeriesInstanceUID = _uid(digits, when.strftime("%Y%m%d"), study, 1)
    ds.SOPInstanceUID = _uid(digits, when.strftime("%Y%m%d%H%M%S"), study, 1, image)
    ds.FrameOfReferenceUID = _uid(digits, 4, study)
    ds.Modality = modality
    ds.ImageType = ["DERIVED", "SECONDARY"] if modality == "US" else ["ORIGINAL", "PRIMARY"]
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = when.strftime("%Y%m%d")
    ds.StudyTime = ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = when.strftime("%H%M%S")
    ds.AcquisitionDateTime = when.strftime("%Y%m%d%H%M%S")
    ds.InstanceCreationDate = when.strftime("%Y%m%d")
    ds.AccessionNumber = f"A{digits[-5:]}{study:02d}"
    ds.StudyID = f"S{digits[-4:]}{study}"
    _site_and_staff(ds, person, digits)
    _patient(ds, person, when)
    ds.RequestAttributesSequence = _request(person, digits, study, ds.AccessionNumber)
    _private_blocks(ds, person)
    _pixels(ds, pixels, modality, person, burned_in)
    return ds


def _site_and_staff(ds: Dataset, person: Person, digits: str) -> None:
    """Institution, device and the people who referred, performed and read: each an identifier."""
    ds.InstitutionName = INSTITUTION
    ds.InstitutionAddress = INSTITUTION_ADDRESS
    ds.InstitutionalDepartmentName = "Radiodiagnostico"
    ds.StationName = "RX-SALA3"
    ds.Manufacturer = "PHANTOM"
    ds.DeviceSerialNumber = f"SN{digits[:4]}"
    ds.ReferringPhysicianName = person.referring
    ds.PerformingPhysicianName = person.reader
    ds.OperatorsName = person.operator
    ds.NameOfPhysiciansReadingStudy = person.reader
    ds.RequestingPhysician = person.referring
    ds.StudyDescription = f"RX TORAX PA {person.family}"
    ds.SeriesDescription = f"PA {person.given} {person.family}"


def _patient(ds: Dataset, person: Person, when: dt.datetime) -> None:
    """The Patient module, other IDs and free-text comments that repeat the name, ID and birth date."""
    ds.ImageComments = f"Control {person.given} {person.family}, NHC {person.patient_id}, FN {person.birth_date}"
    ds.PatientName = f"{person.family}^{person.given}"
    ds.PatientID = person.patient_id
    ds.IssuerOfPatientID = "HOSP LA FE"
    ds.PatientBirthDate = person.birth_date
    ds.PatientSex = person.sex
    ds.PatientAge = f"{min(when.year - int(person.birth_date[:4]), 999):03d}Y"
    ds.PatientWeight = "71.5"
    ds.PatientSize = "1.68"
    ds.PatientAddress = person.address
    ds.PatientTelephoneNumbers = person.phone
    ds.PatientMotherBirthName = person.mother
    ds.OtherPatientIDs = person.other_id
    other = Dataset()
    other.PatientID = person.other_id
    other.IssuerOfPatientID = "SIP"
    other.TypeOfPatientID = "TEXT"
    ds.OtherPatientIDsSequence = Sequence([other])
    ds.PatientComments = f"Paciente {person.given} {person.family} remitido por Dr. {person.referring.split('^')[0]}"
    ds.AdditionalPatientHistory = f"Seen on {when:%d/%m/%Y} by {person.reader.replace('^', ' ')}"


def _request(person: Person, digits: str, study: int, accession: str) -> Sequence:
    """Request Attributes > Referenced Study > an item with a name and a private block: two levels deep."""
    level2 = Dataset()
    level2.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    level2.ReferencedSOPInstanceUID = _uid(digits, 9, study)
    level2.PersonName = f"{person.family}^{person.given}"
    level2.add_new(0x00330010, "LO", "PHANTOM RIS 02")
    level2.add_new(0x00331001, "LO", f"{person.family}, {person.given}")
    level1 = Dataset()
    level1.RequestedProcedureID = f"RP{digits}"
    level1.ScheduledProcedureStepID = f"SPS{digits}"
    level1.AccessionNumber = accession
    level1.RequestedProcedureDescription = f"Torax para {person.family}"
    level1.ReferencedStudySequence = Sequence([level2])
    return Sequence([level1])


def _private_blocks(ds: Dataset, person: Person) -> None:
    """An unsafe RIS block, and one element PS3.15 lists as safe."""
    ds.add_new(0x00110010, "LO", "HOSPITAL RIS 01")
    ds.add_new(0x00111010, "LO", f"{person.family}^{person.given}")
    ds.add_new(0x00111011, "LO", person.patient_id)
    ds.add_new(0x00111012, "DA", person.birth_date)
    ds.add_new(0x00111013, "OB", f"<pt name='{person.given} {person.family}' id='{person.patient_id}'/>".encode())
    ds.add_new(0x00190010, "LO", "GEMS_ACQU_01")
    ds.add_new(0x00191023, "DS", "12.5")  # Table Speed: safe per PS3.15 Table E.3.10-1


def _pixels(ds: Dataset, pixels: NDArray[Any], modality: str, person: Person, burned_in: bool) -> None:
    if modality == "US":
        img = Image.fromarray(pixels)
        if burned_in:
            draw = ImageDraw.Draw(img)
            draw.rectangle([0, 0, img.width, 22], fill=0)
            draw.text((4, 4), f"{person.family} {person.given} {person.patient_id}", fill=255)
        arr: NDArray[Any] = np.asarray(img, dtype=np.uint8)
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
        ds.BurnedInAnnotation = "YES" if burned_in else "NO"
    else:
        arr = pixels.astype(np.uint16) * 16  # 12-bit CR/DX
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
        ds.BurnedInAnnotation = "NO"
        ds.WindowCenter, ds.WindowWidth = 2048, 4096
        ds.BodyPartExamined = "CHEST"
        ds.ViewPosition = "PA"
        ds.KVP, ds.ExposureTime, ds.XRayTubeCurrent, ds.Exposure = "125", "8", "320", "3"
        ds.ImagerPixelSpacing = [0.143 * 1024 / pixels.shape[1]] * 2
    ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelRepresentation = 0
    ds.PixelData = arr.tobytes()


def write_phi_set(
    out: str | Path, patients: int = 4, studies: int = 2, images: int = 1, seed: int = 0, burned_in_share: float = 0.0
) -> list[Path]:
    """Write a PHI-laden export: `<Family>^<Given>/<Family>_<PatientID>_<k>.dcm`; return the paths.

    A share of studies (`burned_in_share`) are US secondary captures with the name burned into the pixels.
    """
    root = Path(out)
    people = make_people(patients, seed)
    cases = plan_cases(max(patients * studies * images, 1), seed=seed)
    rng = np.random.default_rng(seed)
    paths, k = [], 0
    for p, person in enumerate(people):
        for s in range(studies):
            when = dt.datetime(2019 + (p + s) % 5, 1 + (p * 3 + s) % 12, 1 + (p + 7 * s) % 28, 8 + s, 15 + p % 40, 0)
            us = rng.random() < burned_in_share
            for i in range(images):
                modality = "US" if us else ("CR" if (p + s) % 2 else "DX")
                ds = phi_dataset(person, render(cases[k % len(cases)], seed), s, i, modality, when, burned_in=us)
                meta = FileMetaDataset()
                meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
                meta.TransferSyntaxUID = ExplicitVRLittleEndian
                meta.SourceApplicationEntityTitle = "LAFE_PACS"
                ds.file_meta = meta
                path = root / f"{person.family}^{person.given}" / f"{person.family}_{person.patient_id}_{k}.dcm"
                path.parent.mkdir(parents=True, exist_ok=True)
                with atomic_path(path) as tmp:
                    ds.save_as(tmp, enforce_file_format=True)
                paths.append(path)
                k += 1
    write_json(
        root / "planted.json",
        {"people": [asdict(p) for p in people], "institution": INSTITUTION, "institution_address": INSTITUTION_ADDRESS},
    )
    return paths


def planted_identifiers(root: str | Path) -> list[str]:
    """Every planted identifying string of a set written by `write_phi_set` (names, parts, IDs, dates...)."""
    data = json.loads((Path(root) / "planted.json").read_text(encoding="utf-8"))
    out = [data["institution"], data["institution_address"]]
    for p in data["people"]:
        out += [
            p["family"],
            p["given"],
            p["patient_id"],
            p["other_id"],
            p["birth_date"],
            p["address"],
            p["phone"],
            *p["mother"].split("^"),
            *p["referring"].split("^"),
            *p["operator"].split("^"),
            *p["reader"].split("^"),
        ]
    return [s for s in out if len(s) >= 3]
