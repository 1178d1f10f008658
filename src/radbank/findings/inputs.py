"""The reports to label: a folder of .txt files (a MIDS tree's *_report.txt files), one .txt file, or a column
of a CSV/TSV/JSONL table. Files are read and decoded as `radbank anonymize text` reads them
(radbank.text.batch.decode), tables with radbank.tables.read_table. A file or row that cannot be used is
reported on one line and left out; the batch goes on."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from radbank.errors import RadbankError
from radbank.fsutil import is_hidden
from radbank.tables import read_table
from radbank.text.batch import MAX_BYTES, TEXT_SUFFIXES, decode

log = logging.getLogger(__name__)
TEXT_COLUMNS = ("report", "text", "informe", "report_text", "texto")
ID_COLUMNS = ("report_id", "id")
CARRIED = (
    "path",
    "SOPInstanceUID",
    "AccessionNumber",
    "StudyInstanceUID",
    "study",
    "Image Index",
    "participant_id",
    "session_id",
)


@dataclass
class Reports:
    """Report ids, their texts, the identifier columns carried with them, and what was left out."""

    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    carried: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, where: str, reason: str) -> None:
        """Leave one file or row out, with a one-line warning."""
        self.skipped.append((readable(where), readable(reason)))
        log.warning("%s: %s (skipped)", where, reason)


def readable(name: str) -> str:
    """A file name as text that can be written: bytes that are not UTF-8 (surrogate escapes) are read as
    cp1252, else latin-1, as report texts are."""
    raw = os.fsencode(name)
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


def read_reports(
    src: str | Path, column: str | None = None, id_column: str | None = None, max_bytes: int = MAX_BYTES
) -> Reports:
    """The reports of `src` (folder, .txt file, or .csv/.tsv/.jsonl with the text in `column`)."""
    path = Path(src)
    if not path.exists():
        raise RadbankError(f"{path}: not found")
    if path.is_dir():
        return _folder(path, max_bytes)
    if path.suffix.lower() in (".csv", ".tsv", ".tab", ".jsonl", ".ndjson"):
        return _table(path, column, id_column)
    out = Reports()
    _file(out, path, path.stem, max_bytes)
    if not out.ids:
        raise RadbankError(out.skipped[0][1])
    return out


def _file(out: Reports, path: Path, report_id: str, max_bytes: int) -> bool:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise RadbankError(f"{size:,} bytes, over the limit of {max_bytes:,}")
        text, encoding = decode(path.read_bytes(), str(path))
    except (RadbankError, OSError) as exc:
        out.skip(str(path), str(exc).removeprefix(f"{path}: "))
        return False
    if encoding != "utf-8":
        log.warning("%s: not UTF-8, decoded as %s", path, encoding)
    out.ids.append(readable(report_id))
    out.texts.append(text)
    return True


def _folder(root: Path, max_bytes: int) -> Reports:
    mids = (root / "dataset_description.json").is_file()
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in TEXT_SUFFIXES
        and not is_hidden(p.relative_to(root))
        and (not mids or p.name.endswith("_report.txt"))
    )
    if not files:
        raise RadbankError(f"{root}: no report files ({', '.join(sorted(TEXT_SUFFIXES))})")
    stems = [p.stem for p in files]
    out = Reports(carried={"participant_id": [], "session_id": []} if mids else {})
    for p, stem in zip(files, stems, strict=True):
        rel = p.relative_to(root).with_suffix("").as_posix()
        if _file(out, p, stem if stems.count(stem) == 1 else rel, max_bytes) and mids:
            parts = p.relative_to(root).parts
            out.carried["participant_id"].append(next((s for s in parts if s.startswith("sub-")), ""))
            out.carried["session_id"].append(next((s for s in parts if s.startswith("ses-")), ""))
    return out


def _table(path: Path, column: str | None, id_column: str | None) -> Reports:
    table = read_table(path)
    names = [c.strip() for c in column.split(",")] if column else [next((c for c in TEXT_COLUMNS if c in table), "")]
    missing = [c for c in names if c not in table.columns]
    if missing:
        wanted = repr(missing[0]) if missing[0] else f"(none of {', '.join(TEXT_COLUMNS)})"
        raise RadbankError(f"{path}: no text column {wanted}; columns: {', '.join(map(str, table.columns))}")
    if id_column and id_column not in table.columns:
        raise RadbankError(f"{path}: no id column {id_column!r}")
    ids = id_column or next((c for c in ID_COLUMNS if c in table.columns), None)
    carried = [c for c in CARRIED if c in table.columns and c != ids]
    out = Reports(carried={c: [] for c in carried})
    for n, row in enumerate(table.to_dict("records"), 1):
        values = (str(row[c]) for c in names)
        text = "\n".join(v for v in values if v.strip() and v.lower() not in ("nan", "n/a"))
        report_id = str(row[ids]) if ids else str(n)
        if not text.strip():
            out.skip(f"{path}:{report_id}", "empty text")
            continue
        out.ids.append(report_id)
        out.texts.append(text)
        for c in carried:
            out.carried[c].append(str(row[c]))
    return out
