"""The Retain Safe Private Option: which private elements PS3.15 Table E.3.10-1 lists as safe.

A private element (gggg,xxee) is identified by its group, its block's Private Creator (gggg,00xx) and its
element byte ee. It is retained only if that triple is listed AND it is not bulk binary or a nested
structure (OB/OW/SQ, or UN whose listed VR is not numeric): the standard's own Note 2 warns that bulk binary
private data "may often contain entire proprietary format headers ... that includes the patient's name".
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources
from typing import Any

NUMERIC_VRS = {"DS", "IS", "FL", "FD", "SL", "SS", "UL", "US", "SV", "UV"}
NEVER = {"OB", "OW", "OF", "OD", "OL", "OV", "SQ"}


@cache
def safe_private_table() -> dict[tuple[int, str, int], str]:
    """(group, creator lower-cased, element byte) -> listed VR."""
    text = resources.files("radbank.resources").joinpath("ps3.15_table_e3.10-1.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {(int(r["group"], 16), r["creator"].strip().lower(), int(r["element"], 16)): r["vr"].strip() for r in rows}


FIRST_PRIVATE_BLOCK = 0x10  # private creators sit at (gggg,0010)-(gggg,00FF)
FIRST_PRIVATE_ELEMENT = 0x1000  # the elements of block xx are (gggg,xx00)-(gggg,xxFF)


def creator_of(ds: Any, tag: int) -> str | None:
    """The Private Creator of a private data element's block, or None."""
    group, element = tag >> 16, tag & 0xFFFF
    block = element >> 8
    if block < FIRST_PRIVATE_BLOCK:
        return None
    creator = ds.get((group << 16) | block)
    return str(creator.value).strip() if creator is not None and creator.value is not None else None


def is_safe_private(ds: Any, elem: Any) -> bool:
    """True when `elem` (in `ds`) may be kept under the Retain Safe Private Option."""
    tag = int(elem.tag)
    group, element = tag >> 16, tag & 0xFFFF
    if element < FIRST_PRIVATE_ELEMENT:  # creators and group lengths are judged with their block
        return False
    creator = creator_of(ds, tag)
    if creator is None:
        return False
    listed = safe_private_table().get((group, creator.lower(), element & 0xFF))
    if listed is None or elem.VR in NEVER:
        return False
    if elem.VR == "UN":  # implicit VR: bytes of unknown type; keep only what must be numbers
        if listed not in NUMERIC_VRS:
            return False
        if listed in {"DS", "IS"}:  # decimal strings: digits, signs, points, exponents, backslashes
            return re.fullmatch(rb"[\d\s.+\-eE\\]*", bytes(elem.value or b"")) is not None
    return True
