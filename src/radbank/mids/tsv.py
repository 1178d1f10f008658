"""BIDS tabular files: tab-separated, a header row, "n/a" for missing values, UTF-8."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from radbank.errors import RadbankError
from radbank.fsutil import write_text_if_changed

NA = "n/a"


def cell(value: object) -> str:
    """A value as a TSV cell: n/a for None/NaN/empty; integers without '.0'; tabs and newlines removed."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        return NA
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def write_tsv(path: str | Path, columns: Sequence[str], rows: Sequence[Mapping[str, object]]) -> None:
    """Write rows (dicts) as a BIDS TSV, atomically."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
    w.writerow(columns)
    for r in rows:
        w.writerow([cell(r.get(c)) for c in columns])
    write_text_if_changed(path, buf.getvalue())


def read_tsv(path: str | Path) -> pd.DataFrame:
    """Read a BIDS TSV as strings ("n/a" kept as text); a clear error when it cannot be parsed."""
    try:
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RadbankError(f"{path}: not a readable TSV ({str(exc).splitlines()[0] if str(exc) else exc})") from None
