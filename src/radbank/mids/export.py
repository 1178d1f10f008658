"""Write a dataset (Records: PNG/JPEG files or de-identified DICOM, with labels) as a MIDS tree.

```
OUT/dataset_description.json  README  .bidsignore  participants.tsv/.json  sessions.json  scans.json
OUT/sub-<s>/sub-<s>_sessions.tsv
OUT/sub-<s>/ses-<e>/sub-<s>_ses-<e>_scans.tsv
OUT/sub-<s>/ses-<e>/mod-rx/sub-<s>_ses-<e>_run-1_bp-chest_vp-pa_cr.png (+ .json)   layout bimcv-release
OUT/sub-<s>/ses-<e>/mim-rx/cr/sub-<s>_ses-<e>_run-1_bp-chest_vp-pa_cr.png (+ .json) layout dcm2mids
OUT/sub-<s>/ses-<e>/mim-mr/anat/sub-<s>_ses-<e>_run-1_T1w.nii.gz (+ .json)        head MR, defaced (volumes.py)
OUT/derivatives/labels/findings.tsv  labels.tsv  sub-<s>/ses-<e>/sub-<s>_ses-<e>_report.txt
```
Images are written atomically and a rerun skips those already there; tables are rewritten each time.
An image that cannot be converted is listed with its reason and leaves no folder behind.
"""

from __future__ import annotations

import logging
import math
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from radbank.badinput import printable
from radbank.errors import BadInput, RadbankError
from radbank.fsutil import atomic_path, write_json
from radbank.mids.description import write_description
from radbank.mids.export_tables import ImageRow, write_tables
from radbank.mids.layouts import DEFAULT_LAYOUT, Layout, layout
from radbank.mids.naming import ImageName, label, view_label
from radbank.mids.sidecar import convert, to_dicom_json
from radbank.mids.tree import first_session_folders, is_mids, layout_of
from radbank.mids.volumes import export_volumes, is_volume
from radbank.parallel import map_parallel
from radbank.sources.records import Records

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportOptions:
    """How to export: the dataset's name, defaults for images without a header, the layout, processes."""

    name: str = "radbank MIDS export"
    modality: str = "CR"  # DICOM modality of non-DICOM images
    body_part: str = "CHEST"  # Body Part Examined of images without one
    layout: str = DEFAULT_LAYOUT  # bimcv-release or dcm2mids
    workers: int = 0  # processes (0 = all cores)
    deface_method: str = "unet"  # head MR volumes: unet or template (anonymize.deface)
    ears: bool = False  # head MR volumes: remove the ears too


@dataclass
class ExportReport:
    """What an export wrote, found and could not use."""

    out: Path
    written: int = 0
    resumed: int = 0
    subjects: int = 0
    sessions: int = 0
    layout: str = DEFAULT_LAYOUT
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unknown_labels: dict[str, int] = field(default_factory=dict)
    nlp_findings: int = 0

    def summary(self) -> str:
        return (
            f"{printable(self.out)}: {self.subjects} participants, {self.sessions} sessions, {self.written} images "
            f"written, {self.resumed} already there, {len(self.skipped)} skipped; {self.nlp_findings} findings "
            f"coded from reports (layout {self.layout})"
        )


def image_labels(records: Records) -> list[tuple[str, ...]]:
    """The curated labels of each image: the dataset's own label list when it has one (`finding_labels`),
    else its positive findings, or the healthy class / No Finding."""
    own = records.table["finding_labels"].tolist() if "finding_labels" in records.table.columns else None
    out: list[tuple[str, ...]] = []
    for i, row in enumerate(np.nan_to_num(records.labels, nan=0.0)):
        listed = tuple(x.strip() for x in str(own[i] or "").split("|") if x.strip()) if own is not None else ()
        if listed:
            out.append(listed)
        elif records.task == "binary":
            out.append((records.class_names[int(row[0] > 0)],))
        else:
            pos = tuple(n for n, v in zip(records.label_names, row, strict=True) if v > 0)
            out.append(pos or ("No Finding",))
    return out


def _sex(value: Any) -> str:
    v = str(value or "").strip().upper()[:1]
    return v if v in ("M", "F", "O") else "n/a"


def _age(value: Any) -> float | None:
    try:
        a = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(a) else round(a, 1)


def session_label(patient: object, study: object) -> str:
    """The ses- label of a study: its letters and digits less a leading patient ID (NIH: 00012345_001 -> 001)."""
    sub, ses = label(patient), label(study)
    return ses[len(sub) :] if ses.startswith(sub) and len(ses) > len(sub) else ses


def _column(table: Any, name: str, default: object = "") -> list[Any]:
    return list(table[name]) if name in table.columns else [default] * len(table)


def plan(
    records: Records, modality: str, body_part: str, lay: Layout, indices: list[int] | None = None
) -> list[ImageRow]:
    """Name every image (or those at `indices`, in that order): subject from `patient`, session from `session` or
    `study`, runs numbered per session."""
    t = records.table
    labels = image_labels(records)
    sessions = _column(t, "session", None)
    mods, parts = _column(t, "modality"), _column(t, "body_part")
    places, reports = _column(t, "localizations"), _column(t, "report")
    rows: list[ImageRow] = []
    by_key: dict[tuple[str, str, str | None], list[int]] = defaultdict(list)
    for i in range(len(records)) if indices is None else indices:
        patient, study = t["patient"].iat[i], t["study"].iat[i]
        sub = label(patient)
        ses = label(sessions[i]) if sessions[i] not in (None, "") else session_label(patient, study)
        view = str(t["view"].iat[i] or "").upper()
        mod = (str(mods[i] or "") or modality).lower()
        bp = label(str(parts[i] or "") or body_part).lower()
        name = ImageName(sub, ses, mod, ".png", bp=bp, vp=view_label(view))
        by_key[(sub, ses, name.vp)].append(len(rows))
        rows.append(
            ImageRow(
                str(t["path"].iat[i]),
                name,
                lay.folder(mod),
                view,
                _age(t["age"].iat[i]),
                _sex(t["sex"].iat[i]),
                labels[i],
                str(study),
                _split(places[i]),
                str(reports[i] or "").strip(),
            )
        )
    for idx in by_key.values():
        for run, i in enumerate(sorted(idx, key=lambda j: rows[j].src), start=1):
            rows[i] = replace(rows[i], name=replace(rows[i].name, run=run))
    return rows


def _split(cell: object) -> tuple[str, ...]:
    text = "" if cell is None or (isinstance(cell, float) and math.isnan(cell)) else str(cell)
    return tuple(x.strip() for x in text.split("|") if x.strip())


def _write_image(args: tuple[str, str, str, str, str, float, float, str]) -> tuple[str, str | None]:
    """Worker: convert one image and write its sidecar (never raises)."""
    src, dst, modality, body_part, view, spacing, original_width, style = args
    target = Path(dst)
    sidecar = target.with_suffix(".json")
    if target.exists() and sidecar.exists():
        return "resumed", None
    try:
        with atomic_path(target) as tmp:
            fields = convert(src, tmp)
    except BadInput as exc:
        return "skipped", exc.reason
    except zlib.error as exc:  # Deflated Explicit VR Little Endian whose deflated stream is garbage
        return "skipped", f"corrupt deflated DICOM data (zlib: {exc})"
    except (OSError, ValueError) as exc:
        return "skipped", f"cannot convert ({exc})"
    except Exception as exc:  # a decoder error on one odd file (zlib, pydicom) must not stop the export
        return "skipped", f"cannot convert ({type(exc).__name__}: {str(exc)[:160]})"
    fields.setdefault("Modality", modality.upper())
    fields.setdefault("BodyPartExamined", body_part.upper())
    if view:
        fields.setdefault("ViewPosition", view.upper())
    if "PixelSpacing" not in fields and spacing > 0:  # a table's spacing, scaled when the image was resized
        ps = round(spacing * (original_width / fields["Columns"] if original_width > 0 else 1.0), 6)
        fields["PixelSpacing"] = [ps, ps]
    ordered = dict(sorted(fields.items()))
    write_json(sidecar, to_dicom_json(ordered) if style == "dicom-json" else ordered)
    return "written", None


def _numbers(table: Any, name: str) -> list[float]:
    if name not in table.columns:
        return [0.0] * len(table)
    import pandas as pd

    return [float(v) for v in pd.to_numeric(table[name], errors="coerce").fillna(0.0)]


def remove_empty_folders(path: Path, root: Path) -> None:
    """Remove `path` and its parents up to (not including) root while they are empty."""
    for folder in (path, *path.parents):
        if folder == root or not folder.is_relative_to(root):
            return
        try:
            folder.rmdir()
        except OSError:  # not empty, or not there
            return


def export_mids(
    records: Records,
    out: str | Path,
    reports: dict[str, str] | None = None,
    options: ExportOptions | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportReport:
    """Export `records` to a MIDS tree at `out` (layout, name, defaults: `options`). `reports` maps a record's
    `study` value to its report text (already de-identified: see `radbank anonymize text`); a `report` column
    of the records is used for studies it does not cover. DICOM sources override the modality per file."""
    opts = options or ExportOptions()
    modality, body_part = opts.modality, opts.body_part
    root = Path(out)
    lay = layout(opts.layout)
    if root.exists() and not root.is_dir():
        raise RadbankError(f"{root}: exists and is not a folder")
    if len(records) == 0:
        raise RadbankError("nothing to export: the dataset has no images")
    existing = layout_of(root) if root.is_dir() and is_mids(root) else None
    if existing not in (None, lay.name) and first_session_folders(root):
        raise RadbankError(f"{root}: holds a MIDS tree in another layout ({existing}); export into another folder")
    root.mkdir(parents=True, exist_ok=True)
    rep = ExportReport(out=root, layout=lay.name, skipped=list(records.skipped))
    mods, paths = _column(records.table, "modality"), list(records.table["path"])
    volumes = [i for i in range(len(records)) if is_volume(mods[i], paths[i])]
    flat = [i for i in range(len(records)) if not is_volume(mods[i], paths[i])]
    rows = plan(records, modality, body_part, lay, flat)
    spacing, widths = _numbers(records.table, "pixel_spacing"), _numbers(records.table, "original_width")
    tasks = [
        (r.src, str(root / r.rel()), r.name.suffix, r.name.bp or body_part, r.view, spacing[i], widths[i], lay.sidecar)
        for i, r in zip(flat, rows, strict=True)
    ]
    kept: list[ImageRow] = []
    for row, (status, reason) in zip(rows, map_parallel(_write_image, tasks, workers=opts.workers), strict=True):
        if status == "skipped":
            rep.skipped.append((row.src, reason or "unreadable"))
            log.warning("%s: skipped: %s", printable(row.src), reason)
            remove_empty_folders((root / row.rel()).parent, root)
        else:
            kept.append(row)
            rep.written += status == "written"
            rep.resumed += status == "resumed"
        if progress:
            progress(1)
    if volumes:
        base = dict(zip(volumes, plan(records, modality, body_part, lay, volumes), strict=True))
        kept += export_volumes(records, base, opts, rep, progress)
    if not kept:
        raise RadbankError(f"{root}: no image could be exported ({len(rep.skipped)} skipped)")
    given = {k: v for k, v in (reports or {}).items() if v}
    kept = [replace(r, report=given.get(r.study, r.report)) for r in kept]
    unknown: Counter[str] = Counter()
    write_tables(root, kept, body_part, unknown, rep)
    write_description(root, opts.name, lay)
    rep.unknown_labels = dict(unknown)
    for lab, n in sorted(unknown.items()):
        log.warning("label %r (%d time(s)) has no UMLS code in the packaged table; written with n/a", lab, n)
    return rep
