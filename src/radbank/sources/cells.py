"""Cells of BIMCV's tables that hold lists: PadChest's `['a', 'b']`, NumPy's `['C0034069' 'C0742362']`, tabs.

PadChest writes its Labels and Localizations columns as Python list literals and its CUI columns as NumPy
array printouts (items separated by spaces, no commas); BIMCV-COVID19+'s labels table separates items by
tabs inside the brackets. One reader handles all of them without `eval`.
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")
_CUI = re.compile(r"C\d{7}")
_EMPTY = {"", "nan", "none", "[]", "n/a"}


def parse_list(cell: object) -> list[str]:
    """The items of a list cell, stripped, empty items dropped, order kept."""
    text = str(cell if cell is not None else "").strip()
    if text.lower() in _EMPTY:
        return []
    quoted = [a or b for a, b in _QUOTED.findall(text)]
    # no quotes: a bare list ("[a, b]", "a|b", tabs)
    items = quoted if quoted or "'" in text or '"' in text else re.split(r"[,|\t]", text.strip("[]"))
    return [i.strip() for i in items if i.strip() and i.strip().lower() not in _EMPTY]


def parse_cuis(cell: object) -> list[str]:
    """The UMLS CUIs in a cell, in order."""
    return _CUI.findall(str(cell if cell is not None else ""))


def format_list(items: list[str]) -> str:
    """Items as PadChest writes a Labels cell: a Python list literal (single quotes, comma-separated)."""
    return "[" + ", ".join("'" + i.replace("\\", "\\\\").replace("'", "\\'") + "'" for i in items) + "]"
