"""Reading a user's table (metadata, reports, the table to assess for risk): CSV, TSV or JSONL, as text."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from radbank.errors import RadbankError


def read_table(path: str | Path) -> pd.DataFrame:
    """A .csv, .tsv or .jsonl file as strings ("n/a" and empty cells kept as they are)."""
    p = Path(path)
    if not p.is_file():
        raise RadbankError(f"{p}: file not found")
    sep = "\t" if p.suffix.lower() in (".tsv", ".tab") else ","
    try:
        if p.suffix.lower() in (".jsonl", ".ndjson"):
            lines = p.read_text("utf-8").splitlines()
            table = pd.DataFrame([json.loads(line) for line in lines if line.strip()]).astype(str)
        else:
            table = pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RadbankError(f"{p}: not a readable table ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    if table.empty:
        raise RadbankError(f"{p}: the table has no rows")
    return table
