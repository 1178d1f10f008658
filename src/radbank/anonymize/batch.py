"""De-identifying a folder tree of DICOM files: in parallel processes or on a Dask cluster, resumably.

`deidentify_file` is the one per-file function, run by either executor; it never raises for a bad file,
it returns why. Outputs are written atomically under pseudonymous names (`<patient>/<study UID>/<SOP UID>.dcm`),
so a rerun skips what is done and a crash leaves no file that looks complete. Nothing from IN reaches OUT
unless it went through the profile: unreadable files are skipped, suspect images are quarantined, and so are
images whose pixel data would not decode (decodable.py), unless the job keeps them as they are.
A worker writes its file under a hidden name of its own beside the final place; the main process, taking
results in input order, publishes it (a rename) or, when an earlier input already produced that output (the
same SOP Instance UID twice), drops it and reports both inputs: the same result with any number of workers.
The report, the quarantine and anything naming input files live in WORK (default `<OUT>.deid`), never in OUT.

Head MR images show a face (`faces`). By default (`quarantine`) each is quarantined with the reason: never
published with its face. `deface`: the headers are read first (without pixels) and the files of each head MR
series become one unit of work (anonymize/deface/deid_series.py), which defaces the series and then sends every
file through the same per-file path; the unit takes the place of its first file in input order and returns one
result per file, published like any other. `keep` publishes them as they are (a site whose policy allows it).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import KW_ONLY, asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from radbank.anonymize.decodable import pixel_problem
from radbank.anonymize.dicom import Deidentifier, save
from radbank.anonymize.identifiers import IdentifierSet, InputIdentifiers
from radbank.anonymize.keys import Keyed
from radbank.anonymize.profile import Options
from radbank.anonymize.rules import SitePolicy
from radbank.errors import RadbankError
from radbank.fsutil import is_hidden, read_json, write_json

log = logging.getLogger(__name__)

MARKER = ".radbank-deid.json"  # in OUT: which key (fingerprint only) and options wrote it
STAGE_SUFFIX = ".stage"  # a worker's finished output, waiting for the main process to publish it
EXECUTORS = ("local", "dask")
FACES = ("quarantine", "deface", "keep")  # what becomes of head MR images (they show a face)
FACE_NOT_REMOVED = "face not removed (head MR image; defacing was not asked for)"


@dataclass(frozen=True)
class DeidJob:
    """A de-identification run: what to read, where to write, how. Workers get it too (the key's path,
    never its bytes)."""

    input: str
    output: str
    key_file: str
    _: KW_ONLY  # the settings by name: a new one cannot shift the others
    options: Options = field(default_factory=Options)
    policy_file: str | None = None  # site policy (rules.SitePolicy)
    work: str | None = None  # reports and quarantine; default <output>.deid
    workers: int = 0  # local processes (0: all cores)
    executor: str = "local"  # local or dask
    scheduler: str | None = None  # the Dask scheduler's address
    scheduler_timeout: float = 30.0  # seconds to reach it
    ocr: bool = False
    strict_pixels: bool = False
    pixel_rules: tuple[str, ...] = ()  # extra burned-in text recipes
    keep_undecodable: bool = False  # publish pixel data that would not decode, as it is (the report says so)
    faces: str = "quarantine"  # head MR images: quarantine, deface (series by series) or keep (publish the face)
    deface_method: str = "unet"  # with faces="deface": unet or template (anonymize.deface.core.METHODS)
    ears: bool = False  # with faces="deface": remove the ears too
    deface_threads: int = 2  # torch/ITK threads per defacing process (run_batch sets it from the workers)

    @property
    def work_dir(self) -> Path:
        out = Path(self.output)
        return Path(self.work) if self.work else out.with_name(out.name + ".deid")

    @property
    def quarantine(self) -> Path:
        return self.work_dir / "quarantine"


@dataclass
class FileResult:
    """What happened to one input file."""

    source: str  # path relative to IN, printable (stays in WORK: may name a patient)
    status: str  # written, resumed, quarantined, skipped
    reason: str = ""
    output: str = ""  # relative to OUT (or to the quarantine)
    redacted_pixels: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)  # what pydicom said while reading it
    staged: str = ""  # the finished file waiting to be published (the main process renames or drops it)
    face: str = ""  # head MR images: "removed (<method>)", "not removed" or "kept"


@dataclass
class BatchReport:
    """A run over a tree."""

    input: str
    output: str
    work: str
    key_fingerprint: str
    options: dict[str, bool]
    executor: str
    policy: str | None = None
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    files: list[FileResult] = field(default_factory=list)
    audit: dict[str, Any] | None = None
    inputs: InputIdentifiers = field(default_factory=InputIdentifiers, repr=False)  # for the audit; never written

    def to_dict(self) -> dict[str, Any]:
        data = asdict(replace(self, inputs=InputIdentifiers()))
        del data["inputs"]
        return data


def printable(path: str) -> str:
    """A path as text that can be printed and written as UTF-8 (undecodable bytes as \\xNN escapes)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@cache
def _tools(job: DeidJob, mtime: float) -> tuple[Deidentifier, list[Any]]:
    """Per process: the key is read once, the policy and rules parsed once."""
    from radbank.anonymize.pixels import load_rules

    policy = SitePolicy.load(job.policy_file) if job.policy_file else SitePolicy()
    return Deidentifier(Keyed.from_file(job.key_file), job.options, policy), load_rules(list(job.pixel_rules))


@dataclass
class Found:
    """What a worker learnt of an input's identity, for the audit: never written anywhere."""

    patient: str = ""
    identifiers: IdentifierSet = field(default_factory=IdentifierSet)


Unit = tuple[DeidJob, str | tuple[str, ...]]  # one file, or the files of one head MR series (faces="deface")


def deidentify_unit(task: Unit) -> list[tuple[FileResult, Found]]:
    """One unit of work (worker side): a file, or a head MR series defaced, then de-identified file by file; one
    result per file, in input order. Never raises for bad input."""
    job, what = task
    if isinstance(what, str):
        return [deidentify_file((job, what))]
    from radbank.anonymize.deface.deid_series import deidentify_series

    return deidentify_series(job, list(what))


def deidentify_file(task: tuple[DeidJob, str]) -> tuple[FileResult, Found]:
    """De-identify one file (worker side). Never raises for a bad file; returns why instead."""
    job, path = task
    started = time.perf_counter()
    source = printable(os.path.relpath(path, job.input))
    found = Found()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = _deidentify(job, path, source, found)
        except Exception as exc:  # a bug or an exotic file must not stop the batch, nor leak it
            result = FileResult(source, "skipped", f"error while de-identifying ({type(exc).__name__}: {exc})"[:300])
    result.warnings = list(dict.fromkeys(" ".join(str(w.message).split()) for w in caught))
    result.seconds = time.perf_counter() - started
    return result, found


def _deidentify(job: DeidJob, path: str, source: str, found: Found) -> FileResult:
    import pydicom
    from pydicom.errors import InvalidDicomError

    if os.path.getsize(path) == 0:
        return FileResult(source, "skipped", "empty file (0 bytes)")
    try:
        ds = pydicom.dcmread(path)
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError) as exc:
        first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        return FileResult(source, "skipped", f"not a readable DICOM file ({first})")
    found.patient = Deidentifier.patient_key(ds)  # a file not published may still name its patient's values
    found.identifiers.add_dataset(ds, uids=True)
    problem = pixel_problem(ds)
    if problem and "PixelData" not in ds:
        return FileResult(source, "skipped", problem)
    deid, rules = tools(job)
    item = Item(ds, source, planned_output(deid, ds), found.identifiers)
    if (Path(job.output) / item.target).exists():
        return FileResult(source, "resumed", "already de-identified", item.target)
    item = _face_rule(job, item)  # head MR images (a defaced series comes as one unit, not file by file)
    if problem:
        return publish_undecodable(job, deid, item, problem)
    return publish(job, deid, rules, item)


def tools(job: DeidJob) -> tuple[Deidentifier, list[Any]]:
    """The job's Deidentifier and pixel rules, made once per process (again when the key file changes)."""
    return _tools(job, os.path.getmtime(job.key_file))


@dataclass(frozen=True)
class Item:
    """One input file being de-identified: its dataset, name, planned output and identifying values; `hold`: a
    reason to quarantine it whatever its pixels; `defaced_by`: the method that removed its face; `face`: the
    report's word on its face (head MR images)."""

    ds: Any
    source: str
    target: str
    identifiers: IdentifierSet
    hold: str = ""
    defaced_by: str = ""
    face: str = ""


def _face_rule(job: DeidJob, item: Item) -> Item:
    """A head MR image met file by file: held for the quarantine with the reason, or kept when the job says so."""
    from radbank.anonymize.deface.heads import is_head_mr

    if not is_head_mr(item.ds):
        return item
    if job.faces == "keep":
        return replace(item, face="kept")
    why = FACE_NOT_REMOVED if job.faces != "deface" else "face not removed (its header was not read with its series)"
    return replace(item, hold=why, face="not removed")


def publish(job: DeidJob, deid: Deidentifier, rules: list[Any], item: Item) -> FileResult:
    """Pixels (rules, OCR), header de-identification, then the staged file (worker side)."""
    from radbank.anonymize.pixels import decide, redact, remaining_text

    decision = decide(item.ds, rules, job.ocr, job.strict_pixels)
    if item.hold:
        decision.status = "quarantine"
        decision.reasons.insert(0, item.hold)
    redacted = redact(item.ds, decision.boxes) if decision.status == "redact" else 0
    if redacted and job.ocr:  # verify: redaction must leave nothing identifying legible, else do not publish
        left = remaining_text(item.ds, item.identifiers)
        if left:
            decision.status = "quarantine"
            decision.reasons.append(f"{len(left)} possibly identifying word(s) still legible after redaction")
    deid.deidentify(item.ds, pixels_cleaned=redacted > 0, identifiers=item.identifiers)
    if item.defaced_by:
        from radbank.anonymize.deface.dicom_series import mark_defaced

        mark_defaced(item.ds, item.defaced_by)
    status = "quarantined" if decision.status == "quarantine" else "written"
    staged = _stage(job, item, quarantine=status == "quarantined")
    return FileResult(
        item.source, status, "; ".join(decision.reasons), item.target, redacted, staged=staged, face=item.face
    )


def publish_undecodable(job: DeidJob, deid: Deidentifier, item: Item, problem: str) -> FileResult:
    """Header de-identified; pixel data as it is: quarantined, or published when the job says so."""
    deid.deidentify(item.ds, identifiers=item.identifiers)
    if job.keep_undecodable and not item.hold:
        reason = f"{problem}; published as it is (keep undecodable)"
        return FileResult(
            item.source, "written", reason, item.target, staged=_stage(job, item, quarantine=False), face=item.face
        )
    reason = "; ".join(r for r in (item.hold, problem) if r)
    return FileResult(
        item.source, "quarantined", reason, item.target, staged=_stage(job, item, quarantine=True), face=item.face
    )


def _stage(job: DeidJob, item: Item, quarantine: bool) -> str:
    """Write the finished file beside its final place under a name of its own (hidden, per input), so
    that two inputs that map to one output never write the same file; the main process publishes it."""
    final = (job.quarantine if quarantine else Path(job.output)) / item.target
    tag = hashlib.sha256(item.source.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    staged = final.with_name(f".{final.name}.{tag}{STAGE_SUFFIX}")
    # No temporary name of its own: a staged file is only published (renamed) once this worker has returned,
    # and one a crash left half-written is dropped by the next run.
    if not staged.parent.is_dir():
        staged.parent.mkdir(parents=True, exist_ok=True)
    try:
        save(item.ds, staged)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return str(staged)


def planned_output(deid: Deidentifier, ds: Any) -> str:
    """The output path a dataset will get, computed before de-identifying it (for resuming)."""
    from pydicom._uid_dict import UID_dictionary  # the well-known DICOM UIDs (pydicom.uid re-exports it)

    def uid(value: Any) -> str:
        text = str(value or "").strip()
        return text if not text or text in UID_dictionary or deid.options.retain_uids else deid.keyed.uid(text)

    study = uid(ds.get("StudyInstanceUID")) or "no-study-uid"
    return f"{deid.patient_pseudonym(ds)}/{study}/{uid(ds.get('SOPInstanceUID')) or 'no-sop-uid'}.dcm"


def input_files(in_dir: Path, out_dir: Path, work: Path) -> list[Path]:
    """Every regular, non-hidden file under IN (never anything under OUT or WORK)."""
    skip = [out_dir.resolve(), work.resolve()]
    files = []
    for f in sorted(in_dir.rglob("*")):
        if not f.is_file() or is_hidden(f.relative_to(in_dir)):
            continue
        resolved = f.resolve()
        if any(resolved.is_relative_to(s) for s in skip):
            continue
        files.append(f)
    return files


def check_marker(out_dir: Path, keyed: Keyed, options: Options, policy: SitePolicy) -> None:
    """Refuse to mix two keys, option sets or site policies in one OUT (pseudonyms would not match)."""
    marker = out_dir / MARKER
    mine: dict[str, Any] = {"key_fingerprint": keyed.fingerprint(), "options": options.to_dict()}
    if policy.actions:
        mine["policy"] = {f"{t:08X}": a for t, a in sorted(policy.actions.items())}
    if marker.exists():
        previous = read_json(marker)
        if previous.get("key_fingerprint") != mine["key_fingerprint"]:
            raise RadbankError(f"{out_dir}: written with another key; use a new output folder")
        if previous.get("options") != mine["options"] or previous.get("policy") != mine.get("policy"):
            raise RadbankError(f"{out_dir}: written with other options or site policy; use a new output folder")
    else:
        write_json(marker, mine)


def run_batch(job: DeidJob, progress: Callable[[int], None] | None = None) -> BatchReport:
    """De-identify every file under the job's input into its output; see the module docstring."""
    job = _checked(job)
    keyed = Keyed.from_file(job.key_file)
    if Keyed.loose_permissions(job.key_file):
        log.warning("%s: key file readable by others; chmod 600 it", job.key_file)
    policy = SitePolicy.load(job.policy_file) if job.policy_file else SitePolicy()
    dst = Path(job.output)
    dst.mkdir(parents=True, exist_ok=True)
    check_marker(dst, keyed, job.options, policy)
    _drop_stale_stages(dst, job.quarantine)
    started = time.perf_counter()
    units: list[str | tuple[str, ...]] = [str(f) for f in input_files(Path(job.input), dst, job.work_dir)]
    if job.faces == "deface":
        from radbank.anonymize.deface.deid_series import deface_threads, series_units

        units = series_units(job, [str(u) for u in units])
        job = replace(job, deface_threads=deface_threads(job, len(units)))
    report = BatchReport(
        job.input,
        job.output,
        str(job.work_dir),
        keyed.fingerprint(),
        job.options.to_dict(),
        job.executor,
        policy=policy.source or None,
    )
    claimed: dict[str, str] = {}  # output -> the input that produced it (first in input order wins)
    for results in _execute([(job, u) for u in units], job):
        for result, found in results:
            report.files.append(_commit(result, claimed, job))
            if found.patient:
                report.inputs.add(result.source, found.patient, found.identifiers)
            _log(result)
            if progress:
                progress(1)
    report.seconds = time.perf_counter() - started
    for status in ("written", "resumed", "quarantined", "skipped"):
        report.counts[status] = sum(1 for r in report.files if r.status == status)
    write_json(job.work_dir / "deid-report.json", report.to_dict())
    return report


def _checked(job: DeidJob) -> DeidJob:
    """The job with absolute paths, or a RadbankError saying which value is wrong."""
    from radbank.anonymize.pixels import ocr_available

    src, dst = Path(job.input), Path(job.output)
    if not src.is_dir():
        raise RadbankError(f"{src}: input folder not found")
    if dst.resolve() == src.resolve() or src.resolve().is_relative_to(dst.resolve()):
        raise RadbankError(f"{dst}: the output folder must not contain the input folder")
    if job.work_dir.resolve().is_relative_to(dst.resolve()):
        raise RadbankError(f"{job.work_dir}: the work folder (reports, quarantine) must be outside the output folder")
    if job.ocr and not ocr_available():
        raise RadbankError("OCR asked for, but tesseract is not installed (Debian: apt-get install tesseract-ocr)")
    if job.executor not in EXECUTORS:
        raise RadbankError(f"unknown executor {job.executor!r}; choose local or dask")
    if job.executor == "dask" and not job.scheduler:
        raise RadbankError("the dask executor needs a scheduler address (e.g. tcp://10.0.0.5:8786)")
    if job.faces not in FACES:
        raise RadbankError(f"unknown faces policy {job.faces!r}; choose one of {', '.join(FACES)}")
    if job.deface_method not in ("unet", "template"):
        raise RadbankError(f"unknown defacing method {job.deface_method!r}; choose unet or template")
    return replace(
        job,
        input=str(src.resolve()),
        output=str(dst.resolve()),
        key_file=str(Path(job.key_file).resolve()),
        work=str(job.work_dir.resolve()),
        policy_file=str(Path(job.policy_file).resolve()) if job.policy_file else None,
        pixel_rules=tuple(str(Path(r).resolve()) for r in job.pixel_rules),
    )


def _drop_stale_stages(*roots: Path) -> None:
    """Staged files a killed run left behind (never published: the next run writes them again)."""
    for root in roots:
        if root.is_dir():
            for stale in root.rglob(f".*{STAGE_SUFFIX}"):
                stale.unlink(missing_ok=True)


def _commit(result: FileResult, claimed: dict[str, str], job: DeidJob) -> FileResult:
    """Publish a staged file unless an earlier input (in input order) already produced that output: then the
    file is an error naming both inputs (the same SOP Instance UID twice), whatever the number of workers."""
    key = f"{result.status == 'quarantined'}:{result.output}"
    staged, result.staged = result.staged, ""
    if result.output and key in claimed:
        if staged:
            Path(staged).unlink(missing_ok=True)
        reason = f"duplicate SOP Instance UID: {claimed[key]} has the same one (and the same output)"
        return replace(result, status="skipped", output="", reason=reason)
    if result.output:
        claimed[key] = result.source
    if staged:
        final = (job.quarantine if result.status == "quarantined" else Path(job.output)) / result.output
        os.replace(staged, final)
    return result


def _log(result: FileResult) -> None:
    if result.warnings:
        more = f" (+{len(result.warnings) - 1} more)" if len(result.warnings) > 1 else ""
        log.warning("%s: pydicom: %s%s", result.source, result.warnings[0][:200], more)
    if result.status == "skipped":
        log.warning("%s: %s (skipped)", result.source, result.reason)
    elif result.status == "quarantined":
        log.warning("%s: quarantined: %s", result.source, result.reason)


def _execute(tasks: list[Unit], job: DeidJob) -> Iterator[list[tuple[FileResult, Found]]]:
    """Results of each unit, in input order, whichever executor runs them."""
    if job.executor == "local":
        from radbank.parallel import map_parallel

        yield from map_parallel(deidentify_unit, tasks, workers=job.workers)
        return
    try:
        from dask.distributed import Client
    except ImportError:
        raise RadbankError("the dask executor needs dask[distributed] (pip install 'radbank[dask]')") from None
    connect: Any = Client  # dask's API has no type hints
    try:
        client = connect(job.scheduler, timeout=job.scheduler_timeout)
    except OSError as exc:
        raise RadbankError(f"cannot reach the Dask scheduler at {job.scheduler} ({exc})") from None
    try:
        futures = client.map(deidentify_unit, tasks, pure=False)
        for future in futures:
            yield future.result()
    finally:
        client.close()
