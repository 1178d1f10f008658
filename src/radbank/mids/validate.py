"""Check a MIDS tree: structure, names, required files and columns, sidecars, orphans, UMLS codes.

Errors break readers (a missing required file or column, a misnamed image, an image without sidecar,
a malformed CUI); warnings are gaps a curator should look at (a recommended file or field missing,
a label with no UMLS code, a file MIDS does not describe).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from radbank.mids.naming import GROUPS, IMAGE_EXTENSIONS, parse_name
from radbank.mids.sidecar import RECOMMENDED_FIELDS, REQUIRED_FIELDS
from radbank.mids.tsv import NA
from radbank.mids.umls import Concept, concepts, is_cui, lookup, normalize

ROOT_FILES = {"dataset_description.json", "participants.tsv", "participants.json", "README", "README.md", "CHANGES",
              "findings.json", "sessions.json", "scans.json", ".bidsignore", "LICENSE"}  # fmt: skip
ROOT_FOLDERS = {"code", "derivatives", "sourcedata", "stimuli", "phenotype"}
FINDING_COLUMNS = ("label", "umls_cui", "source")


@dataclass(frozen=True)
class Issue:
    """One problem found: level ('error' or 'warning'), the path relative to the root, and what is wrong."""

    level: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper():7} {self.path}: {self.message}"


class _Checker:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.issues: list[Issue] = []

    def error(self, path: Path | str, message: str) -> None:
        self.issues.append(Issue("error", self._rel(path), message))

    def warn(self, path: Path | str, message: str) -> None:
        self.issues.append(Issue("warning", self._rel(path), message))

    def _rel(self, path: Path | str) -> str:
        p = Path(path)
        return p.relative_to(self.root).as_posix() if p.is_absolute() and p.is_relative_to(self.root) else str(p)

    def tsv(self, path: Path, required: tuple[str, ...]) -> list[dict[str, str]] | None:
        """Rows of a TSV after checking its shape, or None when it cannot be used."""
        try:
            lines = path.read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            self.error(path, f"cannot be read as UTF-8 text ({exc.__class__.__name__})")
            return None
        if not lines:
            self.error(path, "empty file (a header row is required)")
            return None
        header = lines[0].split("\t")
        missing = [c for c in required if c not in header]
        if missing:
            self.error(path, f"missing required column(s) {', '.join(missing)}")
            return None
        rows = []
        for n, line in enumerate(lines[1:], start=2):
            cells = line.split("\t")
            if len(cells) != len(header):
                self.error(path, f"line {n} has {len(cells)} cells, the header {len(header)}")
                continue
            if any(c.strip() == "" for c in cells):
                self.error(path, f"line {n} has an empty cell (write n/a for missing values)")
            rows.append(dict(zip(header, cells, strict=True)))
        return rows

    def json(self, path: Path) -> dict[str, object] | None:
        try:
            obj = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.error(path, f"not valid JSON ({str(exc).splitlines()[0]})")
            return None
        if not isinstance(obj, dict):
            self.error(path, "must hold a JSON object")
            return None
        return obj


def validate_mids(root: str | Path) -> list[Issue]:
    """All issues of the MIDS tree at `root` (empty when it is valid)."""
    base = Path(root).resolve()
    c = _Checker(base)
    if not base.is_dir():
        c.issues.append(Issue("error", str(Path(root)), "not a folder"))
        return c.issues
    _root_files(c, base)
    subjects = sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith("sub-"))
    if not subjects:
        c.error(base, "no sub-<label> folders")
    listed = _participants(c, base)
    for sub in subjects:
        if listed is not None and sub.name not in listed:
            c.error(base / "participants.tsv", f"{sub.name} has a folder but no row")
        _subject(c, sub)
    for pid in sorted((listed or set()) - {s.name for s in subjects}):
        c.warn(base / "participants.tsv", f"{pid} has a row but no folder")
    for p in sorted(base.iterdir()):
        if p.name.startswith(".") or p.name in ROOT_FILES or p.name in ROOT_FOLDERS or p.name.startswith("sub-"):
            continue
        c.warn(p, "not a MIDS/BIDS top-level file or folder")
    return c.issues


def _root_files(c: _Checker, base: Path) -> None:
    desc = base / "dataset_description.json"
    if not desc.exists():
        c.error(desc, "required file missing")
    else:
        obj = c.json(desc)
        if obj is not None:
            for key in ("Name", "BIDSVersion"):
                if not obj.get(key):
                    c.error(desc, f"required field {key} missing")
    if not (base / "README").exists() and not (base / "README.md").exists():
        c.warn(base / "README", "recommended file missing")


def _participants(c: _Checker, base: Path) -> set[str] | None:
    path = base / "participants.tsv"
    if not path.exists():
        c.error(path, "required file missing")
        return None
    rows = c.tsv(path, ("participant_id",))
    if rows is None:
        return None
    ids = [r["participant_id"] for r in rows]
    for pid in sorted({i for i in ids if ids.count(i) > 1}):
        c.error(path, f"{pid} appears in more than one row")
    for pid in ids:
        if not pid.startswith("sub-"):
            c.error(path, f"participant_id {pid!r} must start with sub-")
    sidecar = base / "participants.json"
    if not sidecar.exists():
        c.warn(sidecar, "recommended file missing (describes the columns of participants.tsv)")
    elif rows:
        described = c.json(sidecar) or {}
        for col in rows[0]:
            if col != "participant_id" and col not in described:
                c.warn(sidecar, f"column {col} of participants.tsv is not described")
    return set(ids)


def _subject(c: _Checker, sub: Path) -> None:
    sessions = sorted(p for p in sub.iterdir() if p.is_dir() and p.name.startswith("ses-"))
    if not sessions:
        c.error(sub, "no ses-<label> folders")
    table = sub / f"{sub.name}_sessions.tsv"
    if not table.exists():
        c.warn(table, "recommended file missing")
    else:
        rows = c.tsv(table, ("session_id",))
        if rows is not None:
            ids = {r["session_id"] for r in rows}
            for ses in sessions:
                if ses.name not in ids:
                    c.error(table, f"{ses.name} has a folder but no row")
            for sid in sorted(ids - {s.name for s in sessions}):
                c.warn(table, f"{sid} has a row but no folder")
    for p in sorted(sub.iterdir()):
        if p.is_file() and p != table and not p.name.startswith("."):
            c.warn(p, "unexpected file in a subject folder")
        elif p.is_dir() and not p.name.startswith("ses-"):
            c.warn(p, "unexpected folder in a subject folder (expected ses-<label>)")
    for ses in sessions:
        _session(c, sub.name[4:], ses)


def _session(c: _Checker, sub: str, ses_dir: Path) -> None:
    ses = ses_dir.name[4:]
    prefix = f"sub-{sub}_ses-{ses}"
    images: list[str] = []
    known = {f"{prefix}_scans.tsv", f"{prefix}_findings.tsv", f"{prefix}_report.txt"}
    for p in sorted(ses_dir.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_dir():
            images += _modality_folder(c, sub, ses, p)
        elif p.name not in known:
            c.warn(p, "unexpected file in a session folder")
    scans = ses_dir / f"{prefix}_scans.tsv"
    if not scans.exists():
        c.error(scans, "required file missing (lists the session's images)")
    else:
        rows = c.tsv(scans, ("filename",))
        if rows is not None:
            names = {r["filename"] for r in rows}
            for name in sorted(names - set(images)):
                c.error(scans, f"lists {name}, which does not exist")
            for name in sorted(set(images) - names):
                c.warn(scans, f"does not list {name}")
    findings = ses_dir / f"{prefix}_findings.tsv"
    if not findings.exists():
        c.warn(findings, "no findings table for this session")
    else:
        for n, row in enumerate(c.tsv(findings, FINDING_COLUMNS) or [], start=2):
            cui = row["umls_cui"]
            if cui == NA:
                c.warn(findings, f"line {n}: label {row['label']!r} has no UMLS code")
            elif not is_cui(cui):
                c.error(findings, f"line {n}: {cui!r} is not a UMLS CUI (C followed by seven digits)")
            else:
                concept = lookup(row["label"])
                if (
                    concept is not None
                    and concept.cui != cui
                    and not any(k.cui == cui for k in _same_label(row["label"]))
                ):
                    c.warn(
                        findings, f"line {n}: {row['label']!r} is coded {cui}, the packaged table says {concept.cui}"
                    )


def _same_label(label: str) -> list[Concept]:

    return [k for k in concepts() if normalize(k.label) == normalize(label)]


def _modality_folder(c: _Checker, sub: str, ses: str, folder: Path) -> list[str]:
    group = folder.name.split("-", 1)[-1]
    if not (folder.name.startswith("mim-") or folder.name.startswith("mod-")) or group not in set(GROUPS.values()):
        c.error(folder, "modality folders are named mim-<group> (e.g. mim-rx)")
        return []
    if folder.name.startswith("mod-"):
        c.warn(folder, "mod-<group> is the older MIDS spelling (BIMCV-COVID19+); current MIDS uses mim-<group>")
    images: list[str] = []
    stems: dict[str, list[str]] = {}
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        name = parse_name(p.name)
        if name is None:
            c.error(p, "name does not follow sub-<label>_ses-<label>[_acq-][_run-][_bp-][_vp-]_<modality>.<ext>")
            continue
        if name.sub != sub or name.ses != ses:
            c.error(p, f"entities sub-{name.sub}_ses-{name.ses} do not match the folders sub-{sub}/ses-{ses}")
        if name.suffix.lower() not in GROUPS:
            c.warn(p, f"suffix {name.suffix!r} is not a DICOM modality MIDS lists")
        stem = p.name[: -len(name.ext)]
        stems.setdefault(stem, []).append(name.ext)
    for stem, exts in stems.items():
        image_ext = [e for e in exts if e in IMAGE_EXTENSIONS]
        if not image_ext:
            c.error(folder / f"{stem}.json", "sidecar without an image (orphan)")
            continue
        images.append(f"{folder.name}/{stem}{image_ext[0]}")
        sidecar = folder / f"{stem}.json"
        if ".json" not in exts:
            c.error(folder / f"{stem}{image_ext[0]}", "image without a JSON sidecar")
            continue
        obj = c.json(sidecar)
        if obj is None:
            continue
        for key in REQUIRED_FIELDS:
            if key not in obj:
                c.error(sidecar, f"required field {key} missing")
        for key in RECOMMENDED_FIELDS:
            if key not in obj:
                c.warn(sidecar, f"recommended field {key} missing")
        for e in exts:
            if e not in IMAGE_EXTENSIONS and e != ".json":
                c.warn(folder / f"{stem}{e}", "unexpected extension")
    return images
