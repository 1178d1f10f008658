"""`radbank deface`: run over the tasks of inputs.plan, resumably, one line per problem, quarantine on QC failure.

Each task runs in `run_task`, which never raises for a bad input (it returns why). Outputs are written atomically,
so a rerun skips what is done (status `resumed`). A volume whose QC fails goes to `<WORK>/quarantine/`, never to
OUT. WORK (default `<OUT>.deface` beside OUT) also gets `report.json`; QC pages go to `qc_dir` when given.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from radbank.anonymize.deface.core import DefaceOptions, DefaceResult
from radbank.anonymize.deface.inputs import Plan, Task, plan, shown
from radbank.errors import BadInput, RadbankError
from radbank.fsutil import atomic_path, write_json, write_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DefaceJob:
    """Settings every task shares (a key's path, never its bytes)."""

    method: str = "unet"
    ears: bool = False
    quarantine: str = ""
    qc_dir: str | None = None
    threads: int = 2
    key_file: str | None = None


@dataclass
class VolumeResult:
    """What happened to one volume, series or copied file."""

    source: str
    status: str  # written, resumed, copied, quarantined, skipped
    reason: str = ""
    output: str = ""
    method: str = ""
    contrast: str | None = None
    qc: dict[str, Any] | None = None
    qc_page: str = ""
    seconds: float = 0.0


@dataclass
class DefaceReport:
    input: str
    output: str
    work: str
    kind: str
    method: str
    ears: bool
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    volumes: list[VolumeResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        parts = ", ".join(f"{n} {k}" for k, n in self.counts.items() if n)
        return f"{self.output}: {parts or 'nothing to do'} in {self.seconds:.1f}s"


def qc_name(rel: str) -> str:
    """A file name for a volume's QC page (letters, digits, dots, dashes)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", rel.replace(os.sep, "__")).strip("_")[:180] or "volume"


def qc_facts(result: DefaceResult) -> dict[str, Any]:
    """The facts a QC page shows besides the QC figures."""
    return {
        "method requested": result.requested,
        "method used": result.method,
        "contrast": result.contrast or "unknown",
        "notes": " | ".join(result.notes) or "-",
        "seconds": ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items()),
    }


def _deface_nifti(job: DefaceJob, task: Task) -> VolumeResult:
    import numpy as np

    from radbank.anonymize.deface.checks import volume_problem
    from radbank.anonymize.deface.core import deface_array
    from radbank.anonymize.deface.nifti import defaced_bytes, read_nifti, write_nifti

    if Path(task.output).exists():
        return VolumeResult(task.rel, "resumed", "already defaced", task.output)
    try:
        vol = read_nifti(task.sources[0])
    except BadInput as exc:
        return VolumeResult(task.rel, "skipped", exc.reason)
    problem = volume_problem(vol.raw.shape, vol.affine)
    if problem:
        return VolumeResult(task.rel, "skipped", problem)
    data = vol.scaled().reshape(vol.raw.shape[:3])
    result = deface_array(data, vol.affine, job.method, ears=job.ears, contrast=task.contrast, threads=job.threads)
    out = VolumeResult(
        task.rel, "written", "; ".join(result.notes), task.output, result.method, result.contrast, result.qc.to_dict()
    )
    if job.qc_dir:
        from radbank.anonymize.deface.render import write_qc

        out.qc_page = str(
            write_qc(
                Path(job.qc_dir),
                qc_name(task.rel),
                data,
                result.removed,
                vol.affine,
                qc=result.qc,
                facts=qc_facts(result),
            )
        )
    payload = defaced_bytes(vol, np.asarray(result.removed))
    if not result.qc.passed:
        out.status, out.output = "quarantined", str(Path(job.quarantine) / task.rel)
        out.reason = "; ".join([*result.qc.reasons, *result.notes])
    write_nifti(out.output, payload)
    return out


def _copy(task: Task) -> VolumeResult:
    src, dst = Path(task.sources[0]), Path(task.output)
    if dst.exists() and dst.stat().st_size == src.stat().st_size:
        return VolumeResult(task.rel, "resumed", "already copied", task.output)
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)
    return VolumeResult(task.rel, "copied", "", task.output)


@cache
def _deidentifier(key_file: str, mtime: float) -> Any:
    from radbank.anonymize.dicom import Deidentifier
    from radbank.anonymize.keys import Keyed

    return Deidentifier(Keyed.from_file(key_file))


def run_task(task_and_job: tuple[Task, DefaceJob]) -> VolumeResult:
    """One task (worker side). Never raises for a bad input; returns why instead."""
    task, job = task_and_job
    started = time.perf_counter()
    try:
        if task.kind == "copy":
            result = _copy(task)
        elif task.kind == "dicom":
            from radbank.anonymize.deface.dicom_batch import deface_dicom_task

            assert job.key_file is not None
            deid = _deidentifier(job.key_file, os.path.getmtime(job.key_file))
            result = deface_dicom_task(task, job, deid)
        else:
            result = _deface_nifti(job, task)
    except Exception as exc:  # a bad file or a bug must not stop the batch, nor leak a face
        result = VolumeResult(task.rel, "skipped", f"error while defacing ({type(exc).__name__}: {exc})"[:300])
    result.seconds = round(time.perf_counter() - started, 3)
    result.output, result.qc_page = shown(result.output), shown(result.qc_page)
    return result


def run_deface(
    in_path: str | Path,
    out_path: str | Path,
    options: DefaceOptions | None = None,
    *,
    qc_dir: str | Path | None = None,
    key_file: str | Path | None = None,
    work: str | Path | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> DefaceReport:
    """Deface IN into OUT (see inputs.py for the kinds of IN); per-volume problems are reported, not raised."""
    from radbank.parallel import default_workers, map_parallel

    how = options or DefaceOptions()
    method, ears = how.method, how.ears
    src, dst = Path(in_path), Path(out_path)
    if src.exists() and dst.exists() and dst.resolve() == src.resolve():
        raise RadbankError(f"{dst}: the output must differ from the input")
    if src.is_dir() and (dst.resolve().is_relative_to(src.resolve()) or src.resolve().is_relative_to(dst.resolve())):
        raise RadbankError(f"{dst}: the output folder must not contain, or be inside, the input folder")
    work_dir = Path(work) if work else dst.with_name(dst.name + ".deface")
    the_plan = plan(src, dst, [work_dir] + ([Path(qc_dir)] if qc_dir else []))
    key = _check_key(the_plan, dst, key_file)
    workers = default_workers() if workers <= 0 else workers
    job = DefaceJob(
        method,
        ears,
        str((work_dir / "quarantine").resolve()),
        str(Path(qc_dir).resolve()) if qc_dir else None,
        max(1, default_workers() // workers),
        key,
    )
    report = DefaceReport(str(src), str(dst), str(work_dir), the_plan.kind, method, ears)
    report.volumes += [VolumeResult(rel, "skipped", reason) for rel, reason in the_plan.skipped]
    for rel, reason in the_plan.skipped:
        log.warning("%s: %s (skipped)", rel, reason)
    started = time.perf_counter()
    for result in map_parallel(run_task, [(t, job) for t in the_plan.tasks], workers=workers):
        report.volumes.append(result)
        _log(result)
        if progress:
            progress(1)
    report.seconds = round(time.perf_counter() - started, 2)
    for status in ("written", "resumed", "copied", "quarantined", "skipped"):
        report.counts[status] = sum(1 for r in report.volumes if r.status == status)
    _finish(report, work_dir, qc_dir)
    return report


def _check_key(the_plan: Plan, dst: Path, key_file: str | Path | None) -> str | None:
    if the_plan.kind != "dicom":
        return None
    if not key_file:
        raise RadbankError("DICOM input: a key is needed to de-identify the headers (as for `anonymize dicom`)")
    from radbank.anonymize.batch import check_marker
    from radbank.anonymize.keys import Keyed
    from radbank.anonymize.profile import Options
    from radbank.anonymize.rules import SitePolicy

    keyed = Keyed.from_file(key_file)
    if Keyed.loose_permissions(key_file):
        log.warning("%s: key file readable by others; chmod 600 it", key_file)
    dst.mkdir(parents=True, exist_ok=True)
    check_marker(dst, keyed, Options(), SitePolicy())
    return str(Path(key_file).resolve())


def _log(result: VolumeResult) -> None:
    if result.status == "skipped":
        log.warning("%s: %s (skipped)", result.source, result.reason)
    elif result.status == "quarantined":
        log.warning("%s: quarantined: %s", result.source, result.reason)
    elif result.reason:
        log.warning("%s: %s", result.source, result.reason)


def _finish(report: DefaceReport, work_dir: Path, qc_dir: str | Path | None) -> None:
    write_json(work_dir / "report.json", report.to_dict())
    if qc_dir:
        from radbank.anonymize.deface.render import index_page

        rows = []
        for v in report.volumes:
            if v.qc is not None:
                rows.append(
                    {
                        "volume": v.source,
                        "status": v.status,
                        "method": v.method,
                        "reason": v.reason,
                        "page": Path(v.qc_page).name if v.qc_page else "",
                        **v.qc,
                    }
                )
        write_text(Path(qc_dir) / "index.html", index_page(rows))
