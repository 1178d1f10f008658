"""Report texts for an export, from a CSV/TSV/JSONL table keyed by study, accession, SOP/Study UID or image.

Privacy first: unless the caller says they are de-identified already, every report goes through the
report de-identifier in redact mode (names, dates, IDs... become [NAME], [DATE], ...).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from radbank.errors import RadbankError
from radbank.sources.records import Records

KEYS = ("study", "StudyInstanceUID", "AccessionNumber", "path", "Image Index")
TEXT_COLUMNS = ("report", "text", "Report")


def read_report_table(path: str | Path) -> pd.DataFrame:
    """The table of reports (.csv, .tsv or .jsonl), all values as text."""
    p = Path(path)
    try:
        if p.suffix.lower() in (".jsonl", ".ndjson"):
            return pd.DataFrame(
                [json.loads(line) for line in p.read_text("utf-8").splitlines() if line.strip()]
            ).astype(str)
        sep = "\t" if p.suffix.lower() == ".tsv" else ","
        return pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RadbankError(
            f"{p}: not a readable report table ({str(exc).splitlines()[0] if str(exc) else exc})"
        ) from None


def reports_by_study(records: Records, table: pd.DataFrame, origin: str, deidentified: bool = False) -> dict[str, str]:
    """Map each record's `study` value to its report text (redacted unless `deidentified`)."""
    key = next((k for k in KEYS if k in table.columns), None)
    text_col = next((c for c in TEXT_COLUMNS if c in table.columns), None)
    if key is None or text_col is None:
        raise RadbankError(f"{origin}: needs a key column ({', '.join(KEYS)}) and a text column (report or text)")
    texts = dict(zip(table[key].astype(str), table[text_col].astype(str), strict=True))
    t = records.table
    if key in ("study", "StudyInstanceUID", "AccessionNumber"):
        own = t[key] if key in t.columns else t["study"]
    else:
        own = t["path"].map(lambda p: Path(str(p)).name)
        texts = {Path(k).name: v for k, v in texts.items()}
    out: dict[str, str] = {}
    for study, k in zip(t["study"].astype(str), own.astype(str), strict=True):
        if k in texts and study not in out:
            out[study] = texts[k]
    if not deidentified:
        from radbank.text.pseudonymize import pseudonymize

        out = {s: pseudonymize(text, mode="redact")[0] for s, text in out.items()}
    return out
