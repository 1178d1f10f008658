"""The leak audit: look for every identifying value of the inputs in every output.

Identifiers are collected from every input file's header (names and their parts, IDs, dates of birth,
addresses, telephone numbers, institution names, UIDs; see identifiers.py), per patient. Each output is then
searched: every element, nested sequences, private elements and File Meta included; its file and folder
names; and, as a backstop, the raw bytes before the pixel data (so values pydicom cannot decode are caught too).

Values and texts are compared as normalised whole tokens (accents, case and spacing do not matter). Each
output is searched for every identifier of its own patient, and for the strong identifiers of every patient
(whole names, long IDs, addresses...; see identifiers.py): a single name part or a short number of another
patient is a common word there, not a leak. Which patient an output belongs to comes from the batch report
(output -> input file); an output it does not map is searched for every identifier of every patient.
Coded values (CS) and raw bytes are searched for strong identifiers only; radbank's own placeholders are
never identifiers. A leak is reported by file, place and kind of identifier (never by its value, so the
report can be shared). Any leak fails the audit.
"""

from __future__ import annotations

import html
import os
import re
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from radbank.anonymize.batch import printable
from radbank.anonymize.identifiers import IdentifierSet, InputIdentifiers, normalise, value_text
from radbank.errors import RadbankError
from radbank.fsutil import is_hidden, read_json, write_json, write_text


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


def collect_identifiers(in_dir: str | Path, skip: list[Path] | None = None) -> InputIdentifiers:
    """Identifiers of every readable DICOM header under IN, per patient."""
    import pydicom

    from radbank.anonymize.dicom import Deidentifier

    found = InputIdentifiers()
    root = Path(in_dir)
    skip_resolved = [s.resolve() for s in skip or []]
    for path in sorted(root.rglob("*")):
        if not path.is_file() or is_hidden(path.relative_to(root)):
            continue
        if any(path.resolve().is_relative_to(s) for s in skip_resolved):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the batch already reported what pydicom said of each input
                ds = pydicom.dcmread(path, stop_before_pixels=True)
            ids = IdentifierSet()
            ids.add_dataset(ds, uids=True)
        except Exception:
            found.unreadable += 1
            continue
        found.add(printable(os.path.relpath(path, root)), Deidentifier.patient_key(ds), ids)
    return found


def scan_file(
    path: Path, rel: str, own: IdentifierSet, others: IdentifierSet, allowed: set[str]
) -> tuple[list[Leak], bool]:
    """Leaks in one output file (its patient's identifiers `own`, strong ones of everyone `others`), and
    whether it is marked as de-identified."""
    import pydicom

    leaks: list[Leak] = []
    seen: set[tuple[str, str]] = set()

    def report(where: str, text: str, strong_only: bool = False) -> None:
        norm = normalise(_mask_keyed_uids(text))
        for match in own.find_normalised(norm, strong_only) + others.find_normalised(norm):
            ident = match.identifier
            if ident.kind in allowed or (ident.text, where) in seen:
                continue
            seen.add((ident.text, where))
            leaks.append(Leak(rel, where, ident.kind, ident.source))

    report("file name", rel.replace("/", " "))
    with open(path, "rb") as fh, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(fh, stop_before_pixels=True)
        header_end = fh.tell()
        fh.seek(0)
        raw = fh.read(header_end)
    encoding = _encoding(ds)
    for where, vr, text in _element_texts(ds, encoding):
        report(where, text, strong_only=vr not in WORD_VRS)
    if getattr(ds, "file_meta", None) is not None:
        for where, vr, text in _element_texts(ds.file_meta, "latin-1"):
            report(f"file meta {where}", text, strong_only=vr not in WORD_VRS)
    found = {(leak.kind, leak.source) for leak in leaks}
    norm = normalise(_mask_keyed_uids(raw.decode(encoding or "latin-1", "replace")))
    for match in own.find_normalised(norm, strong_only=True) + others.find_normalised(norm):
        ident = match.identifier
        if ident.kind not in allowed and (ident.kind, ident.source) not in found:
            found.add((ident.kind, ident.source))
            leaks.append(Leak(rel, "raw bytes", ident.kind, ident.source))
    marked = str(ds.get("PatientIdentityRemoved", "")).upper() == "YES"
    return leaks, marked


KEYED_UID = re.compile(r"2\.25\.\d+")
# Where words are written: searched for every identifier of the patient. Elsewhere (codes: CS; numbers and
# binary data, where three letters between two bytes mean nothing) only strong identifiers count.
WORD_VRS = {"AE", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT", "DA", "DT", "TM", "AS", "IS", "DS", "UI"}
TEXT_VRS = {*WORD_VRS, "CS"}
ENCODINGS = {"": "latin-1", "ISO_IR 6": "latin-1", "ISO_IR 100": "latin-1", "ISO_IR 192": "utf-8"}


def _mask_keyed_uids(text: str) -> str:
    """Blank radbank's own 2.25 UIDs: keyed hashes whose random digits would otherwise match ID digits by chance.
    Original UIDs are identifiers of their own (kind 'uid'), so a UID left unreplaced is still caught."""
    return KEYED_UID.sub(lambda m: " " * len(m.group()), text)


def _encoding(ds: Any) -> str:
    """How the file's text bytes decode: its Specific Character Set when it is one Python codec, else latin-1
    (pydicom decodes the others element by element: see _element_texts)."""
    charset = ds.get("SpecificCharacterSet", "") or ""
    charset = value_text(charset).strip().upper()
    return ENCODINGS.get(charset, "")


def _element_texts(ds: Any, encoding: str, prefix: str = "") -> list[tuple[str, str, str]]:
    """(where, VR, text) of every element; text values decoded from their raw bytes when the character set
    allows (fast), through pydicom otherwise."""
    out = []
    for raw in ds.elements():
        tag, vr = int(raw.tag), raw.VR
        where = f"{prefix}({tag >> 16:04X},{tag & 0xFFFF:04X})"
        value = getattr(raw, "value", None)
        if encoding and vr in TEXT_VRS and isinstance(value, bytes):
            out.append((where, vr, value.decode(encoding, "replace")))
            continue
        elem = ds[tag]
        if elem.VR == "SQ":
            for i, item in enumerate(elem.value or []):
                out += _element_texts(item, encoding, f"{where}[{i}]")
            continue
        if elem.value is None:
            continue
        value = elem.value
        text = value.decode("latin-1") if isinstance(value, bytes) else value_text(value)
        out.append((where, elem.VR, text))
    return out


@dataclass(frozen=True)
class Provenance:
    """Which input each output came from (output -> input, relative paths, as the batch report gives them),
    and the inputs' identifiers when the batch collected them as it went."""

    sources: dict[str, str]
    inputs: InputIdentifiers | None = None

    @classmethod
    def of_batch(cls, report: Any) -> Provenance:
        """From a BatchReport in memory."""
        files = report.files
        return cls({f.output: f.source for f in files if f.status in ("written", "resumed")}, report.inputs)

    @classmethod
    def of_work(cls, work: str | Path) -> Provenance | None:
        """From the deid-report.json a radbank batch left in WORK (None when there is none)."""
        path = Path(work) / "deid-report.json"
        if not path.is_file():
            return None
        data = read_json(path)
        files = data.get("files", []) if isinstance(data, dict) else []
        return cls({f["output"]: f["source"] for f in files if f.get("status") in ("written", "resumed")})


def run_audit(
    in_dir: str | Path,
    out_dir: str | Path,
    allow: tuple[str, ...] = (),
    skip_inputs: list[Path] | None = None,
    provenance: Provenance | None = None,
) -> AuditReport:
    """Audit OUT against IN (see the module docstring). Outputs the provenance does not map to an input are
    searched for everyone's identifiers; without the inputs' identifiers, IN is read."""
    sources = provenance.sources if provenance else {}
    inputs = provenance.inputs if provenance else None
    for folder, what in ((in_dir, "input"), (out_dir, "output")):
        if not Path(folder).is_dir():
            raise RadbankError(f"{folder}: {what} folder not found")
    if inputs is None:
        inputs = collect_identifiers(in_dir, skip_inputs)
    report = AuditReport(
        inputs=inputs.read,
        identifiers=sum(len(ids) for ids in inputs.patients.values()),
        unreadable_inputs=inputs.unreadable,
        allowed_kinds=sorted(allow),
    )
    strong, everyone, empty = inputs.merged(strong_only=True), None, IdentifierSet()
    root = Path(out_dir)
    for path in sorted(root.rglob("*")):
        if not path.is_file() or is_hidden(path.relative_to(root)):
            continue
        rel = printable(path.relative_to(root).as_posix())
        patient = inputs.patient_of.get(sources.get(rel, ""))
        if patient is None:
            everyone = everyone if everyone is not None else inputs.merged()
        own = inputs.patients[patient] if patient is not None else everyone or empty
        report.outputs += 1
        try:
            leaks, marked = scan_file(path, rel, own, strong, set(allow))
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
