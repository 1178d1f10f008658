"""De-identifying a folder tree of DICOM files: in parallel processes or on a Dask cluster, resumably.

`deidentify_file` is the one per-file function, run by either executor; it never raises for a bad file,
it returns why. Outputs are written atomically under pseudonymous names (`<patient>/<study UID>/<SOP UID>.dcm`),
so a rerun skips what is done and a crash leaves no file that looks complete. Nothing from IN reaches OUT
unless it went through the profile: unreadable files are skipped, suspect images are quarantined.
The report, the quarantine and anything naming input files live in WORK (default `<OUT>.deid`), never in OUT.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from radbank.anonymize.dicom import Deidentifier, save
from radbank.anonymize.identifiers import IdentifierSet
from radbank.anonymize.keys import Keyed
from radbank.anonymize.profile import Options
from radbank.errors import RadbankError
from radbank.fsutil import atomic_path, is_hidden, read_json, write_json

log = logging.getLogger(__name__)

MARKER = ".radbank-deid.json"  # in OUT: which key (fingerprint only) and options wrote it


@dataclass(frozen=True)
class DeidJob:
    """Everything a worker needs: the key's path (never its bytes), options and where to write."""

    key_file: str
    options: Options
    out: str
    quarantine: str
    rules: tuple[str, ...] = ()
    ocr: bool = False
    strict_pixels: bool = False


@dataclass
class FileResult:
    """What happened to one input file."""

    source: str  # path relative to IN (stays in WORK: may name a patient)
    status: str  # written, resumed, quarantined, skipped
    reason: str = ""
    output: str = ""  # relative to OUT (or to the quarantine)
    redacted_pixels: int = 0
    seconds: float = 0.0


@dataclass
class BatchReport:
    """A run over a tree."""

    input: str
    output: str
    work: str
    key_fingerprint: str
    options: dict[str, bool]
    executor: str
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    files: list[FileResult] = field(default_factory=list)
    audit: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def _tools(key_file: str, mtime: float, options: Options, rules: tuple[str, ...]) -> tuple[Deidentifier, list[Any]]:
    """Per process: the key is read once, the rules parsed once."""
    from radbank.anonymize.pixels import load_rules

    return Deidentifier(Keyed.from_file(key_file), options), load_rules(list(rules))


def deidentify_file(task: tuple[DeidJob, str, str]) -> FileResult:
    """De-identify one file (worker side). Never raises for a bad file; returns why instead."""
    job, in_root, path = task
    started = time.perf_counter()
    source = os.path.relpath(path, in_root)
    try:
        result = _deidentify(job, path, source)
    except Exception as exc:  # a bug or an exotic file must not stop the batch, nor leak it
        result = FileResult(source, "skipped", f"error while de-identifying ({type(exc).__name__}: {exc})"[:300])
    result.seconds = time.perf_counter() - started
    return result


def _deidentify(job: DeidJob, path: str, source: str) -> FileResult:
    import pydicom
    from pydicom.errors import InvalidDicomError

    from radbank.anonymize.pixels import decide, redact, remaining_text

    if os.path.getsize(path) == 0:
        return FileResult(source, "skipped", "empty file (0 bytes)")
    try:
        ds = pydicom.dcmread(path)
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError) as exc:
        return FileResult(
            source,
            "skipped",
            f"not a readable DICOM file ({str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__})",
        )
    problem = pixel_problem(ds)
    if problem:
        return FileResult(source, "skipped", problem)
    deid, rules = _tools(job.key_file, os.path.getmtime(job.key_file), job.options, job.rules)
    target = planned_output(deid, ds)
    if (Path(job.out) / target).exists():
        return FileResult(source, "resumed", "already de-identified", target)
    decision = decide(ds, rules, job.ocr, job.strict_pixels)
    redacted = redact(ds, decision.boxes) if decision.status == "redact" else 0
    identifiers = None
    if redacted and job.ocr:  # verify: redaction must leave nothing identifying legible, else do not publish
        identifiers = IdentifierSet()
        identifiers.add_dataset(ds)
        left = remaining_text(ds, identifiers)
        if left:
            decision.status = "quarantine"
            decision.reasons.append(f"{len(left)} possibly identifying word(s) still legible after redaction")
    deid.deidentify(ds, pixels_cleaned=redacted > 0, identifiers=identifiers)
    if decision.status == "quarantine":
        with atomic_path(Path(job.quarantine) / target) as tmp:
            save(ds, tmp)
        return FileResult(source, "quarantined", "; ".join(decision.reasons), target)
    with atomic_path(Path(job.out) / target) as tmp:
        save(ds, tmp)
    return FileResult(source, "written", "; ".join(decision.reasons), target, redacted)


def planned_output(deid: Deidentifier, ds: Any) -> str:
    """The output path a dataset will get, computed before de-identifying it (for resuming)."""
    from pydicom.uid import UID_dictionary

    def uid(value: Any) -> str:
        text = str(value or "").strip()
        return text if not text or text in UID_dictionary or deid.options.retain_uids else deid.keyed.uid(text)

    return f"{deid.patient_pseudonym(ds)}/{uid(ds.get('StudyInstanceUID'))}/{uid(ds.get('SOPInstanceUID'))}.dcm"


NATIVE_SYNTAXES = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"}


@lru_cache(maxsize=64)
def _syntax_problem(syntax: str) -> str | None:
    """Why pixel data in a transfer syntax cannot be decoded here (None when it can)."""
    from pydicom.pixels import get_decoder

    try:
        decoder = get_decoder(syntax)
    except NotImplementedError:
        return f"unreadable transfer syntax {syntax}"
    if not decoder.is_available:
        return f"transfer syntax {syntax} has no installed decoder"
    return None


def pixel_problem(ds: Any) -> str | None:
    """Why a dataset's pixel data cannot be published as is (None when fine)."""
    if "PixelData" not in ds:
        return "no pixel data (non-image object; not published)"
    syntax = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "") or "1.2.840.10008.1.2")
    unusable = _syntax_problem(syntax)
    if unusable:
        return unusable
    if syntax in NATIVE_SYNTAXES:
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        bits = int(ds.get("BitsAllocated", 0) or 0)
        expected = (
            int(ds.get("Rows", 0)) * int(ds.get("Columns", 0)) * frames * int(ds.get("SamplesPerPixel", 1)) * bits // 8
        )
        if expected == 0 or len(ds.PixelData) < expected:
            return f"truncated pixel data ({len(ds.PixelData)} of {expected} bytes)"
    return None


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


def check_marker(out_dir: Path, keyed: Keyed, options: Options) -> None:
    """Refuse to mix two keys or two option sets in one OUT (pseudonyms would not match)."""
    marker = out_dir / MARKER
    mine = {"key_fingerprint": keyed.fingerprint(), "options": options.to_dict()}
    if marker.exists():
        previous = read_json(marker)
        if previous.get("key_fingerprint") != mine["key_fingerprint"]:
            raise RadbankError(f"{out_dir}: written with another key; use a new output folder")
        if previous.get("options") != mine["options"]:
            raise RadbankError(f"{out_dir}: written with other options; use a new output folder")
    else:
        write_json(marker, mine)


def run_batch(
    in_dir: str | Path,
    out_dir: str | Path,
    key_file: str | Path,
    options: Options | None = None,
    work: str | Path | None = None,
    workers: int = 0,
    executor: str = "local",
    scheduler: str | None = None,
    ocr: bool = False,
    strict_pixels: bool = False,
    rules: tuple[str, ...] = (),
    progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """De-identify every file under IN into OUT; see the module docstring."""
    from radbank.anonymize.pixels import ocr_available

    options = options or Options()
    src, dst = Path(in_dir), Path(out_dir)
    if not src.is_dir():
        raise RadbankError(f"{src}: input folder not found")
    if dst.resolve() == src.resolve() or src.resolve().is_relative_to(dst.resolve()):
        raise RadbankError(f"{dst}: the output folder must not contain the input folder")
    work_dir = Path(work) if work else dst.with_name(dst.name + ".deid")
    if work_dir.resolve().is_relative_to(dst.resolve()):
        raise RadbankError(f"{work_dir}: the work folder (reports, quarantine) must be outside the output folder")
    keyed = Keyed.from_file(key_file)
    if Keyed.loose_permissions(key_file):
        log.warning("%s: key file readable by others; chmod 600 it", key_file)
    if ocr and not ocr_available():
        raise RadbankError("--ocr: tesseract is not installed (Debian: apt-get install tesseract-ocr)")
    dst.mkdir(parents=True, exist_ok=True)
    check_marker(dst, keyed, options)
    job = DeidJob(
        str(Path(key_file).resolve()),
        options,
        str(dst.resolve()),
        str((work_dir / "quarantine").resolve()),
        tuple(str(Path(r).resolve()) for r in rules),
        ocr,
        strict_pixels,
    )
    tasks = [(job, str(src), str(f)) for f in input_files(src, dst, work_dir)]
    report = BatchReport(str(src), str(dst), str(work_dir), keyed.fingerprint(), options.to_dict(), executor)
    started = time.perf_counter()
    for result in _execute(tasks, workers, executor, scheduler):
        report.files.append(result)
        if result.status == "skipped":
            log.warning("%s: %s (skipped)", result.source, result.reason)
        elif result.status == "quarantined":
            log.warning("%s: quarantined: %s", result.source, result.reason)
        if progress:
            progress(1)
    report.files.sort(key=lambda r: r.source)
    report.seconds = time.perf_counter() - started
    for status in ("written", "resumed", "quarantined", "skipped"):
        report.counts[status] = sum(1 for r in report.files if r.status == status)
    return report


def _execute(
    tasks: list[tuple[DeidJob, str, str]], workers: int, executor: str, scheduler: str | None
) -> Iterator[FileResult]:
    if executor == "local":
        from radbank.parallel import map_parallel

        yield from map_parallel(deidentify_file, tasks, workers=workers)
    elif executor == "dask":
        if not scheduler:
            raise RadbankError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        try:
            from dask.distributed import Client, as_completed
        except ImportError:
            raise RadbankError("--executor dask: install dask[distributed] (pip install 'radbank[dask]')") from None
        try:
            client = Client(scheduler, timeout=30)
        except OSError as exc:
            raise RadbankError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
        try:
            futures = client.map(deidentify_file, tasks, pure=False)
            for future in as_completed(futures):
                yield future.result()
        finally:
            client.close()
    else:
        raise RadbankError(f"unknown executor {executor!r}; choose local or dask")
