"""Reading a user's table (metadata, reports, the table to assess for risk): CSV, TSV or JSONL, as text.

Problems are one line naming the file and, where it can be told, the line: a file that is not UTF-8, and an
unterminated quote. A quote left open makes a CSV parser read the following rows into one field until the
next quote character; pandas then goes on without a word. Quoted fields may legitimately hold line breaks
(PadChest's `labelCUIS`), so when the file has more lines than rows, the file is read again with Python's csv
module in strict mode, which stops where a closing quote is not followed by a separator or a line end:
the row that opened the quote is named.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd

from radbank.errors import RadbankError

ENCODING = "utf-8-sig"  # UTF-8, with or without a byte-order mark


def _separator(p: Path) -> str:
    return "\t" if p.suffix.lower() in (".tsv", ".tab") else ","


def _not_utf8(p: Path, exc: UnicodeDecodeError) -> RadbankError:
    data = p.read_bytes()
    try:
        data.decode("utf-8")
        where = ""
    except UnicodeDecodeError as full:
        line = data.count(b"\n", 0, full.start) + 1
        where = f" (byte 0x{data[full.start]:02x} on line {line})"
    return RadbankError(f"{p}: not UTF-8 text{where}; save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)")


def _check_quotes(p: Path, sep: str) -> None:
    """Raise when a quoted field is not closed properly (see the module docstring)."""
    limit = csv.field_size_limit(1 << 30)  # a long report is not a quoting error (pandas has no limit either)
    try:
        with p.open(encoding=ENCODING, newline="") as f:
            reader = csv.reader(f, delimiter=sep, strict=True)
            start = 1
            try:
                for _ in reader:
                    start = reader.line_num + 1
            except csv.Error as exc:
                raise RadbankError(
                    f"{p}: line {start}: a quoted field opened on this row is not closed properly (it runs to "
                    f"line {reader.line_num}: {exc}); check the quotes"
                ) from None
    finally:
        csv.field_size_limit(limit)


def _line_count(p: Path) -> int:
    with p.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def read_table(path: str | Path) -> pd.DataFrame:
    """A .csv, .tsv or .jsonl file as strings ("n/a" and empty cells kept as they are)."""
    p = Path(path)
    if p.is_dir():
        raise RadbankError(f"{p}: is a folder, not a table")
    if not p.is_file():
        raise RadbankError(f"{p}: file not found")
    sep = _separator(p)
    try:
        if p.suffix.lower() in (".jsonl", ".ndjson"):
            lines = p.read_text(ENCODING).splitlines()
            table = pd.DataFrame([json.loads(line) for line in lines if line.strip()]).astype(str)
        else:
            table = pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False, encoding=ENCODING)
            if _line_count(p) > len(table) + 1:  # some field holds a line break (or blank lines)
                _check_quotes(p, sep)
    except UnicodeDecodeError as exc:
        raise _not_utf8(p, exc) from None
    except pd.errors.ParserError as exc:
        if re.search(r"EOF inside string", str(exc)):
            _check_quotes(p, sep)
        raise RadbankError(f"{p}: not a readable table ({str(exc).splitlines()[0]})") from None
    except (OSError, json.JSONDecodeError, pd.errors.EmptyDataError) as exc:
        raise RadbankError(f"{p}: not a readable table ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    if table.empty:
        raise RadbankError(f"{p}: the table has no rows")
    return table


def header(path: str | Path) -> list[str]:
    """The column names of a CSV/TSV exactly as written (pandas renames an empty name to 'Unnamed: 0')."""
    p = Path(path)
    with p.open(encoding=ENCODING, newline="") as f:
        return next(csv.reader(f, delimiter=_separator(p)), [])
