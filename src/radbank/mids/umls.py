"""The packaged table of chest radiograph findings, localizations and their UMLS concepts.

`resources/umls_findings.tsv` holds one row per concept, so a finding has one CUI whatever the label set
that names it: PadChest's term (BIMCV's label tree, with the CUIs BIMCV published), the NIH ChestX-ray14
label and the CheXpert label naming the same concept (the mapping table), BIMCV-COVID19+'s COVID labels,
and PadChest's localizations ("loc basal"). Lookup is forgiving about case, '_', '-' and spaces
("Pleural_Thickening", "No-Finding", "pleural thickening" are one concept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

CUI_PATTERN = re.compile(r"^C\d{7}$")
COLUMNS = ["label", "umls_cui", "umls_name", "scheme", "padchest", "nih", "chexpert", "parents", "synonyms"]
LOCALIZATION = "padchest-loc"


@dataclass(frozen=True)
class Concept:
    """One row of the table: a display label, its UMLS concept, and the names other label sets give it."""

    label: str
    cui: str
    name: str
    scheme: str  # nih, chexpert, padchest, bimcv-covid19 (findings) or padchest-loc (localizations)
    synonyms: tuple[str, ...]
    padchest: str = ""  # PadChest's term (as in its Labels / Localizations columns)
    nih: str = ""  # NIH ChestX-ray14's label, when it has this concept
    chexpert: str = ""  # CheXpert's label, when it has this concept
    parents: tuple[str, ...] = ()  # PadChest terms one level up in BIMCV's label tree

    def names(self) -> tuple[str, ...]:
        """Every name of the concept: label, the label sets' names, synonyms."""
        return tuple(n for n in (self.label, self.padchest, self.nih, self.chexpert, *self.synonyms) if n)


def normalize(label: str) -> str:
    """A label's lookup key: lower case, separators as single spaces."""
    return " ".join(re.sub(r"[_\-]+", " ", label).lower().split())


@cache
def _rows() -> tuple[Concept, ...]:
    text = resources.files("radbank.resources").joinpath("umls_findings.tsv").read_text("utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]
    header, body = rows[0], rows[1:]
    if header != COLUMNS:
        raise ValueError(f"umls_findings.tsv: unexpected header {header}")
    out = []
    for cells in body:
        cells += [""] * (len(COLUMNS) - len(cells))
        label, cui, name, scheme, padchest, nih, chexpert, parents, synonyms = cells[: len(COLUMNS)]
        out.append(Concept(label, cui, name, scheme, _split(synonyms), padchest, nih, chexpert, _split(parents)))
    return tuple(out)


def _split(cell: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in cell.split("|") if s.strip())


@cache
def concepts() -> tuple[Concept, ...]:
    """Findings with a UMLS concept (localizations and uncoded tree terms left out), in file order."""
    return tuple(c for c in _rows() if c.cui and c.scheme != LOCALIZATION)


@cache
def localizations() -> tuple[Concept, ...]:
    """PadChest's localizations with a UMLS concept ("loc basal" -> C1282378)."""
    return tuple(c for c in _rows() if c.cui and c.scheme == LOCALIZATION)


def _index(rows: tuple[Concept, ...]) -> dict[str, Concept]:
    index: dict[str, Concept] = {}
    for c in rows:  # labels and the label sets' names first, then synonyms
        for n in (c.label, c.padchest, c.nih, c.chexpert):
            if n:
                index.setdefault(normalize(n), c)
    for c in rows:
        for s in c.synonyms:
            index.setdefault(normalize(s), c)
    return index


@cache
def _finding_index() -> dict[str, Concept]:
    return _index(concepts())


@cache
def _localization_index() -> dict[str, Concept]:
    index = _index(localizations())
    index.update({k[4:]: v for k, v in list(index.items()) if k.startswith("loc ")})  # "basal" as well as "loc basal"
    return index


def lookup(label: str) -> Concept | None:
    """The finding concept of a label or synonym (any label set), or None when the table does not know it."""
    key = normalize(label)
    index = _finding_index()
    return index.get(key) or index.get(key.replace(" ", ""))


def lookup_localization(label: str) -> Concept | None:
    """The concept of a PadChest localization ("loc basal" or "basal"), or None."""
    return _localization_index().get(normalize(label))


@cache
def _parents() -> dict[str, tuple[str, ...]]:
    return {normalize(c.padchest or c.label): c.parents for c in _rows() if c.scheme != LOCALIZATION}


def ancestors(term: str) -> set[str]:
    """Every PadChest term above `term` in BIMCV's label tree (normalised; empty for unknown terms)."""
    parents = _parents()
    seen: set[str] = set()
    todo = [normalize(term)]
    while todo:
        for p in parents.get(todo.pop(), ()):
            key = normalize(p)
            if key not in seen:
                seen.add(key)
                todo.append(key)
    return seen


def known_terms() -> set[str]:
    """Every finding term of the table, coded or not (normalised), for telling typos from uncoded terms."""
    return {normalize(n) for c in _rows() if c.scheme != LOCALIZATION for n in c.names()}


def is_cui(value: str) -> bool:
    """True for a well-formed UMLS CUI (C followed by seven digits)."""
    return bool(CUI_PATTERN.match(value))
