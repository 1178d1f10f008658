"""The PS3.15 Basic Application Level Confidentiality Profile and its Options, from the packaged table.

`resources/ps3.15_table_e1-1.csv` is generated from the standard's Table E.1-1 (tools/). Resolution:
1. the attribute's Basic Profile action;
2. overridden by the action of every enabled Option that lists the attribute (the standard: "a requirement for
   an Option overrides the Profile"); where two Options disagree, cleaning (C) wins over keeping (K);
3. compound actions depend on the attribute's Type in the IOD: X/Z, X/D, Z/D and X/Z/D are returned as they
   are and resolved per file by iod.conform (X/Z: Z for a Type 2 attribute, else X...); X/Z/U* -> U* (keep the
   sequence, remap its UIDs). Dummy (D) and empty (Z) values carry no identity, so the conforming choice leaks
   nothing.
Attributes the table does not list are handled by their VR, as the standard's Note 4 to E.1.1 suggests:
names (PN) emptied, dates (DA, DT) shifted or removed, UIDs remapped unless they are well-known
(SOP classes, transfer syntaxes...), text kept only if it holds none of the file's identifiers.
"""

from __future__ import annotations

import csv
import re
from dataclasses import asdict, dataclass, fields
from functools import cache
from importlib import resources

OPTION_NAMES = (
    "retain_safe_private",
    "retain_uids",
    "retain_device_identity",
    "retain_institution_identity",
    "retain_patient_characteristics",
    "retain_long_full_dates",
    "retain_long_modified_dates",
    "clean_descriptors",
    "clean_structured_content",
    "clean_graphics",
)
COMPOUND = {"X/Z/U*": "U*"}  # the others stay compound: iod.conform resolves them per file
# CID 7050 "De-identification Method" codes (DCM scheme), per profile and option.
METHOD_CODES = {
    "basic": ("113100", "Basic Application Confidentiality Profile"),
    "clean_pixel_data": ("113101", "Clean Pixel Data Option"),
    "clean_graphics": ("113103", "Clean Graphics Option"),
    "clean_structured_content": ("113104", "Clean Structured Content Option"),
    "clean_descriptors": ("113105", "Clean Descriptors Option"),
    "retain_long_full_dates": ("113106", "Retain Longitudinal Temporal Information Full Dates Option"),
    "retain_long_modified_dates": ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
    "retain_patient_characteristics": ("113108", "Retain Patient Characteristics Option"),
    "retain_device_identity": ("113109", "Retain Device Identity Option"),
    "retain_uids": ("113110", "Retain UIDs Option"),
    "retain_safe_private": ("113111", "Retain Safe Private Option"),
    "retain_institution_identity": ("113112", "Retain Institution Identity Option"),
}


@dataclass(frozen=True)
class Options:
    """Which PS3.15 Options are applied in addition to the Basic Profile (defaults suit a research bank)."""

    retain_long_modified_dates: bool = True
    retain_long_full_dates: bool = False
    retain_patient_characteristics: bool = True
    retain_device_identity: bool = False
    retain_institution_identity: bool = False
    retain_uids: bool = False
    retain_safe_private: bool = False
    clean_descriptors: bool = True
    clean_structured_content: bool = False
    clean_graphics: bool = False

    def enabled(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name)]

    def to_dict(self) -> dict[str, bool]:
        return asdict(self)


@dataclass(frozen=True)
class Row:
    """One row of Table E.1-1."""

    tag: str  # 'gggg,eeee', lower case, 'x' for any hex digit
    name: str
    basic: str
    options: tuple[tuple[str, str], ...]  # (option, action) for the options that list this attribute


@dataclass(frozen=True)
class Table:
    """Table E.1-1 indexed by exact tag, with the few repeating-group patterns apart."""

    exact: dict[int, Row]
    patterns: tuple[tuple[re.Pattern[str], Row], ...]

    def lookup(self, tag: int) -> Row | None:
        row = self.exact.get(tag)
        if row is not None:
            return row
        text = f"{tag >> 16:04x},{tag & 0xFFFF:04x}"
        for pattern, prow in self.patterns:
            if pattern.fullmatch(text):
                return prow
        return None


@cache
def load_table() -> Table:
    """The packaged Table E.1-1."""
    text = resources.files("radbank.resources").joinpath("ps3.15_table_e1-1.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    exact: dict[int, Row] = {}
    patterns = []
    for rec in csv.DictReader(lines):
        row = Row(rec["tag"], rec["name"], rec["basic"], tuple((o, rec[o]) for o in OPTION_NAMES if rec.get(o)))
        if "x" in row.tag:
            patterns.append((re.compile(row.tag.replace("x", "[0-9a-f]")), row))
        else:
            group, element = row.tag.split(",")
            exact[int(group, 16) << 16 | int(element, 16)] = row
    return Table(exact, tuple(patterns))


def resolve(row: Row, options: Options) -> str:
    """The action for a table row under `options`: D, Z, X, K, C, U, U* or X/Z, X/D, Z/D, X/Z/D (see above)."""
    action = row.basic
    overrides = [a for o, a in row.options if getattr(options, o)]
    if overrides:
        action = "C" if "C" in overrides else overrides[0]
    return COMPOUND.get(action, action)
