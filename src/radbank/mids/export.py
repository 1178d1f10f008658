"""Write a dataset (Records: PNG/JPEG files or de-identified DICOM, with labels) as a MIDS tree.

```
OUT/dataset_description.json  README  participants.tsv  participants.json  findings.json
OUT/sub-<s>/sub-<s>_sessions.tsv
OUT/sub-<s>/ses-<e>/sub-<s>_ses-<e>_scans.tsv
OUT/sub-<s>/ses-<e>/sub-<s>_ses-<e>_findings.tsv      label, umls_cui, umls_name, source, filename
OUT/sub-<s>/ses-<e>/sub-<s>_ses-<e>_report.txt        when a report is given
OUT/sub-<s>/ses-<e>/mim-rx/sub-<s>_ses-<e>_run-1_bp-chest_vp-pa_cr.png (+ .json sidecar)
```
Images are written atomically and a rerun skips those already there; tables are rewritten each time.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from radbank import __version__
from radbank.errors import BadInput, RadbankError
from radbank.fsutil import atomic_path, write_json, write_text, write_text_if_changed
from radbank.mids.naming import ImageName, group_folder, label, view_label
from radbank.mids.report_findings import report_findings
from radbank.mids.sidecar import convert
from radbank.mids.tsv import write_tsv
from radbank.mids.umls import lookup
from radbank.parallel import map_parallel
from radbank.sources.records import Records, is_healthy_name

log = logging.getLogger(__name__)

BIDS_VERSION = "1.10.0"
FINDING_COLUMNS = ["label", "umls_cui", "umls_name", "source", "filename"]
PARTICIPANT_COLUMNS = ["participant_id", "age", "sex", "n_sessions", "modalities", "body_parts", "finding"]
SESSION_COLUMNS = ["session_id", "age", "n_images", "finding"]
SCAN_COLUMNS = ["filename", "modality", "view_position", "body_part"]


@dataclass
class ExportReport:
    """What an export wrote, found and could not use."""

    out: Path
    written: int = 0
    resumed: int = 0
    subjects: int = 0
    sessions: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unknown_labels: dict[str, int] = field(default_factory=dict)
    nlp_findings: int = 0

    def summary(self) -> str:
        return (f"{self.out}: {self.subjects} participants, {self.sessions} sessions, {self.written} images written, "
                f"{self.resumed} already there, {len(self.skipped)} skipped; {self.nlp_findings} findings coded "
                "from reports")  # fmt: skip


@dataclass(frozen=True)
class _Row:
    src: str
    name: ImageName
    folder: str
    view: str
    age: float | None
    sex: str
    labels: tuple[str, ...]


def image_labels(records: Records) -> list[tuple[str, ...]]:
    """The curated labels of each image: its positive findings, or the healthy class / No Finding."""
    out: list[tuple[str, ...]] = []
    for row in np.nan_to_num(records.labels, nan=0.0):
        if records.task == "binary":
            out.append((records.class_names[int(row[0] > 0)],))
        else:
            pos = tuple(n for n, v in zip(records.label_names, row, strict=True) if v > 0)
            out.append(pos or ("No Finding",))
    return out


def coded(name: str, source: str, unknown: Counter[str]) -> dict[str, str]:
    """A findings-table row for a label; unknown labels are kept with n/a codes and counted."""
    concept = lookup(name)
    if concept is None:
        unknown[name] += 1
        return {"label": name, "umls_cui": "n/a", "umls_name": "n/a", "source": source}
    label_text = "No Finding" if is_healthy_name(name) else concept.label
    return {"label": label_text, "umls_cui": concept.cui, "umls_name": concept.name, "source": source}


def _sex(value: Any) -> str:
    v = str(value or "").strip().upper()[:1]
    return v if v in ("M", "F", "O") else "n/a"


def _age(value: Any) -> float | None:
    try:
        a = float(value)
    except (TypeError, ValueError):
        return None
    return None if a != a else round(a, 1)


def plan(records: Records, modality: str, body_part: str, prefix: str) -> list[_Row]:
    """Name every image: subject from `patient`, session from `study`, runs numbered within a session."""
    t = records.table
    labels = image_labels(records)
    rows: list[_Row] = []
    by_key: dict[tuple[str, str, str | None], list[int]] = defaultdict(list)
    mods = list(t["modality"]) if "modality" in t.columns else [""] * len(t)
    parts = list(t["body_part"]) if "body_part" in t.columns else [""] * len(t)
    for i in range(len(records)):
        sub, ses = label(t["patient"].iat[i]), session_label(t["patient"].iat[i], t["study"].iat[i])
        vp = view_label(str(t["view"].iat[i] or ""))
        mod = (str(mods[i] or "") or modality).lower()
        bp = label(str(parts[i] or "") or body_part).lower()
        by_key[(sub, ses, vp)].append(i)
        name = ImageName(sub, ses, mod, ".png", bp=bp, vp=vp)
        rows.append(_Row(str(t["path"].iat[i]), name, group_folder(mod, prefix), str(t["view"].iat[i] or "").upper(),
                         _age(t["age"].iat[i]), _sex(t["sex"].iat[i]), labels[i]))  # fmt: skip
    for idx in by_key.values():
        for run, i in enumerate(sorted(idx, key=lambda j: rows[j].src), start=1):
            rows[i] = replace(rows[i], name=replace(rows[i].name, run=run))
    return rows


def _column(table: Any, name: str) -> list[float]:
    """A numeric column as floats (0.0 where missing or absent)."""
    if name not in table.columns:
        return [0.0] * len(table)
    import pandas as pd

    return [float(v) for v in pd.to_numeric(table[name], errors="coerce").fillna(0.0)]


def session_label(patient: object, study: object) -> str:
    """The ses- label of a study: its letters and digits less a leading patient ID (NIH: 00012345_001 -> 001)."""
    sub, ses = label(patient), label(study)
    return ses[len(sub) :] if ses.startswith(sub) and len(ses) > len(sub) else ses


def _rel(row: _Row) -> str:
    return f"sub-{row.name.sub}/ses-{row.name.ses}/{row.folder}/{row.name.filename()}"


def _write_image(args: tuple[str, str, str, str, str, float, float]) -> tuple[str, dict[str, Any] | None, str | None]:
    """Worker: convert one image and write its sidecar (never raises)."""
    src, dst, modality, body_part, view, spacing, original_width = args
    target = Path(dst)
    sidecar = target.with_suffix(".json")
    if target.exists() and sidecar.exists():
        return "resumed", None, None
    try:
        with atomic_path(target) as tmp:
            fields = convert(src, tmp)
    except BadInput as exc:
        return "skipped", None, exc.reason
    except (OSError, ValueError) as exc:
        return "skipped", None, f"cannot convert ({exc})"
    fields.setdefault("Modality", modality.upper())
    fields.setdefault("BodyPartExamined", body_part.upper())
    if view:
        fields.setdefault("ViewPosition", view.upper())
    if "PixelSpacing" not in fields and spacing > 0:  # a table's spacing, scaled when the image was resized
        ps = round(spacing * (original_width / fields["Columns"] if original_width > 0 else 1.0), 6)
        fields["PixelSpacing"] = [ps, ps]
    write_json(sidecar, dict(sorted(fields.items())))
    return "written", fields, None


def export_mids(
    records: Records,
    out: str | Path,
    reports: dict[str, str] | None = None,
    name: str = "radbank MIDS export",
    modality: str = "CR",
    body_part: str = "CHEST",
    prefix: str = "mim",
    workers: int = 0,
    progress: Callable[[int], None] | None = None,
) -> ExportReport:
    """Export `records` to a MIDS tree at `out`. `reports` maps a record's `study` value to its report text
    (already de-identified: see `radbank anonymize text`). DICOM sources override `modality` per file."""
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise RadbankError(f"{root}: exists and is not a folder")
    if len(records) == 0:
        raise RadbankError("nothing to export: the dataset has no images")
    root.mkdir(parents=True, exist_ok=True)
    rep = ExportReport(out=root, skipped=list(records.skipped))
    rows = plan(records, modality, body_part, prefix)
    t = records.table
    spacing = _column(t, "pixel_spacing")
    widths = _column(t, "original_width")
    tasks = [(r.src, str(root / _rel(r)), r.name.suffix, r.name.bp or body_part, r.view, spacing[i], widths[i])
             for i, r in enumerate(rows)]  # fmt: skip
    kept: list[_Row] = []
    for row, (status, _fields, reason) in zip(rows, map_parallel(_write_image, tasks, workers=workers), strict=True):
        if status == "skipped":
            rep.skipped.append((row.src, reason or "unreadable"))
            log.warning("%s: skipped: %s", row.src, reason)
        else:
            kept.append(row)
            rep.written += status == "written"
            rep.resumed += status == "resumed"
        if progress:
            progress(1)
    unknown: Counter[str] = Counter()
    study_of = {
        (label(p), session_label(p, s)): str(s)
        for p, s in zip(records.table["patient"], records.table["study"], strict=True)
    }
    _write_tables(root, kept, reports or {}, study_of, body_part, unknown, rep)
    _write_description(root, name)
    rep.unknown_labels = dict(unknown)
    for lab, n in sorted(unknown.items()):
        log.warning("label %r (%d time(s)) has no UMLS code in the packaged table; written with n/a", lab, n)
    return rep


def _write_tables(root: Path, rows: list[_Row], reports: dict[str, str], study_of: dict[tuple[str, str], str],
                  body_part: str, unknown: Counter[str], rep: ExportReport) -> None:  # fmt: skip
    sessions: dict[str, dict[str, list[_Row]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        sessions[r.name.sub][r.name.ses].append(r)
    participants = []
    for sub, by_ses in sorted(sessions.items()):
        ses_rows, subject_findings = [], set()
        for ses, images in sorted(by_ses.items()):
            base = root / f"sub-{sub}" / f"ses-{ses}"
            findings = [
                {**coded(n, "curated", unknown), "filename": f"{r.folder}/{r.name.filename()}"}
                for r in images
                for n in r.labels
            ]
            text = reports.get(study_of.get((sub, ses), ""), "")
            if text:
                write_text_if_changed(base / f"sub-{sub}_ses-{ses}_report.txt", text.rstrip() + "\n")
                nlp = report_findings(text)
                rep.nlp_findings += len(nlp)
                found = [coded(f.concept.label, "report-nlp", unknown) for f in nlp] or [
                    coded("No Finding", "report-nlp", unknown)
                ]
                findings += found
            write_tsv(base / f"sub-{sub}_ses-{ses}_findings.tsv", FINDING_COLUMNS, findings)
            write_tsv(base / f"sub-{sub}_ses-{ses}_scans.tsv", SCAN_COLUMNS, [
                {"filename": f"{r.folder}/{r.name.filename()}", "modality": r.name.suffix.upper(),
                 "view_position": r.view, "body_part": (r.name.bp or body_part).upper()} for r in images
            ])  # fmt: skip
            curated = sorted({f["label"] for f in findings if f["source"] == "curated"})
            subject_findings.update(curated)
            ses_rows.append({"session_id": f"ses-{ses}", "age": images[0].age, "n_images": len(images),
                             "finding": "|".join(curated)})  # fmt: skip
        write_tsv(root / f"sub-{sub}" / f"sub-{sub}_sessions.tsv", SESSION_COLUMNS, ses_rows)
        all_images = [r for images in by_ses.values() for r in images]
        ages = [r.age for r in all_images if r.age is not None]
        if len(subject_findings) > 1:
            subject_findings.discard("No Finding")
        participants.append({
            "participant_id": f"sub-{sub}", "age": max(ages) if ages else None, "sex": all_images[0].sex,
            "n_sessions": len(by_ses), "modalities": ",".join(sorted({r.name.suffix.upper() for r in all_images})),
            "body_parts": ",".join(sorted({(r.name.bp or body_part).upper() for r in all_images})),
            "finding": "|".join(sorted(subject_findings)),
        })  # fmt: skip
        rep.sessions += len(by_ses)
    rep.subjects = len(participants)
    write_tsv(root / "participants.tsv", PARTICIPANT_COLUMNS, participants)
    write_json(root / "participants.json", PARTICIPANTS_JSON)
    write_json(root / "findings.json", FINDINGS_JSON)


PARTICIPANTS_JSON: dict[str, Any] = {
    "participant_id": {"Description": "Pseudonymised participant label (sub-<label>)"},
    "age": {"Description": "Age at the participant's last session", "Units": "year"},
    "sex": {"Description": "Sex as recorded in the source", "Levels": {"M": "male", "F": "female", "O": "other"}},
    "n_sessions": {"Description": "Number of sessions (imaging studies) in this dataset"},
    "modalities": {"Description": "DICOM modalities of the participant's images (0008,0060)"},
    "body_parts": {"Description": "Body Part Examined of the participant's images (0018,0015)"},
    "finding": {"Description": "Curated findings over all sessions, '|'-separated (see the session findings tables)"},
}
FINDINGS_JSON: dict[str, Any] = {
    "label": {"Description": "Finding label (NIH ChestX-ray14 or PadChest spelling)"},
    "umls_cui": {"Description": "UMLS Concept Unique Identifier, C followed by seven digits; n/a when unknown"},
    "umls_name": {"Description": "UMLS preferred name of the concept"},
    "filename": {"Description": "The image a curated label belongs to (as in scans.tsv); n/a: the whole session"},
    "source": {
        "Description": "Where the finding comes from",
        "Levels": {"curated": "the dataset's label table or class folders", "report-nlp": "coded from the report"},
    },
}


def _write_description(root: Path, name: str) -> None:
    write_json(root / "dataset_description.json", {
        "Name": name, "BIDSVersion": BIDS_VERSION, "DatasetType": "raw", "License": "n/a",
        "GeneratedBy": [{"Name": "radbank", "Version": __version__, "Description": "radbank mids export"}],
        "HowToAcknowledge": "Structured as MIDS (Saborit-Torres et al., arXiv:2010.00434).",
    })  # fmt: skip
    readme = root / "README"
    if not readme.exists():
        about = f"Medical Imaging Data Structure (MIDS) tree written by radbank {__version__}."
        write_text(readme, f"{name}\n\n{about}\nImages: sub-*/ses-*/mim-*/; UMLS-coded findings: *_findings.tsv.\n")
