"""Head MR images inside `radbank anonymize dicom` (anonymize.batch): what becomes of their face.

- file by file (anonymize.batch): a head MR image is quarantined with the reason (the default, faces="quarantine",
  and any stray file under faces="deface"), or published as it is under faces="keep".
- faces="deface": `series_units` reads every header (no pixels, in parallel) and makes the files of each head MR
  series (Series Instance UID; the folder when there is none) one unit of work, at the place of its first file.
  `deidentify_series` runs one unit in a worker: headers first (a series whose outputs all exist and say
  Recognizable Visual Features NO is resumed without reading pixels), then the pixels, `deface_series`, and every
  file through the batch's own per-file path (`anonymize.batch.publish`: pixel rules, header de-identification,
  `mark_defaced`, a staged file). A series that cannot be defaced (4-D, localizer, multi-frame, unreadable pixels)
  or fails QC is quarantined, each file with the reason: its face is never published. One result per file, in
  input order; the main process publishes them like any other (duplicate SOP Instance UIDs named).
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from radbank.anonymize.batch import (
    DeidJob,
    FileResult,
    Found,
    Item,
    planned_output,
    printable,
    publish,
    publish_undecodable,
    tools,
)
from radbank.anonymize.deface.heads import is_head_mr

HEADER_TAGS = ["Modality", "BodyPartExamined", "SeriesInstanceUID"]


def head_mr_series(path: str) -> str | None:
    """The series key of a head MR file (worker side, headers only; None for anything else, never raises)."""
    import pydicom

    try:
        if os.path.getsize(path) == 0:
            return None
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=HEADER_TAGS)
    except Exception:  # unreadable here: the per-file path reports it with its reason
        return None
    if not is_head_mr(ds):
        return None
    uid = str(ds.get("SeriesInstanceUID", "") or "").strip()
    return f"series:{uid}" if uid else f"folder:{os.path.dirname(path)}"


def series_units(job: DeidJob, files: list[str]) -> list[str | tuple[str, ...]]:
    """Files in input order, the files of each head MR series gathered into one unit at the place of its first."""
    from radbank.parallel import map_parallel

    keys = list(map_parallel(head_mr_series, files, workers=job.workers))
    members: dict[str, list[str]] = {}
    for path, key in zip(files, keys, strict=True):
        if key:
            members.setdefault(key, []).append(path)
    units: list[str | tuple[str, ...]] = []
    for path, key in zip(files, keys, strict=True):
        if not key:
            units.append(path)
        elif members[key][0] == path:
            units.append(tuple(members[key]))
    return units


def deface_threads(job: DeidJob, n_units: int) -> int:
    """Threads per defacing process: this machine's cores shared among the processes that run at once."""
    from radbank.parallel import MIN_PARALLEL_ITEMS, default_workers

    if job.executor != "local":
        return job.deface_threads
    cores = default_workers()
    processes = 1 if n_units < MIN_PARALLEL_ITEMS else min(n_units, job.workers or cores)
    return max(1, cores // max(1, processes))


@dataclass
class _File:
    """One file of a series on its way: its result once settled, else its item; what pydicom said reading it."""

    path: str
    source: str
    found: Found = field(default_factory=Found)
    result: FileResult | None = None
    item: Item | None = None
    said: list[str] = field(default_factory=list)

    def settle(self, status: str, reason: str, output: str = "") -> None:
        self.result, self.item = FileResult(self.source, status, reason, output), None


def deidentify_series(job: DeidJob, paths: list[str]) -> list[tuple[FileResult, Found]]:
    """Deface one head MR series and de-identify its files (worker side); see the module docstring. Never raises
    for bad input: a file that cannot be read is skipped with its reason, and the series goes on without it."""
    started = time.perf_counter()
    files = [_File(p, printable(os.path.relpath(p, job.input))) for p in paths]
    try:
        _headers(job, files)
        _deface_and_publish(job, files)
    except Exception as exc:  # a bug or an exotic series must not stop the batch, nor publish a face
        for f in files:
            if f.result is not None and f.result.staged:
                Path(f.result.staged).unlink(missing_ok=True)
            if f.result is None or f.result.status in ("written", "quarantined"):  # nothing of it is published
                f.settle("skipped", f"error while defacing its series ({type(exc).__name__}: {exc})"[:300])
    seconds = (time.perf_counter() - started) / max(1, len(files))
    out = []
    for f in files:
        result = f.result or FileResult(f.source, "skipped", "not processed")  # every path settles it: a guard
        result.seconds, result.warnings = seconds, list(dict.fromkeys(f.said))
        out.append((result, f.found))
    return out


def _read(f: _File, pixels: bool) -> Any:
    """The file's dataset (headers only unless `pixels`), or None after settling it as skipped with the reason."""
    import pydicom

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = pydicom.dcmread(f.path, stop_before_pixels=not pixels) if os.path.getsize(f.path) else None
            reason = "empty file (0 bytes)"
        except Exception as exc:  # pydicom raises many types for damaged files
            ds, first = None, str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            reason = f"not a readable DICOM file ({first})"
    f.said += [" ".join(str(w.message).split()) for w in caught]
    if ds is None:
        f.settle("skipped", reason)
    return ds


def _headers(job: DeidJob, files: list[_File]) -> None:
    """Headers of every file: its identifying values (for the audit) and planned output; duplicates settled."""
    from radbank.anonymize.dicom import Deidentifier

    deid, _ = tools(job)
    first_of: dict[str, str] = {}  # planned output -> the first input that has it
    for f in files:
        ds = _read(f, pixels=False)
        if ds is None:
            continue
        f.found = Found(Deidentifier.patient_key(ds))
        f.found.identifiers.add_dataset(ds, uids=True)
        target = planned_output(deid, ds)
        if target in first_of:
            reason = f"duplicate SOP Instance UID: {first_of[target]} has the same one (and the same output)"
            f.settle("skipped", reason)
            continue
        first_of[target] = f.source
        f.item = Item(ds, f.source, target, f.found.identifiers)


def _published_defaced(path: Path) -> bool:
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["RecognizableVisualFeatures"])
    except Exception:  # missing or damaged: written again
        return False
    return str(ds.get("RecognizableVisualFeatures", "") or "").strip().upper() == "NO"


def _deface_and_publish(job: DeidJob, files: list[_File]) -> None:
    """Files already published defaced are resumed; the others are defaced with their series (all of its slices)
    and sent through the per-file path (publish). A file whose pixel data would not decode is left out of the
    volume and quarantined with its reason: never published."""
    items = {n: f.item for n, f in enumerate(files) if f.item is not None}
    done = {n for n, item in items.items() if _published_defaced(Path(job.output) / item.target)}
    if len(done) < len(items):
        broken = _read_pixels(files)
        todo = {n: f.item for n, f in enumerate(files) if f.item is not None and n not in done}
        _publish_defaced(job, files, todo, broken)
    for n in done:
        files[n].settle("resumed", "already de-identified and defaced", items[n].target)


def _publish_defaced(job: DeidJob, files: list[_File], todo: dict[int, Item], broken: dict[int, str]) -> None:
    """Deface the series (every readable slice) when a file to publish needs it, then publish `todo`."""
    deid, rules = tools(job)
    hold, method, face = "", "", ""
    notes: list[str] = []
    if any(n not in broken for n in todo):
        whole = [f.item.ds for n, f in enumerate(files) if f.item is not None and n not in broken]
        hold, method, face, notes = _deface(job, whole)
    for n, item in todo.items():
        if n in broken:
            held = replace(item, hold="face not removed (left out of its series' volume)", face="not removed")
            files[n].result = publish_undecodable(job, deid, held, broken[n])
            continue
        result = publish(job, deid, rules, replace(item, hold=hold, defaced_by=method, face=face or "not removed"))
        if notes and result.status == "written":
            result.reason = "; ".join(r for r in (result.reason, *notes) if r)
        files[n].result = result


def _read_pixels(files: list[_File]) -> dict[int, str]:
    """Read every file with its pixels; return the files whose pixel data would not decode, with the reason."""
    from radbank.anonymize.decodable import pixel_problem

    broken: dict[int, str] = {}
    for n, f in enumerate(files):
        ds = _read(f, pixels=True) if f.item is not None else None
        if f.item is None or ds is None:
            continue
        problem = pixel_problem(ds)
        if problem and "PixelData" not in ds:
            f.settle("skipped", problem)
            continue
        f.item = replace(f.item, ds=ds)
        if problem:
            broken[n] = problem
    return broken


def _deface(job: DeidJob, datasets: list[Any]) -> tuple[str, str, str, list[str]]:
    """Deface the series in place: (hold reason, method used, the report's word on the face, notes)."""
    from radbank.anonymize.deface.dicom_series import SeriesProblem, deface_series

    try:
        _, result = deface_series(datasets, job.deface_method, ears=job.ears, threads=job.deface_threads)
    except SeriesProblem as exc:
        return f"face not removed (the series cannot be defaced: {exc})", "", "", []
    qc = result.qc
    if not qc.passed:
        return f"face not removed (defacing failed QC: {'; '.join(qc.reasons)})", "", "", result.notes
    face = (
        f"removed ({result.method}; {qc.face_skin_removed:.1%} of the face surface, "
        f"{qc.brain_changed} brain voxels changed)"
    )
    return "", result.method, face, result.notes
