"""Check a MIDS tree in any layout BIMCV uses: structure, names, required files and columns, sidecars,
orphans, label tables and UMLS codes.

Layouts accepted: mod-<group>/ (BIMCV-COVID19+), mim-<group>/<modality>/ (dcm2mids), mim-<group>/ (flat); MR volumes
in mim-mr/<datatype>/ and in a session's plain BIDS anat/ (validate_mr.py).
Errors break readers (a missing required file or column, a misnamed image, an image without sidecar, a
malformed CUI); warnings are gaps a curator should look at (a recommended file or field missing, a label
with no UMLS code, a file MIDS does not describe, BIMCV-COVID19+'s `participant` column for BIDS's
`participant_id`).
"""

from __future__ import annotations

from pathlib import Path

from radbank.mids.checker import Checker, Issue
from radbank.mids.layouts import groups, modalities
from radbank.mids.naming import IMAGE_EXTENSIONS, parse_name
from radbank.mids.tree import FOLDER_PREFIXES, keyword_fields, layout_of, sessions, subjects
from radbank.mids.validate_labels import check_label_tables
from radbank.mids.validate_mr import check_mr_name, check_mr_sidecar, is_mr_folder

__all__ = ["Issue", "validate_mids"]

ROOT_FILES = {
    "dataset_description.json",
    "participants.tsv",
    "participants.json",
    "README",
    "README.md",
    "CHANGES",
    "sessions.json",
    "scans.json",
    ".bidsignore",
    "LICENSE",
    "findings.json",
}
ROOT_FOLDERS = {"code", "derivatives", "sourcedata", "stimuli", "phenotype"}
SIDECAR_REQUIRED = ("Modality",)
SIDECAR_RECOMMENDED = (
    "BodyPartExamined",
    "Rows",
    "Columns",
    "PhotometricInterpretation",
    "ViewPosition",
    "PixelSpacing",
)
SCAN_FILE_COLUMNS = ("filename", "scan_file")  # BIDS; dcm2mids and xnat2mids


def validate_mids(root: str | Path) -> list[Issue]:
    """All issues of the MIDS tree at `root` (empty when it is valid)."""
    base = Path(root).resolve()
    c = Checker(base)
    if not base.is_dir():
        c.issues.append(Issue("error", str(Path(root)), "not a folder"))
        return c.issues
    _root_files(c, base)
    subs = subjects(base)
    if not subs:
        c.error(base, "no sub-<label> folders")
    listed = _participants(c, base)
    for sub in subs:
        if listed is not None and sub.name not in listed:
            c.error(base / "participants.tsv", f"{sub.name} has a folder but no row")
        _subject(c, sub)
    for pid in sorted((listed or set()) - {s.name for s in subs}):
        c.warn(base / "participants.tsv", f"{pid} has a row but no folder")
    for p in sorted(base.iterdir()):
        if p.name.startswith(".") or p.name in ROOT_FILES or p.name in ROOT_FOLDERS or p.name.startswith("sub-"):
            continue
        c.warn(p, "not a MIDS/BIDS top-level file or folder")
    check_label_tables(c, base)
    return c.issues


def _root_files(c: Checker, base: Path) -> None:
    desc = base / "dataset_description.json"
    if not desc.exists() and layout_of(base) == "dcm2mids":
        c.warn(desc, "required by BIDS, and BIMCV's dcm2mids does not write it")
    elif not desc.exists():
        c.error(desc, "required file missing")
    else:
        obj = c.json(desc)
        if obj is not None:
            if not obj.get("Name"):
                c.error(desc, "required field Name missing")
            if not obj.get("BIDSVersion") and not obj.get("MIDSVersion"):
                c.error(desc, "required field BIDSVersion (or MIDSVersion) missing")
            elif not obj.get("MIDSVersion"):
                c.warn(desc, "recommended field MIDSVersion missing (BIMCV's trees carry it)")
    if not (base / "README").exists() and not (base / "README.md").exists():
        c.warn(base / "README", "recommended file missing")


def _participants(c: Checker, base: Path) -> set[str] | None:
    path = base / "participants.tsv"
    if not path.exists():
        c.error(path, "required file missing")
        return None
    rows = c.tsv(path, (), one_of=("participant_id", "participant"))
    if rows is None:
        return None
    key = next((k for k in ("participant_id", "participant") if rows and k in rows[0]), None)
    if key == "participant":
        c.warn(path, "column 'participant' (BIMCV-COVID19+) is participant_id in BIDS")
    ids = [r[key] for r in rows] if key else []
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
            if col not in ("participant_id", "participant") and col not in described:
                c.warn(sidecar, f"column {col} of participants.tsv is not described")
    return set(ids)


def _subject(c: Checker, sub: Path) -> None:
    found = sessions(sub)
    if not found:
        c.error(sub, "no ses-<label> folders")
    table = sub / f"{sub.name}_sessions.tsv"
    if not table.exists():
        c.warn(table, "recommended file missing")
    else:
        rows = c.tsv(table, ("session_id",))
        if rows is not None:
            ids = {r["session_id"] for r in rows}
            if any(i.startswith("sub-") for i in ids):  # dcm2mids writes f"sub-{session}"
                c.warn(table, "session_id values start with sub- (dcm2mids); ses-<label> expected")
                ids = {"ses-" + i.removeprefix("sub-") if i.startswith("sub-") else i for i in ids}
            for ses in found:
                if ses.name not in ids:
                    c.error(table, f"{ses.name} has a folder but no row")
            for sid in sorted(ids - {s.name for s in found}):
                c.warn(table, f"{sid} has a row but no folder")
    for p in sorted(sub.iterdir()):
        if p.is_file() and p != table and not p.name.startswith("."):
            c.warn(p, "unexpected file in a subject folder")
        elif p.is_dir() and not p.name.startswith("ses-"):
            c.warn(p, "unexpected folder in a subject folder (expected ses-<label>)")
    for ses in found:
        _session(c, sub.name[4:], ses)


def _session(c: Checker, sub: str, ses_dir: Path) -> None:
    ses = ses_dir.name[4:]
    prefix = f"sub-{sub}_ses-{ses}"
    images: list[str] = []
    legacy = {f"{prefix}_findings.tsv", f"{prefix}_report.txt"}
    for p in sorted(ses_dir.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_dir() and p.name == "anat":  # plain BIDS, as BIMCV's xnat2mids writes head MR
            images += _image_folder(c, sub, ses, p, p.name)
        elif p.is_dir():
            images += _group_folder(c, sub, ses, p)
        elif p.name in legacy:
            c.warn(p, "findings and reports belong in derivatives/labels/ (radbank exports before issue 16)")
        elif p.name != f"{prefix}_scans.tsv":
            c.warn(p, "unexpected file in a session folder")
    scans = ses_dir / f"{prefix}_scans.tsv"
    if not scans.exists():
        c.error(scans, "required file missing (lists the session's images)")
        return
    rows = c.tsv(scans, (), one_of=SCAN_FILE_COLUMNS)
    key = next((k for k in SCAN_FILE_COLUMNS if rows and k in rows[0]), None)
    if rows is None or key is None:
        return
    names = {r[key] for r in rows}
    for name in sorted(names - set(images)):
        c.error(scans, f"lists {name}, which does not exist")
    for name in sorted(set(images) - names):
        c.warn(scans, f"does not list {name}")


def _group_folder(c: Checker, sub: str, ses: str, folder: Path) -> list[str]:
    """A mim-<group>/mod-<group> folder: its images, or those of its modality folders (dcm2mids)."""
    group = folder.name.split("-", 1)[-1]
    if not folder.name.startswith(FOLDER_PREFIXES) or group not in groups():
        c.error(folder, "modality folders are named mim-<group> or mod-<group> (e.g. mim-rx)")
        return []
    inner = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not inner:
        return _image_folder(c, sub, ses, folder, folder.name)
    images: list[str] = []
    for sub_folder in inner:
        if sub_folder.name not in modalities() and sub_folder.name != "anat":
            c.warn(sub_folder, f"{sub_folder.name!r} is not a DICOM modality folder (dcm2mids: mim-rx/cr/)")
        images += _image_folder(c, sub, ses, sub_folder, f"{folder.name}/{sub_folder.name}")
    for p in sorted(folder.iterdir()):
        if p.is_file() and not p.name.startswith("."):
            c.warn(p, "a file beside modality folders (dcm2mids puts images one level down)")
    return images


def _image_folder(c: Checker, sub: str, ses: str, folder: Path, rel: str) -> list[str]:
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
        if is_mr_folder(rel):
            check_mr_name(c, p, name)
        elif name.suffix.lower() not in modalities():
            c.warn(p, f"suffix {name.suffix!r} is not a DICOM modality MIDS lists")
        stems.setdefault(p.name[: -len(name.ext)], []).append(name.ext)
    if not stems:
        c.error(folder, "empty modality folder")
    images: list[str] = []
    for stem, exts in stems.items():
        image_ext = [e for e in exts if e in IMAGE_EXTENSIONS]
        if not image_ext:
            c.error(folder / f"{stem}.json", "sidecar without an image (orphan)")
            continue
        images.append(f"{rel}/{stem}{image_ext[0]}")
        if ".json" not in exts:
            c.error(folder / f"{stem}{image_ext[0]}", "image without a JSON sidecar")
            continue
        _sidecar(c, folder / f"{stem}.json", mr=is_mr_folder(rel))
        for e in exts:
            if e not in IMAGE_EXTENSIONS and e != ".json":
                c.warn(folder / f"{stem}{e}", "unexpected extension")
    return images


def _sidecar(c: Checker, path: Path, mr: bool = False) -> None:
    obj = c.json(path)
    if obj is None:
        return
    fields = keyword_fields(obj)  # keyword- or tag-keyed
    for key in SIDECAR_REQUIRED:
        if key not in fields:
            c.error(path, f"required field {key} missing")
    if mr:
        check_mr_sidecar(c, path, fields)
        return
    for key in SIDECAR_RECOMMENDED:
        if key not in fields:
            c.warn(path, f"recommended field {key} missing")
