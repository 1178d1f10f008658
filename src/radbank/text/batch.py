"""Pseudonymising many reports: a folder of .txt files (a MIDS tree's report files included), or a column of
a CSV or a field of a JSONL file.

Per file: bytes are checked (empty, over --max-bytes, binary) and decoded (UTF-8, else cp1252/latin-1,
said in the report); the output is UTF-8, written atomically under the same relative path; a rerun skips
outputs that exist. In a table, a `--patient-column` keys surrogates and date shifts per patient (else
each row is its own patient); the text column is replaced, other columns are copied. A bad file or row
is reported on one line and the batch goes on.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from radbank.anonymize.keys import Keyed
from radbank.errors import RadbankError
from radbank.fsutil import write_text
from radbank.text.pseudonymize import default_detector, pseudonymize

log = logging.getLogger(__name__)
MAX_BYTES = 5 * 1024 * 1024
TABLE_FACTOR = 100  # a table may be this many times larger than one report file
BINARY_SHARE = 0.01  # more control bytes than this share: not a text file
SNIFF_BYTES = 8192
TEXT_SUFFIXES = {".txt", ".text", ".md"}


@dataclass
class TextReport:
    written: int = 0
    resumed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    spans: dict[str, int] = field(default_factory=dict)


def decode(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding) of a report file; RadbankError naming the file and why when it is not text."""
    if not data.strip():
        raise RadbankError(f"{name}: empty file")
    if b"\x00" in data[:SNIFF_BYTES]:
        raise RadbankError(f"{name}: binary file (NUL bytes), not a text report")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    head = data[:SNIFF_BYTES]
    controls = sum(1 for b in head if b < ord(" ") and b not in (9, 10, 12, 13))
    if controls > len(head) * BINARY_SHARE:
        raise RadbankError(f"{name}: binary file (control bytes), not a text report")
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _read(path: Path, max_bytes: int) -> tuple[str, str]:
    size = path.stat().st_size
    if size > max_bytes:
        raise RadbankError(f"{path}: {size:,} bytes, over the limit of {max_bytes:,}", settings=("max_bytes",))
    return decode(path.read_bytes(), str(path))


@dataclass(frozen=True)
class TextOptions:
    """How a batch is pseudonymised: language, mode, table column and patient column, size limit, model, ages."""

    lang: str = "auto"
    mode: str = "surrogate"
    column: str | None = None
    patient_column: str | None = None
    max_bytes: int = MAX_BYTES
    ner: str | None = "default"
    ages: str = "over89"


Rewrite = Callable[[str, str], str]


def run_text_batch(
    src: str | Path,
    out: str | Path,
    key: Keyed | None,
    options: TextOptions | None = None,
    progress: Callable[[int], None] | None = None,
) -> TextReport:
    """Pseudonymise `src` (folder, .csv or .jsonl) into `out` (folder, or a file of the same kind)."""
    opts = options or TextOptions()
    src_path, out_path = Path(src), Path(out)
    _check_paths(src_path, out_path, opts, key)
    detector = default_detector(opts.ner, opts.ages)
    report = TextReport()

    def one(text: str, patient: str) -> str:
        new, spans = pseudonymize(text, opts.lang, key, patient=patient, mode=opts.mode, detector=detector)
        for s in spans:
            report.spans[s.label] = report.spans.get(s.label, 0) + 1
        return new

    if src_path.is_dir():
        _folder(src_path, out_path, one, report, (opts.max_bytes, progress))
    elif src_path.suffix.lower() in (".csv", ".tsv"):
        _table(src_path, out_path, opts, one, report)
    elif src_path.suffix.lower() in (".jsonl", ".ndjson"):
        _jsonl(src_path, out_path, opts, one, report)
    else:
        text, _ = _read(src_path, opts.max_bytes)
        write_text(out_path, one(text, ""))
        report.written += 1
    return report


def _check_paths(src: Path, out: Path, opts: TextOptions, key: Keyed | None) -> None:
    """Command-level problems, before any work: one RadbankError each."""
    if not src.exists():
        raise RadbankError(f"{src}: not found")
    if opts.mode == "surrogate" and key is None:
        raise RadbankError("surrogate mode needs a key file (radbank keygen KEYFILE); or use redact mode")
    if not src.is_dir() and out.is_dir():
        raise RadbankError(f"{out}: is a folder; the output of a single file or table is a file")
    if src.is_dir() and out.exists() and not out.is_dir():
        raise RadbankError(f"{out}: is a file; the output of a folder is a folder")
    if src.is_dir() and out.resolve().is_relative_to(src.resolve()):
        raise RadbankError(f"{out}: the output folder must be outside the input folder")


def _folder(
    src: Path, out: Path, one: Rewrite, report: TextReport, limits: tuple[int, Callable[[int], None] | None]
) -> None:
    """Every report file under `src` (hidden ones left out) into the same place under `out`; `limits`:
    (max bytes per file, progress callback)."""
    max_bytes, progress = limits
    files = sorted(
        p
        for p in src.rglob("*")
        if p.is_file()
        and p.suffix.lower() in TEXT_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(src).parts)
    )
    for path in files:
        if not _utf8_name(path):
            reason = f"{str(path)!a}: file name is not valid UTF-8; not processed (rename it)"
            report.skipped.append((ascii(str(path)), reason))
            log.warning("%s", reason)
        elif (out / path.relative_to(src)).exists():
            report.resumed += 1
        else:
            try:
                text, encoding = _read(path, max_bytes)
                if encoding != "utf-8":
                    report.notes.append((str(path), f"not UTF-8: decoded as {encoding}; written as UTF-8"))
                    log.warning("%s: not UTF-8, decoded as %s (written as UTF-8)", path, encoding)
                write_text(out / path.relative_to(src), one(text, _patient_of(path, src)))
                report.written += 1
            except (RadbankError, OSError) as exc:
                report.skipped.append((str(path), str(exc)))
                log.warning("%s (skipped)", exc)
        if progress:
            progress(1)


def _utf8_name(path: Path) -> bool:
    """False for a name that the file system gave as undecodable bytes (surrogate escapes)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _patient_of(path: Path, root: Path) -> str:
    """A MIDS/BIDS path's subject label (sub-XXX), so one patient's reports share surrogates; else ''."""
    for part in path.relative_to(root).parts:
        if part.startswith("sub-"):
            return part
    return ""


def _table(src: Path, out: Path, opts: TextOptions, one: Rewrite, report: TextReport) -> None:
    column, patient_column = opts.column, opts.patient_column
    if not column:
        raise RadbankError(f"{src}: a table needs the name of the column holding the report text", settings=("column",))
    text, _ = _read(src, opts.max_bytes * TABLE_FACTOR)
    dialect = "excel-tab" if src.suffix.lower() == ".tsv" else "excel"
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if column not in (reader.fieldnames or []):
        raise RadbankError(f"{src}: no column {column!r} (columns: {', '.join(reader.fieldnames or [])})")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=reader.fieldnames or [], dialect=dialect)
    writer.writeheader()
    for n, row in enumerate(reader, 2):
        patient = row.get(patient_column or "", "") or f"row-{n}"
        row[column] = one(row.get(column) or "", patient)
        if patient_column and patient_column in row:
            row[patient_column] = ""  # an identifier column is not copied: fill it from your pseudonym map
        writer.writerow(row)
        report.written += 1
    write_text(out, buffer.getvalue())


def _jsonl(src: Path, out: Path, opts: TextOptions, one: Rewrite, report: TextReport) -> None:
    field_name, patient_column = opts.column or "text", opts.patient_column
    text, _ = _read(src, opts.max_bytes * TABLE_FACTOR)
    lines = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            value = rec[field_name]
            if not isinstance(value, str):
                raise TypeError(f"field {field_name!r} is not a string")
        except (ValueError, KeyError, TypeError) as exc:
            report.skipped.append((f"{src}:{n}", f"{src}:{n}: not usable ({exc}); line left out"))
            log.warning("%s:%d: not usable (%s); line left out", src, n, exc)
            continue
        patient = str(rec.get(patient_column, "")) if patient_column else f"line-{n}"
        rec[field_name] = one(value, patient)
        if patient_column:
            rec.pop(patient_column, None)
        lines.append(json.dumps(rec, ensure_ascii=False))
        report.written += 1
    write_text(out, "".join(line + "\n" for line in lines))
