"""MR volumes of a MIDS export: head MR series of a DICOM source and MR NIfTI files of a MIDS source, defaced and
written as NIfTI + JSON sidecar at `sub-<s>/ses-<e>/mim-mr/anat/`, in both layouts.

- Where: BIMCV's MR writer, xnat2mids (BIMCV-CSUSP/MIDS xnat2mids/procedures/magnetic_resonance_procedures.py),
  puts each MR series, converted to NIfTI by dcm2niix, in `<session>/mim-mr/<BIDS datatype>/` (plain BIDS,
  `<session>/anat/`, for head and brain); radbank keeps `mim-mr/anat/` for every MR volume, as the MIDS writer
  keeps one folder rule per tree, and in both layouts (BIMCV published no release layout for MR).
- Names: `sub-<s>_ses-<e>_run-<n>_<suffix>.nii.gz`, the suffix BIDS's anatomical one for the contrast (T1w, T2w,
  FLAIR, PDw, T2starw...: from the series description, protocol or timing, or the source file's own suffix;
  T1w when unknown, and then only for a volume that looks T1-weighted), runs numbered per session and suffix.
  No bp- entity: BIDS has none, and MIDS makes the head the default body part (BIMCV-CSUSP/MIDS README.md).
- Sidecars: BIDS keys and units (times in seconds) in both layouts, as dcm2niix's sidecars are; only the
  allow-listed acquisition fields (anonymize.deface.mids_writer.MR_FIELDS), plus how the face was removed.
- Only head MR is exported, defaced (anonymize.deface): other MR body parts, series that cannot be made into a
  volume and volumes whose defacing fails QC are listed with the reason and leave nothing behind. A rerun resumes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radbank.anonymize.deface.contrast import contrast_from_dicom, contrast_from_name
from radbank.anonymize.deface.heads import HEAD_PARTS, is_head_mr
from radbank.anonymize.deface.nifti import is_nifti_name
from radbank.badinput import printable
from radbank.mids.export_tables import ImageRow
from radbank.parallel import MIN_PARALLEL_ITEMS, default_workers, map_parallel

if TYPE_CHECKING:
    from radbank.mids.export import ExportOptions, ExportReport
    from radbank.sources.records import Records

log = logging.getLogger(__name__)

MR_FOLDER = "mim-mr/anat"
HEADER_TAGS = [
    "Modality",
    "BodyPartExamined",
    "SeriesInstanceUID",
    "SeriesDescription",
    "ProtocolName",
    "SequenceName",
    "RepetitionTime",
    "EchoTime",
    "InversionTime",
]


@dataclass(frozen=True)
class VolumeTask:
    """One volume to write (worker side): a DICOM series or a NIfTI file, its target and how to deface it."""

    kind: str  # dicom, nifti
    paths: tuple[str, ...]
    target: str
    contrast: str | None  # the BIDS suffix when known (None: named T1w for want of one)
    method: str = "unet"
    ears: bool = False
    threads: int = 2


def is_volume(modality: object, path: object) -> bool:
    """An MR image (a DICOM slice of a series, or a NIfTI volume of MR or unknown modality): exported as a volume,
    not as a 2-D image."""
    mod = str(modality or "").strip().upper()
    return mod == "MR" or (mod == "" and is_nifti_name(Path(str(path))))


def mr_header(path: str) -> dict[str, str] | None:
    """The header fields a volume needs (worker side; None when unreadable, never raises)."""
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=HEADER_TAGS)
    except Exception:  # unreadable: listed with the reason by the caller
        return None
    return {k: str(ds.get(k, "") or "").strip() for k in HEADER_TAGS}


@dataclass
class _Volume:
    members: list[int]  # record indices
    kind: str
    suffix: str
    guessed: bool


def _group(
    records: Records, indices: list[int], base: dict[int, ImageRow], workers: int
) -> tuple[list[_Volume], list[tuple[str, str]]]:
    """Group MR records into volumes: DICOM files by series (head MR only), each NIfTI file on its own."""
    paths = [str(p) for p in records.table["path"]]
    parts = list(records.table["body_part"]) if "body_part" in records.table.columns else [""] * len(paths)
    dicom = [i for i in indices if not is_nifti_name(Path(paths[i]))]
    headers = dict(zip(dicom, map_parallel(mr_header, [paths[i] for i in dicom], workers=workers), strict=True))
    groups: dict[tuple[str, ...], _Volume] = {}
    skipped: list[tuple[str, str]] = []
    for i in indices:
        row, header = base[i], headers.get(i)
        part = str(parts[i] or "").strip().upper()
        if i not in headers and part.replace(" ", "") in HEAD_PARTS:
            contrast = contrast_from_name(Path(paths[i]).name)
            groups[("nifti", paths[i])] = _Volume([i], "nifti", contrast or "T1w", contrast is None)
        elif header is None and i in headers:
            skipped.append((paths[i], "not a readable DICOM header"))
        elif header is None or not is_head_mr(header):
            skipped.append((paths[i], f"MR of body part {part or '?'}: only head MR volumes are exported (defaced)"))
        else:
            series = header["SeriesInstanceUID"] or str(Path(paths[i]).parent)
            key = ("dicom", row.name.sub, series)  # the session of its first file
            if key not in groups:
                contrast = contrast_from_dicom(header)
                groups[key] = _Volume([], "dicom", contrast or "T1w", contrast is None)
            groups[key].members.append(i)
    return sorted(groups.values(), key=lambda v: paths[v.members[0]]), skipped


def plan_volumes(
    records: Records, base: dict[int, ImageRow], opts: ExportOptions, root: Path
) -> tuple[list[ImageRow], list[VolumeTask], list[tuple[str, str]]]:
    """One row and one task per volume (`base`: the MR records' rows as the 2-D planner names them)."""
    volumes, skipped = _group(records, sorted(base), base, opts.workers)
    processes = 1 if len(volumes) < MIN_PARALLEL_ITEMS else min(len(volumes), opts.workers or default_workers())
    threads = max(1, default_workers() // processes)
    parts = list(records.table["body_part"]) if "body_part" in records.table.columns else [""] * len(records)
    runs: dict[tuple[str, str, str], int] = defaultdict(int)
    rows, tasks = [], []
    for vol in volumes:
        first = base[vol.members[0]]
        runs[(first.name.sub, first.name.ses, vol.suffix)] += 1
        run = runs[(first.name.sub, first.name.ses, vol.suffix)]
        name = replace(first.name, suffix=vol.suffix, ext=".nii.gz", run=run, bp=None, vp=None)
        labels = tuple(dict.fromkeys(x for i in vol.members for x in base[i].labels))
        part = str(parts[vol.members[0]] or "").strip().upper() or "HEAD"
        row = replace(first, name=name, folder=MR_FOLDER, view="", labels=labels, modality="MR", body_part=part)
        rows.append(row)
        sources = tuple(base[i].src for i in vol.members)
        contrast = None if vol.guessed else vol.suffix
        target = str(root / row.rel())
        tasks.append(VolumeTask(vol.kind, sources, target, contrast, opts.deface_method, opts.ears, threads))
    return rows, tasks, skipped


def write_volume(task: VolumeTask) -> tuple[str, str | None]:
    """Worker: deface and write one volume and its sidecar; (status, reason), never raises."""
    target = Path(task.target)
    if target.exists() and target.with_name(target.name[: -len(".nii.gz")] + ".json").exists():
        return "resumed", None
    try:
        return _write(task, target)
    except Exception as exc:  # a decoder or defacing error on one odd volume must not stop the export
        return "skipped", f"cannot write the volume ({type(exc).__name__}: {str(exc)[:160]})"


def _write(task: VolumeTask, target: Path) -> tuple[str, str | None]:
    from radbank.anonymize.deface.core import DefaceOptions
    from radbank.anonymize.deface.mids_writer import MidsVolume, sidecar_from_bids, sidecar_from_dicom, write_mids_mr
    from radbank.errors import BadInput

    how: dict[str, Any] = {
        "options": DefaceOptions(task.method, task.ears),
        "threads": task.threads,
        "contrast": task.contrast,
        "t1_only": task.contrast is None,
    }
    done: MidsVolume
    if task.kind == "nifti":
        from radbank.anonymize.deface.checks import volume_problem
        from radbank.anonymize.deface.nifti import read_nifti
        from radbank.mids.tree import read_sidecar

        try:
            vol = read_nifti(task.paths[0])
        except BadInput as exc:
            return "skipped", exc.reason
        problem = volume_problem(vol.raw.shape, vol.affine)
        if problem:
            return "skipped", problem
        source = Path(task.paths[0])
        side = read_sidecar(source.with_name(source.name.removesuffix(".gz").removesuffix(".nii") + ".json"))
        data = vol.scaled().reshape(vol.raw.shape[:3])
        done = write_mids_mr(target, data, vol.affine, sidecar=sidecar_from_bids(side), **how)
    else:
        import pydicom

        from radbank.anonymize.deface.dicom_series import SeriesProblem, series_volume

        try:
            series = series_volume([pydicom.dcmread(p) for p in task.paths])
        except SeriesProblem as exc:
            return "skipped", str(exc)
        facts = sidecar_from_dicom(series.datasets[0])
        done = write_mids_mr(target, series.scaled, series.affine, sidecar=facts, **how)
    return ("written", None) if done.written else ("skipped", f"not exported: {done.reason}")


def export_volumes(
    records: Records,
    base: dict[int, ImageRow],
    opts: ExportOptions,
    rep: ExportReport,
    progress: Callable[[int], None] | None = None,
) -> list[ImageRow]:
    """Plan and write the MR volumes into the report's tree; return the rows of those in the tree."""
    from radbank.mids.export import remove_empty_folders

    rows, tasks, skipped = plan_volumes(records, base, opts, rep.out)
    for src, why in skipped:
        rep.skipped.append((src, why))
        log.warning("%s: skipped: %s", printable(src), why)
    kept: list[ImageRow] = []
    done = map_parallel(write_volume, tasks, workers=opts.workers)
    for row, task, (status, reason) in zip(rows, tasks, done, strict=True):
        if status == "skipped":
            rep.skipped.append((row.src, reason or "not exported"))
            log.warning("%s (MR volume of %d file(s)): skipped: %s", printable(row.src), len(task.paths), reason)
            remove_empty_folders(Path(task.target).parent, rep.out)  # leaves nothing behind
        else:
            kept.append(row)
            rep.written += status == "written"
            rep.resumed += status == "resumed"
        if progress:
            progress(len(task.paths))
    if progress and skipped:
        progress(len(skipped))
    return kept
