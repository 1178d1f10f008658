"""The leak audit: look for every identifying value of the inputs in every output.

Identifiers are collected from every input file's header (names and their parts, IDs, dates of birth,
addresses, telephone numbers, institution names; see identifiers.py). Each output is then searched:
every element, nested sequences, private elements and File Meta included; its file and folder names; and,
as a backstop, the raw bytes before the pixel data (so values pydicom cannot decode are caught too).
A leak is reported by file, place and kind of identifier (never by its value, so the report can be shared).
Any leak fails the audit.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from radbank.anonymize.identifiers import IdentifierSet, value_text
from radbank.fsutil import is_hidden, write_json, write_text


@dataclass(frozen=True)
class Leak:
    """One identifying value found in an output."""

    file: str  # relative to OUT
    where: str  # element path, "file name", or "raw bytes"
    kind: str  # name, id, date_of_birth, address, phone, institution
    source: str  # the input attribute the value came from


@dataclass
class AuditReport:
    """The result of an audit."""

    inputs: int = 0
    outputs: int = 0
    identifiers: int = 0
    unreadable_inputs: int = 0
    unmarked_outputs: list[str] = field(default_factory=list)  # outputs without PatientIdentityRemoved YES
    leaks: list[Leak] = field(default_factory=list)
    allowed_kinds: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.leaks and not self.unmarked_outputs

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def collect_identifiers(in_dir: str | Path, skip: list[Path] | None = None) -> tuple[IdentifierSet, int, int]:
    """Identifiers of every readable DICOM header under IN: (set, files read, files unreadable)."""
    import pydicom

    identifiers = IdentifierSet()
    read = unreadable = 0
    root = Path(in_dir)
    skip_resolved = [s.resolve() for s in skip or []]
    for path in sorted(root.rglob("*")):
        if not path.is_file() or is_hidden(path.relative_to(root)):
            continue
        if any(path.resolve().is_relative_to(s) for s in skip_resolved):
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:
            unreadable += 1
            continue
        identifiers.add_dataset(ds, uids=True)
        read += 1
    return identifiers, read, unreadable


def scan_file(path: Path, rel: str, identifiers: IdentifierSet, allowed: set[str]) -> tuple[list[Leak], bool]:
    """Leaks in one output file, and whether it is marked as de-identified."""
    import pydicom

    leaks: list[Leak] = []
    seen: set[tuple[str, str]] = set()

    def report(where: str, text: str) -> None:
        for match in identifiers.find(_mask_keyed_uids(text)):
            ident = match.identifier
            if ident.kind in allowed or (ident.text, where) in seen:
                continue
            seen.add((ident.text, where))
            leaks.append(Leak(rel, where, ident.kind, ident.source))

    report("file name", rel.replace("/", " "))
    with open(path, "rb") as fh:
        ds = pydicom.dcmread(fh, stop_before_pixels=True)
        header_end = fh.tell()
        fh.seek(0)
        raw = fh.read(header_end)
    for where, text in _element_texts(ds):
        report(where, text)
    if getattr(ds, "file_meta", None) is not None:
        for where, text in _element_texts(ds.file_meta):
            report(f"file meta {where}", text)
    found = {(leak.kind, leak.source) for leak in leaks}
    for match in identifiers.find(_mask_keyed_uids(raw.decode("latin-1"))):
        ident = match.identifier
        if ident.kind not in allowed and (ident.kind, ident.source) not in found:
            found.add((ident.kind, ident.source))
            leaks.append(Leak(rel, "raw bytes", ident.kind, ident.source))
    marked = str(ds.get("PatientIdentityRemoved", "")).upper() == "YES"
    return leaks, marked


KEYED_UID = re.compile(r"2\.25\.\d+")


def _mask_keyed_uids(text: str) -> str:
    """Blank radbank's own 2.25 UIDs: keyed hashes whose random digits would otherwise match ID digits by chance
    (about once per hundred files). Original UIDs are identifiers of their own (kind 'uid'), so a UID left
    unreplaced is still caught."""
    return KEYED_UID.sub(lambda m: " " * len(m.group()), text)


def _element_texts(ds: Any, prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for elem in ds:
        tag = int(elem.tag)
        where = f"{prefix}({tag >> 16:04X},{tag & 0xFFFF:04X})"
        if elem.VR == "SQ":
            for i, item in enumerate(elem.value or []):
                out += _element_texts(item, f"{where}[{i}]")
            continue
        value = elem.value
        if value is None:
            continue
        if isinstance(value, bytes):
            out.append((where, value.decode("latin-1")))
        else:
            out.append((where, value_text(value)))
    return out


def run_audit(
    in_dir: str | Path, out_dir: str | Path, allow: tuple[str, ...] = (), skip_inputs: list[Path] | None = None
) -> AuditReport:
    """Audit OUT against IN (see the module docstring)."""
    identifiers, read, unreadable = collect_identifiers(in_dir, skip_inputs)
    report = AuditReport(
        inputs=read, identifiers=len(identifiers), unreadable_inputs=unreadable, allowed_kinds=sorted(allow)
    )
    root = Path(out_dir)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or rel.startswith("."):
            continue
        report.outputs += 1
        try:
            leaks, marked = scan_file(path, rel, identifiers, set(allow))
        except Exception:
            leaks, marked = [], False  # an output we cannot even read is reported as unmarked
        report.leaks += leaks
        if not marked:
            report.unmarked_outputs.append(rel)
    return report


def write_audit(report: AuditReport, work: str | Path, batch: dict[str, Any] | None = None) -> Path:
    """audit.json and audit.html (with the batch's counts and skipped/quarantined files when given)."""
    folder = Path(work)
    write_json(folder / "audit.json", {"audit": report.to_dict(), "batch": batch})
    rows = "".join(
        f"<tr><td>{html.escape(leak.file)}</td><td>{html.escape(leak.where)}</td>"
        f"<td>{html.escape(leak.kind)}</td><td>{html.escape(leak.source)}</td></tr>"
        for leak in report.leaks
    )
    files = ""
    if batch:
        listed = [f for f in batch.get("files", []) if f["status"] in ("skipped", "quarantined")]
        files = "".join(
            f"<tr><td>{html.escape(f['source'])}</td><td>{html.escape(f['status'])}</td>"
            f"<td>{html.escape(f['reason'])}</td></tr>"
            for f in listed
        )
        counts = " &middot; ".join(f"{html.escape(k)}: {v}" for k, v in batch.get("counts", {}).items())
    else:
        counts = ""
    verdict = (
        "PASSED: no identifying value of the inputs found in the outputs"
        if report.passed
        else f"FAILED: {len(report.leaks)} leak(s), {len(report.unmarked_outputs)} output(s) not marked de-identified"
    )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>radbank de-identification audit</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto}}td,th{{border:1px solid #ccc;
padding:.2em .5em;text-align:left}}table{{border-collapse:collapse}}.v{{font-size:1.2em;font-weight:bold;
color:{"#176b1d" if report.passed else "#b00020"}}}</style></head><body>
<h1>De-identification audit</h1><p class=v>{html.escape(verdict)}</p>
<p>{report.inputs} input headers ({report.identifiers} identifying values), {report.outputs} outputs scanned.
{counts}</p>
<h2>Leaks</h2><table><tr><th>output</th><th>where</th><th>kind</th><th>from input attribute</th></tr>{rows}</table>
<h2>Skipped and quarantined inputs</h2><table><tr><th>input</th><th>status</th><th>reason</th></tr>{files}</table>
<p>Values are never shown here. Allowed kinds: {html.escape(", ".join(report.allowed_kinds) or "none")}.</p>
</body></html>"""
    write_text(folder / "audit.html", page)
    return folder / "audit.json"


def relpath(path: str | Path, root: str | Path) -> str:
    return os.path.relpath(path, root)
