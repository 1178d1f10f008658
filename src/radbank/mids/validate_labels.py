"""Checks of a tree's label tables: radbank's derivatives/labels/findings.tsv, BIMCV-format tables
(labels_covid19_posi.tsv and radbank's labels.tsv) and per-session findings tables of older exports."""

from __future__ import annotations

import re
from pathlib import Path

from radbank.errors import RadbankError
from radbank.mids.checker import Checker
from radbank.mids.label_tables import FINDINGS, LABELS_DIR, bimcv_tables, read_bimcv_table
from radbank.mids.tsv import NA
from radbank.mids.umls import is_cui, lookup

FINDING_COLUMNS = ("label", "umls_cui", "source")
_TOKEN = re.compile(r"[^\s\[\]'\",]+")


def check_label_tables(c: Checker, base: Path) -> None:
    """Add the issues of every label table under `base`."""
    folder = base / LABELS_DIR
    findings = folder / FINDINGS
    if findings.is_file():
        rows = c.tsv(findings, ("participant_id", "session_id", *FINDING_COLUMNS))
        for n, row in enumerate(rows or [], start=2):
            _check_code(c, findings, n, row)
            rel = row.get("filename", NA)
            if rel != NA and not (base / row["participant_id"] / row["session_id"] / rel).is_file():
                c.error(findings, f"line {n}: {rel} of {row['participant_id']}/{row['session_id']} does not exist")
    if folder.is_dir() and not (folder / "dataset_description.json").is_file():
        c.warn(folder / "dataset_description.json", "recommended file missing (a BIDS derivative describes itself)")
    for table in bimcv_tables(base):
        _check_bimcv(c, base, table)
    for legacy in sorted(base.glob("sub-*/ses-*/*_findings.tsv")):
        for n, row in enumerate(c.tsv(legacy, FINDING_COLUMNS) or [], start=2):
            _check_code(c, legacy, n, row)


def _check_code(c: Checker, path: Path, n: int, row: dict[str, str]) -> None:
    cui = row["umls_cui"]
    if cui == NA:
        c.warn(path, f"line {n}: label {row['label']!r} has no UMLS code")
    elif not is_cui(cui):
        c.error(path, f"line {n}: {cui!r} is not a UMLS CUI (C followed by seven digits)")
    else:
        concept = lookup(row["label"])
        if concept is not None and concept.cui != cui:
            c.warn(path, f"line {n}: {row['label']!r} is coded {cui}, the packaged table says {concept.cui}")


def _check_bimcv(c: Checker, base: Path, path: Path) -> None:
    try:
        frame = read_bimcv_table(path)
    except RadbankError as exc:
        c.error(path, str(exc).split(": ", 1)[-1])
        return
    missing = [k for k in ("PatientID", "ReportID", "Labels") if k not in frame.columns]
    if missing:
        c.error(path, f"missing required column(s) {', '.join(missing)}")
        return
    for n, row in enumerate(frame.to_dict("records"), start=2):
        for col in ("labelCUIS", "LocalizationsCUIS"):
            bad = [
                t
                for t in _TOKEN.findall(str(row.get(col, "") or ""))
                if t.lower() not in ("nan", "n/a") and not is_cui(t)
            ]
            if bad:
                c.error(path, f"line {n}: {col} holds {bad[0]!r}, not a UMLS CUI (C followed by seven digits)")
        sub, ses = str(row["PatientID"]), str(row["ReportID"])
        if not (base / _prefixed(sub, "sub-") / _prefixed(ses, "ses-")).is_dir():
            c.warn(path, f"line {n}: no session folder {_prefixed(sub, 'sub-')}/{_prefixed(ses, 'ses-')}")


def _prefixed(value: str, prefix: str) -> str:
    return value if value.startswith(prefix) else prefix + value
