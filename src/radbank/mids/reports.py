"""Report texts for an export, from a CSV/TSV/JSONL table keyed by study, accession, SOP/Study UID or image.

Privacy first: unless the caller says they are de-identified already, every report goes through the
report de-identifier in redact mode (names, dates, IDs... become [NAME], [DATE], ...).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from radbank.errors import RadbankError
from radbank.sources.records import Records

KEYS = ("study", "StudyInstanceUID", "AccessionNumber", "path", "Image Index")
TEXT_COLUMNS = ("report", "text", "Report")


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
