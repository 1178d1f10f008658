"""The packaged table of chest radiograph findings and their UMLS concepts (resources/umls_findings.tsv).

NIH ChestX-ray14's 14 labels and "No Finding", and PadChest's label-tree terms with the CUIs BIMCV
published. Lookup is forgiving about case, '_', '-' and spaces ("Pleural_Thickening", "No-Finding").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

CUI_PATTERN = re.compile(r"^C\d{7}$")


@dataclass(frozen=True)
class Concept:
    """One row of the table: a label and its UMLS concept."""

    label: str
    cui: str
    name: str
    scheme: str
    synonyms: tuple[str, ...]


def normalize(label: str) -> str:
    """A label's lookup key: lower case, separators as single spaces."""
    return " ".join(re.sub(r"[_\-]+", " ", label).lower().split())


@cache
def concepts() -> tuple[Concept, ...]:
    """All rows of the packaged table, in file order."""
    text = resources.files("radbank.resources").joinpath("umls_findings.tsv").read_text("utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]
    header, body = rows[0], rows[1:]
    assert header == ["label", "umls_cui", "umls_name", "scheme", "synonyms"], header
    out = []
    for cells in body:
        cells += [""] * (5 - len(cells))
        syn = tuple(s.strip() for s in cells[4].split("|") if s.strip())
        out.append(Concept(cells[0], cells[1], cells[2], cells[3], syn))
    return tuple(out)


@cache
def _index() -> dict[str, Concept]:
    index: dict[str, Concept] = {}
    for scheme in ("nih", "padchest"):  # NIH labels and their synonyms win over PadChest terms
        for c in (c for c in concepts() if c.scheme == scheme):
            index.setdefault(normalize(c.label), c)
        for c in (c for c in concepts() if c.scheme == scheme):
            for s in c.synonyms:
                index.setdefault(normalize(s), c)
    index.setdefault("nofinding", index["no finding"])
    return index


def lookup(label: str) -> Concept | None:
    """The concept of a label or synonym, or None when the table does not know it."""
    key = normalize(label)
    return _index().get(key) or _index().get(key.replace(" ", ""))


def is_cui(value: str) -> bool:
    """True for a well-formed UMLS CUI (C followed by seven digits)."""
    return bool(CUI_PATTERN.match(value))
