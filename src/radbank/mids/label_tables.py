"""Label tables of a MIDS tree: where each image's findings come from when reading one back.

- `derivatives/labels/findings.tsv` (radbank): one row per image and label (participant_id, session_id,
  filename as in scans.tsv, label, umls_cui, umls_name, source = curated | report-nlp);
- `derivatives/labels/<name>.tsv` in BIMCV's format (BIMCV-COVID19+'s `labels_covid19_posi.tsv`):
  one row per report = session, `PatientID` (sub-<s>), `ReportID` (ses-<e>), `Report`, `Labels`,
  `Localizations`, `labelCUIS`, `LocalizationsCUIS`; list cells as PadChest writes them;
- `sub-<s>/ses-<e>/sub-<s>_ses-<e>_findings.tsv` (radbank exports before issue 16).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from radbank.errors import RadbankError
from radbank.mids.tsv import NA, read_tsv
from radbank.sources.cells import parse_list

LABELS_DIR = Path("derivatives") / "labels"
FINDINGS = "findings.tsv"
BIMCV_COLUMNS = ["PatientID", "ReportID", "Report", "Labels", "Localizations", "labelCUIS", "LocalizationsCUIS"]


@dataclass
class SessionLabels:
    """What the tables say about one session: labels per image ('' = the whole session), report, places."""

    images: dict[str, set[str]] = field(default_factory=dict)
    report: str = ""
    localizations: list[str] = field(default_factory=list)

    def for_image(self, rel: str) -> set[str]:
        return self.images.get(rel) or self.images.get("", set())


def read_bimcv_table(path: Path) -> pd.DataFrame:
    """A labels table in BIMCV's format (quoted cells may hold tabs, as BIMCV-COVID19+'s do)."""
    try:
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_MINIMAL)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RadbankError(f"{path}: not a readable TSV ({str(exc).splitlines()[0] if str(exc) else exc})") from None


def bimcv_tables(root: Path) -> list[Path]:
    """The BIMCV-format tables under derivatives/labels/ (those with ReportID and Labels columns)."""
    folder = root / LABELS_DIR
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.glob("*.tsv")):
        try:
            header = p.open(encoding="utf-8", errors="replace").readline().rstrip("\n").split("\t")
        except OSError:
            continue
        if "ReportID" in header and "Labels" in header:
            out.append(p)
    return out


def session_labels(root: Path, extra_table: Path | None = None) -> dict[tuple[str, str], SessionLabels]:
    """(subject, session) -> SessionLabels from every table the tree has (radbank's findings first)."""
    out: dict[tuple[str, str], SessionLabels] = {}
    tables = bimcv_tables(root) + ([extra_table] if extra_table else [])
    for table in tables:
        _add_bimcv(out, read_bimcv_table(table))
    findings = root / LABELS_DIR / FINDINGS
    if findings.is_file():
        _add_findings(out, read_tsv(findings), findings)
    return out


def _add_bimcv(out: dict[tuple[str, str], SessionLabels], frame: pd.DataFrame) -> None:
    for r in frame.to_dict("records"):
        key = (str(r.get("PatientID", "")).removeprefix("sub-"), str(r.get("ReportID", "")).removeprefix("ses-"))
        entry = out.setdefault(key, SessionLabels())
        entry.images.setdefault("", set()).update(parse_list(r.get("Labels", "")))
        entry.report = entry.report or str(r.get("Report", "") or "").strip()
        entry.localizations += [x for x in parse_list(r.get("Localizations", "")) if x not in entry.localizations]


def _add_findings(out: dict[tuple[str, str], SessionLabels], frame: pd.DataFrame, path: Path) -> None:
    missing = [c for c in ("participant_id", "session_id", "label") if c not in frame.columns]
    if missing:
        raise RadbankError(f"{path}: missing column(s) {', '.join(missing)}")
    frame = _curated_first(frame)
    replaced: set[tuple[str, str, str]] = set()
    for r in frame.to_dict("records"):
        key = (str(r["participant_id"]).removeprefix("sub-"), str(r["session_id"]).removeprefix("ses-"))
        rel = "" if r.get("filename", NA) in (NA, "") else str(r["filename"])
        entry = out.setdefault(key, SessionLabels())
        if (*key, rel) not in replaced:  # radbank's own table wins over a BIMCV-format table of the same session
            entry.images[rel] = set()
            replaced.add((*key, rel))
        if r["label"] != NA:
            entry.images[rel].add(str(r["label"]))


def _curated_first(frame: pd.DataFrame) -> pd.DataFrame:
    """Curated rows of a session when it has any, else its report-coded rows."""
    if "source" not in frame.columns:
        return frame
    keys = frame["participant_id"].astype(str) + "/" + frame["session_id"].astype(str)
    curated = set(keys[frame["source"] == "curated"])
    return frame[(frame["source"] == "curated") | ~keys.isin(curated)]


def legacy_session_labels(ses_dir: Path, prefix: str) -> SessionLabels | None:
    """A session's `<prefix>_findings.tsv` (+ `_report.txt`) as radbank wrote them before issue 16."""
    path = ses_dir / f"{prefix}_findings.tsv"
    if not path.is_file():
        return None
    frame = read_tsv(path)
    if "label" not in frame.columns:
        raise RadbankError(f"{path}: missing column label")
    frame = frame.assign(participant_id="x", session_id="y")
    found: dict[tuple[str, str], SessionLabels] = {}
    _add_findings(found, frame, path)
    entry = found.get(("x", "y"), SessionLabels())
    report = ses_dir / f"{prefix}_report.txt"
    if report.is_file():
        entry.report = report.read_text("utf-8", errors="replace").strip()
    return entry
