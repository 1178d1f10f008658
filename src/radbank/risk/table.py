"""Reading the table to assess: TSV (BIDS/MIDS participants.tsv) or CSV, every value as text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from radbank.errors import RadbankError


def read_table(path: str | Path) -> pd.DataFrame:
    """A .tsv or .csv file as strings ("n/a" and empty cells kept as they are)."""
    p = Path(path)
    if not p.is_file():
        raise RadbankError(f"{p}: file not found")
    sep = "\t" if p.suffix.lower() in (".tsv", ".tab") else ","
    try:
        table = pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RadbankError(f"{p}: not a readable table ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    if table.empty:
        raise RadbankError(f"{p}: the table has no rows")
    return table
