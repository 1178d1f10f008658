"""A DICOM MR series through `radbank deface`: read, deface (dicom_series), de-identify the headers exactly as
`radbank anonymize dicom` does (its Deidentifier, output names and File Meta writer), write atomically.

Outputs go to `<OUT>/<patient pseudonym>/<study UID>/<SOP UID>.dcm`, the layout of `anonymize dicom`, so that the
two commands can fill one output folder under one key. A series whose QC fails goes to the quarantine instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from radbank.anonymize.deface.dicom_series import SeriesProblem, deface_series, mark_defaced
from radbank.fsutil import atomic_path

if TYPE_CHECKING:
    from radbank.anonymize.deface.batch import DefaceJob, VolumeResult
    from radbank.anonymize.deface.inputs import Task


def planned_outputs(deid: Any, paths: tuple[str, ...]) -> list[str]:
    """Where each file of a series will go (computed from headers, before any work: for resuming)."""
    import pydicom

    from radbank.anonymize.batch import planned_output

    return [planned_output(deid, pydicom.dcmread(p, stop_before_pixels=True)) for p in paths]


def write_series(datasets: list[Any], deid: Any, root: Path, method: str) -> list[str]:
    """De-identify each dataset's header (pixels are already defaced), record the option, write atomically."""
    from radbank.anonymize.batch import planned_output
    from radbank.anonymize.dicom import save

    written = []
    for ds in datasets:
        target = planned_output(deid, ds)
        deid.deidentify(ds)
        mark_defaced(ds, method)
        with atomic_path(root / target) as tmp:
            save(ds, tmp)
        written.append(target)
    return written


def deface_dicom_task(task: Task, job: DefaceJob, deid: Any) -> VolumeResult:
    """Deface one series task; never raises for a bad series."""
    import pydicom

    from radbank.anonymize.deface.batch import VolumeResult, qc_facts, qc_name

    out_root = Path(task.output)
    targets = planned_outputs(deid, task.sources)
    if all((out_root / t).exists() for t in targets):
        return VolumeResult(task.rel, "resumed", "already defaced", str(out_root / Path(targets[0]).parent))
    datasets = [pydicom.dcmread(p) for p in task.sources]
    try:
        vol, result = deface_series(datasets, job.method, ears=job.ears, threads=job.threads)
    except SeriesProblem as exc:
        return VolumeResult(task.rel, "skipped", str(exc))
    name = qc_name(str(Path(targets[0]).parent))  # pseudonymous: patient pseudonym and new study UID
    out = VolumeResult(
        task.rel,
        "written",
        "; ".join(result.notes),
        str(out_root / Path(targets[0]).parent),
        result.method,
        result.contrast,
        result.qc.to_dict(),
    )
    if job.qc_dir:
        from radbank.anonymize.deface.render import write_qc

        out.qc_page = str(
            write_qc(
                Path(job.qc_dir), name, vol.scaled, result.removed, vol.affine, qc=result.qc, facts=qc_facts(result)
            )
        )
    root = out_root
    if not result.qc.passed:
        root = Path(job.quarantine)
        out.status, out.output = "quarantined", str(root / Path(targets[0]).parent)
        out.reason = "; ".join([*result.qc.reasons, *result.notes])
    write_series(vol.datasets, deid, root, result.method)
    return out
