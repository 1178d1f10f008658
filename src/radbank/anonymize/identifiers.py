"""Identifying values of DICOM datasets, and finding them again in any text.

Collected from every element of a dataset, nested sequences and private creators' blocks included:
- names: every PN element (whole name in both orders, and each part of 3+ letters, matched as whole words);
- IDs: patient, other, accession, study, admission, order and procedure IDs (4+ characters, as substrings;
  long digit runs also without separators);
- dates of birth, in the usual written forms (19700312, 1970-03-12, 12/03/1970, 03/12/1970, 12.03.1970 ...);
- addresses (whole, and parts of 5+ characters), telephone numbers (digits only too), institution names.
Matching is case-insensitive with one Aho-Corasick automaton, so thousands of values cost one pass per text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ahocorasick

ID_KEYWORDS = {
    "PatientID",
    "OtherPatientIDs",
    "AccessionNumber",
    "StudyID",
    "IssuerOfPatientID",
    "MedicalRecordLocator",
    "AdmissionID",
    "RequestedProcedureID",
    "ScheduledProcedureStepID",
    "PerformedProcedureStepID",
    "PlacerOrderNumberImagingServiceRequest",
    "FillerOrderNumberImagingServiceRequest",
    "PlacerOrderNumberProcedure",
    "FillerOrderNumberProcedure",
    "ClinicalTrialSubjectID",
    "ClinicalTrialSubjectReadingID",
    "PatientInsurancePlanCodeSequence",
    "ServiceEpisodeID",
    "VisitComments",
}
INSTITUTION_KEYWORDS = {
    "InstitutionName",
    "InstitutionalDepartmentName",
    "ResponsibleOrganization",
    "PatientInstitutionResidence",
}
DOB_KEYWORDS = {"PatientBirthDate"}
GENERIC = {
    "anonymous",
    "anonymized",
    "unknown",
    "none",
    "n/a",
    "na",
    "null",
    "test",
    "patient",
    "doctor",
    "dr",
    "md",
    "yes",
    "no",
    "other",
    "hospital",
    "radiology",
    "department",
}
MIN_NAME_PART = 3
MIN_ID = 4
MIN_UID = 10


_SPACES = re.compile(r"\s+")
_IDENTIFYING_CHAR = re.compile(r"[0-9a-zà-ÿ]")
_NAME_SEPARATORS = re.compile(r"[\^\s=,]+")


def normalise(text: str) -> str:
    """Lower case, DICOM name separators as spaces, runs of white space as one."""
    return _SPACES.sub(" ", text.replace("^", " ").replace("=", " ")).strip().lower()


@dataclass(frozen=True)
class Identifier:
    """One identifying string to look for, what kind it is, where it came from."""

    text: str  # normalised
    kind: str  # name, id, date_of_birth, address, phone, institution
    source: str  # attribute keyword (or tag) it was found in
    whole_word: bool = True


@dataclass(frozen=True)
class Match:
    """Where an identifier occurs in a text."""

    start: int
    end: int
    identifier: Identifier


def dob_forms(value: str) -> list[str]:
    """The written forms of a DICOM date (YYYYMMDD) that reports and file names use."""
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", value.strip())
    if not m:
        return []
    y, mo, d = m.groups()
    return [
        f"{y}{mo}{d}",
        f"{y}-{mo}-{d}",
        f"{y}/{mo}/{d}",
        f"{y}.{mo}.{d}",
        f"{d}/{mo}/{y}",
        f"{mo}/{d}/{y}",
        f"{d}-{mo}-{y}",
        f"{d}.{mo}.{y}",
        f"{d}{mo}{y}",
    ]


class IdentifierSet:
    """A growing set of identifiers with a (lazily rebuilt) matcher."""

    def __init__(self) -> None:
        self._items: dict[str, Identifier] = {}
        self._automaton: Any = None

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Identifier]:
        return iter(self._items.values())

    def add(self, text: str, kind: str, source: str, whole_word: bool = True) -> None:
        """Add one normalised value, unless it is too short or too generic to identify anyone."""
        norm = normalise(text)
        minimum = MIN_UID if kind == "uid" else MIN_ID if kind in ("id", "phone") else MIN_NAME_PART
        if len(norm) < minimum or norm in GENERIC or not _IDENTIFYING_CHAR.search(norm):
            return
        if norm not in self._items:
            self._items[norm] = Identifier(norm, kind, source, whole_word)
            self._automaton = None

    def add_value(self, value: Any, kind: str, source: str) -> None:
        """Add a DICOM value of a given kind, with the variants that kind needs."""
        values = value if is_multi(value) else [value]
        for item in values:
            text = str(item).strip()
            if not text:
                continue
            if kind == "name":
                parts = [p for p in _NAME_SEPARATORS.split(text) if p]
                self.add(" ".join(parts), "name", source)
                self.add(" ".join(reversed(parts)), "name", source)
                for part in parts:
                    if len(part) >= MIN_NAME_PART:
                        self.add(part, "name", source)
            elif kind == "date_of_birth":
                for form in dob_forms(text):
                    self.add(form, "date_of_birth", source)
            elif kind in ("id", "phone"):
                self.add(text, kind, source, whole_word=kind == "phone")
                digits = re.sub(r"\D", "", text)
                if len(digits) >= 6 and digits != text:
                    self.add(digits, kind, source, whole_word=False)
            elif kind == "address":
                self.add(text, kind, source, whole_word=False)
                for part in re.split(r"[\^,;\n]+", text):
                    if len(part.strip()) >= 5:
                        self.add(part, kind, source)
            else:
                self.add(text, kind, source)

    def add_dataset(self, ds: Any, uids: bool = False) -> None:
        """Collect the identifying values of a pydicom Dataset (recursively); with `uids`, also its
        instance UIDs (all but well-known DICOM UIDs), to catch UIDs that were not replaced.

        Elements are looked at raw first (tag and VR), so only those that can hold an identifier are decoded."""
        from pydicom.uid import UID_dictionary

        for raw in ds.elements():
            tag, vr = raw.tag, raw.VR
            if vr is None or vr == "UN":  # implicit VR or unknown: decode to learn it
                elem = ds[tag]
                tag, vr = elem.tag, elem.VR
            if vr == "SQ":
                for item in ds[tag].value or []:
                    self.add_dataset(item, uids)
                continue
            if vr == "UI":
                if uids:
                    value = ds[tag].value
                    for v in value if is_multi(value) else [value]:
                        if v and str(v) not in UID_dictionary and len(str(v)) >= MIN_UID:
                            self.add(str(v), "uid", _keyword(int(tag)), whole_word=True)
                continue
            kind = _kind_of_tag(int(tag), vr)
            if kind:
                value = ds[tag].value
                if value not in (None, "", b""):
                    self.add_value(value, kind, _keyword(int(tag)))

    def _matcher(self) -> Any:
        if self._automaton is None:
            automaton = ahocorasick.Automaton()
            for key, ident in self._items.items():
                automaton.add_word(key, ident)
            if len(self._items):
                automaton.make_automaton()
            self._automaton = automaton
        return self._automaton

    def find(self, text: str) -> list[Match]:
        """Occurrences of identifiers in `text` (normalised first), whole-word ones at word boundaries."""
        if not self._items or not text:
            return []
        norm = normalise(text)
        out = []
        for end, ident in self._matcher().iter(norm):
            start = end - len(ident.text) + 1
            if ident.whole_word and not _bounded(norm, start, end + 1):
                continue
            out.append(Match(start, end + 1, ident))
        return out


def is_multi(value: Any) -> bool:
    """True for a multi-valued DICOM value (pydicom MultiValue, list or tuple)."""
    return isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue"


def value_text(value: Any) -> str:
    """A DICOM value as text, values of a multi-valued one joined by backslashes as DICOM encodes them."""
    return "\\".join(str(v) for v in value) if is_multi(value) else str(value)


@lru_cache(maxsize=8192)
def _keyword(tag: int) -> str:
    from pydicom.datadict import keyword_for_tag

    group, element = tag >> 16, tag & 0xFFFF
    return keyword_for_tag(tag) or f"({group:04X},{element:04X})"


@lru_cache(maxsize=8192)
def _kind_of_tag(tag: int, vr: str) -> str | None:
    return kind_of(_keyword(tag), vr)


def kind_of(keyword: str, vr: str) -> str | None:
    """The kind of identifier an attribute holds, or None."""
    if vr == "PN":
        return "name"
    if keyword in DOB_KEYWORDS:
        return "date_of_birth"
    if keyword in ID_KEYWORDS:
        return "id"
    if keyword in INSTITUTION_KEYWORDS:
        return "institution"
    if keyword.endswith("Address") and vr in ("LO", "ST", "LT", "SH", "UT"):
        return "address"
    if "TelephoneNumber" in keyword or keyword.endswith("TelecomInformation"):
        return "phone"
    return None


def _bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or after.isalnum())
