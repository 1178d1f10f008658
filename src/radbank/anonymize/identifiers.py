"""Identifying values of DICOM datasets, and finding them again in any text.

Collected from every element of a dataset, nested sequences and private creators' blocks included:
- names: every PN element (whole name in both orders, and each part of 3+ letters);
- IDs: patient, other, accession, study, admission, order and procedure IDs (4+ characters; long digit runs
  also without separators);
- dates of birth, in the usual written forms (19700312, 1970-03-12, 12/03/1970, 03/12/1970, 12.03.1970 ...);
- addresses (whole, and parts of 5+ characters), telephone numbers (digits only too), institution names.
Texts and values are normalised alike (accents stripped, case folded, every run of characters that are not
letters or digits one space: "MUÑOZ^José" and "Munoz  jose" are both "munoz jose") and matched as whole
tokens, with one Aho-Corasick automaton, so thousands of values cost one pass per text.

Each identifier is *strong* (a whole name of two or more words, an ID of 6+ characters with a digit, a
telephone number, an address, a UID) or *weak* (a single name part, a short ID, a date of birth, an
institution: common words, numbers and names that only identify within the patient's own files). Coded
values (CS) and raw bytes are searched for strong identifiers only. radbank's own placeholders are never
identifiers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
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
GENERIC = {  # too common to identify anyone, or one of radbank's placeholders (dummy values, masks)
    "anonymous",
    "anonymized",
    "anon",
    "19000101",
    "19000101000000",
    "000000",
    "000y",
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


_ASCII_SEPARATORS = re.compile(r"[^0-9a-z]+")
_NAME_SEPARATORS = re.compile(r"[\^\s=,]+")
MIN_STRONG_ID = 6
MIN_ADDRESS_PART = 5


_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_SEPARATORS = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Accents stripped, case folded, each run of non-alphanumeric characters one space, trimmed."""
    if text.isascii():
        return _ASCII_SEPARATORS.sub(" ", text.lower()).strip()
    folded = _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()
    return _SEPARATORS.sub(" ", folded).strip()


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """`normalise(text)` (character by character) and, for each of its characters, the index of the original
    character it comes from (for masking what was found in the original)."""
    out: list[str] = []
    index: list[int] = []
    space = True  # no leading space
    for i, ch in enumerate(text):
        folded = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).casefold()
        if folded and all(c.isalnum() for c in folded):
            out.append(folded)
            index += [i] * len(folded)
            space = False
        elif not space:
            out.append(" ")
            index.append(i)
            space = True
    if space and out:
        out.pop()
        index.pop()
    return "".join(out), index


@dataclass(frozen=True)
class Identifier:
    """One identifying string to look for, what kind it is, where it came from."""

    text: str  # normalised
    kind: str  # name, id, date_of_birth, address, phone, institution, uid
    source: str  # attribute keyword (or tag) it was found in
    strong: bool = True  # identifying anywhere; weak: only within the patient's own files (see above)


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

    def __getstate__(self) -> dict[str, Any]:  # sent between processes without the matcher (rebuilt on use)
        return {"_items": self._items, "_automaton": None}

    def __iter__(self) -> Iterator[Identifier]:
        return iter(self._items.values())

    def add(self, text: str, kind: str, source: str, strong: bool | None = None) -> None:
        """Add one value, unless it is too short or too generic to identify anyone. `strong`: see above
        (by default decided from the kind and the value)."""
        norm = normalise(text)
        minimum = MIN_UID if kind == "uid" else MIN_ID if kind in ("id", "phone") else MIN_NAME_PART
        if len(norm.replace(" ", "")) < minimum or norm in GENERIC:
            return
        if strong is None:
            strong = _strong(norm, kind)
        known = self._items.get(norm)
        if known is None or (strong and not known.strong):
            self._items[norm] = Identifier(norm, kind, source, strong)
            self._automaton = None

    def add_identifier(self, ident: Identifier) -> None:
        """Add an identifier collected elsewhere (already normalised)."""
        known = self._items.get(ident.text)
        if known is None or (ident.strong and not known.strong):
            self._items[ident.text] = ident
            self._automaton = None

    def strong_only(self) -> IdentifierSet:
        """A set of this one's strong identifiers."""
        out = IdentifierSet()
        for ident in self:
            if ident.strong:
                out.add_identifier(ident)
        return out

    def add_value(self, value: Any, kind: str, source: str) -> None:
        """Add a DICOM value of a given kind, with the variants that kind needs."""
        values = value if is_multi(value) else [value]
        for item in values:
            text = str(item).strip()
            if text:
                for form, strong in _variants(text, kind):
                    self.add(form, kind, source, strong)

    def add_dataset(self, ds: Any, uids: bool = False) -> None:
        """Collect the identifying values of a pydicom Dataset (recursively); with `uids`, also its
        instance UIDs (all but well-known DICOM UIDs), to catch UIDs that were not replaced.

        Elements are looked at raw first (tag and VR), so only those that can hold an identifier are decoded."""
        from pydicom._uid_dict import UID_dictionary  # the well-known DICOM UIDs (pydicom.uid re-exports it)

        self._collect(ds, uids, UID_dictionary)
        vendor = normalise(value_text(ds.get("Manufacturer", "") or ""))
        if vendor in self._items and self._items[vendor].kind == "institution":
            del self._items[vendor]  # an institution field holding the vendor's name (device data PS3.15 keeps)
            self._automaton = None

    def _collect(self, ds: Any, uids: bool, well_known: Any) -> None:
        for raw in ds.elements():
            tag, vr = raw.tag, raw.VR
            if vr is None or vr == "UN":  # implicit VR or unknown: decode to learn it
                elem = ds[tag]
                tag, vr = elem.tag, elem.VR
            if vr == "SQ":
                for item in ds[tag].value or []:
                    self._collect(item, uids, well_known)
                continue
            if vr == "UI":
                if uids:
                    value = ds[tag].value
                    for v in value if is_multi(value) else [value]:
                        if v and str(v) not in well_known and len(str(v)) >= MIN_UID:
                            self.add(str(v), "uid", _keyword(int(tag)))
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

    def find(self, text: str, strong_only: bool = False) -> list[Match]:
        """Whole-token occurrences of identifiers in `text`, positions in `normalise(text)`."""
        if not self._items or not text:
            return []
        return self.find_normalised(normalise(text), strong_only)

    def find_normalised(self, norm: str, strong_only: bool = False) -> list[Match]:
        """`find` on a text normalised already."""
        if not self._items or not norm:
            return []
        out = []
        for end, ident in self._matcher().iter(norm):
            start = end - len(ident.text) + 1
            if (strong_only and not ident.strong) or not _bounded(norm, start, end + 1):
                continue
            out.append(Match(start, end + 1, ident))
        return out


def _variants(text: str, kind: str) -> list[tuple[str, bool | None]]:
    """The forms a value of a kind is written in (strong: None lets `add` decide)."""
    if kind == "name":
        parts = [p for p in _NAME_SEPARATORS.split(text) if p]
        return [(" ".join(parts), None), (" ".join(reversed(parts)), None), *((p, False) for p in parts)]
    if kind == "date_of_birth":
        return [(form, None) for form in dob_forms(text)]
    if kind in ("id", "phone"):
        compact = re.sub(r"[\W_]", "", text)  # HC-123456 is also written HC123456
        digits = re.sub(r"\D", "", text)
        return [(text, None), (compact, None), *([(digits, None)] if len(digits) >= MIN_STRONG_ID else [])]
    if kind == "address":
        parts = [p for p in re.split(r"[\^,;\n]+", text) if len(p.strip()) >= MIN_ADDRESS_PART]
        return [(text, None), *((p, None) for p in parts)]
    return [(text, None)]


def _strong(norm: str, kind: str) -> bool:
    if kind == "name":
        return " " in norm
    if kind == "id":
        return len(norm.replace(" ", "")) >= MIN_STRONG_ID and any(c.isdigit() for c in norm)
    return kind not in ("date_of_birth", "institution")  # a site is shared by its patients: checked per patient


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
    by_keyword = [
        (keyword in DOB_KEYWORDS, "date_of_birth"),
        (keyword in ID_KEYWORDS, "id"),
        (keyword in INSTITUTION_KEYWORDS, "institution"),
        (keyword.endswith("Address") and vr in ("LO", "ST", "LT", "SH", "UT"), "address"),
        ("TelephoneNumber" in keyword or keyword.endswith("TelecomInformation"), "phone"),
    ]
    return next((kind for matches, kind in by_keyword if matches), None)


def _bounded(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is whole tokens of a normalised text (spaces or the ends around it)."""
    return (start == 0 or text[start - 1] == " ") and (end == len(text) or text[end] == " ")


@dataclass
class InputIdentifiers:
    """Identifiers of a set of inputs, per patient, and which input file is whose."""

    patients: dict[str, IdentifierSet] = field(default_factory=dict)
    patient_of: dict[str, str] = field(default_factory=dict)  # input (printable, relative to IN) -> patient
    read: int = 0
    unreadable: int = 0

    def add(self, source: str, patient: str, identifiers: IdentifierSet) -> None:
        """One input file's identifiers, under its patient."""
        mine = self.patients.setdefault(patient, IdentifierSet())
        for ident in identifiers:
            mine.add_identifier(ident)
        self.patient_of[source] = patient
        self.read += 1

    def merged(self, strong_only: bool = False) -> IdentifierSet:
        """Every (strong) identifier of every patient."""
        out = IdentifierSet()
        for ids in self.patients.values():
            for ident in ids:
                if ident.strong or not strong_only:
                    out.add_identifier(ident)
        return out
