"""Per-image metadata from a table (PNG exports have no header): patient, study, view, age, sex, spacing.

The table (CSV or TSV) is keyed by `path` (relative to the dataset root) or by the file name (`Image
Index`, `file`, `filename`); recognised columns, in NIH or plain spelling, replace the dataset's own.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from radbank.errors import RadbankError
from radbank.sources.records import Records

KEYS = ("path", "Image Index", "file", "filename")
COLUMNS = {
    "patient": ("patient", "Patient ID", "PatientID", "participant"),
    "study": ("study", "StudyInstanceUID", "session"),
    "view": ("view", "View Position", "ViewPosition"),
    "age": ("age", "Patient Age", "PatientAge"),
    "sex": ("sex", "Patient Gender", "PatientSex", "gender"),
    "pixel_spacing": ("pixel_spacing", "PixelSpacing", "OriginalImagePixelSpacing[x"),
}


def apply_metadata(records: Records, table: pd.DataFrame, root: str | Path, origin: str) -> int:
    """Fill `records.table` from `table`; return how many images were matched (the rest keep their values)."""
    key = next((k for k in KEYS if k in table.columns), None)
    if key is None:
        raise RadbankError(f"{origin}: needs a key column ({', '.join(KEYS)})")
    by_key = table.drop_duplicates(key).set_index(key)
    if key == "path":
        own = [
            Path(p).relative_to(root).as_posix() if Path(p).is_relative_to(root) else str(p)
            for p in records.table["path"]
        ]
    else:
        own = [Path(str(p)).name for p in records.table["path"]]
    found = [k in by_key.index for k in own]
    for target, names in COLUMNS.items():
        col = next((n for n in names if n in by_key.columns), None)
        if col is None:
            continue
        values = [by_key.at[k, col] if hit else None for k, hit in zip(own, found, strict=True)]
        current = records.table[target] if target in records.table.columns else pd.Series([None] * len(own))
        records.table[target] = [v if v not in (None, "", "n/a") else c for v, c in zip(values, current, strict=True)]
    return sum(found)
