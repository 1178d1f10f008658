"""Walking a MIDS tree in any of the layouts BIMCV uses, and reading its tables and sidecars.

- flat: `sub-*/ses-*/mim-rx/<file>` (radbank exports before issue 16; the MIDS paper's figures);
- bimcv-release: `sub-*/ses-*/mod-rx/<file>` (BIMCV-COVID19+ as released);
- dcm2mids: `sub-*/ses-*/mim-rx/cr/<file>` (BIMCV's current converter: group folder, then modality folder).

Sidecars are either keyword-keyed (`{"Modality": "CR"}`, dcm2mids and radbank) or tag-keyed in the DICOM
JSON model (`{"00080060": {"vr": "CS", "Value": ["CR"]}}`, BIMCV-COVID19+); `read_sidecar` returns both
as keyword -> value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radbank.mids.naming import IMAGE_EXTENSIONS, ImageName, parse_name
from radbank.mids.tsv import read_tsv

FOLDER_PREFIXES = ("mim-", "mod-")
MR_FOLDERS = ("mim-mr/", "mod-mr/")  # MR volumes: the same place in every layout (mids/volumes.py)
_TAG = re.compile(r"^[0-9A-Fa-f]{8}$")


@dataclass(frozen=True)
class TreeImage:
    """One image of the tree."""

    path: Path
    sub: str  # the subject label, without "sub-"
    ses: str  # the session label, without "ses-"
    rel: str  # path relative to the session folder ("mod-rx/x.png", "mim-rx/cr/x.png")
    name: ImageName


def subjects(root: Path) -> list[Path]:
    """The sub-* folders, sorted."""
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("sub-"))


def sessions(sub: Path) -> list[Path]:
    """The ses-* folders of a subject, sorted."""
    return sorted(p for p in sub.iterdir() if p.is_dir() and p.name.startswith("ses-"))


def modality_folders(ses: Path) -> list[Path]:
    """The folders holding images: mim-*/mod-* folders, or their sub-folders (dcm2mids: mim-rx/cr)."""
    out: list[Path] = []
    for group in sorted(p for p in ses.iterdir() if p.is_dir() and p.name.startswith(FOLDER_PREFIXES)):
        inner = sorted(p for p in group.iterdir() if p.is_dir() and not p.name.startswith("."))
        out += inner if inner else [group]
    return out


def walk_images(root: Path) -> Iterator[TreeImage]:
    """Every image file whose name follows MIDS, in sorted order."""
    for sub in subjects(root):
        for ses in sessions(sub):
            for folder in modality_folders(ses):
                for f in sorted(folder.iterdir()):
                    name = parse_name(f.name)
                    if name is not None and name.ext in IMAGE_EXTENSIONS and f.is_file():
                        yield TreeImage(f, sub.name[4:], ses.name[4:], f.relative_to(ses).as_posix(), name)


def is_mids(root: Path) -> bool:
    """True for a MIDS/BIDS-looking folder: sub-<label> folders and a dataset description or participants table."""
    if not root.is_dir():
        return False
    marker = (root / "dataset_description.json").is_file() or (root / "participants.tsv").is_file()
    return marker and any(p.is_dir() and p.name.startswith("sub-") for p in root.iterdir())


def first_session_folders(root: Path) -> list[str]:
    """Names (relative to the session) of the image folders of the first session that has any, MR volume folders
    left out: they are alike in every layout, so they do not tell it."""
    for sub in subjects(root):
        for ses in sessions(sub):
            folders = [f.relative_to(ses).as_posix() for f in modality_folders(ses)]
            folders = [f for f in folders if not f.startswith(MR_FOLDERS)]
            if folders:
                return folders
    return []


def layout_of(root: Path) -> str:
    """ "bimcv-release" (mod-*), "dcm2mids" (mim-*/<modality>) or "flat" (mim-*), from the first session."""
    folders = first_session_folders(root)
    if any(f.startswith("mod-") for f in folders):
        return "bimcv-release"
    if any("/" in f for f in folders):
        return "dcm2mids"
    return "flat"


def description(root: Path) -> dict[str, Any]:
    """dataset_description.json as a dict ({} when absent or unreadable)."""
    try:
        obj = json.loads((root / "dataset_description.json").read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return obj if isinstance(obj, dict) else {}


def generated_by_radbank(root: Path) -> bool:
    """True when dataset_description.json says radbank wrote the tree."""
    gen = description(root).get("GeneratedBy")
    return isinstance(gen, list) and any(isinstance(g, dict) and g.get("Name") == "radbank" for g in gen)


def read_sidecar(path: Path) -> dict[str, Any]:
    """A sidecar as keyword -> value (tag-keyed DICOM JSON converted); {} when missing or unreadable."""
    try:
        obj = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return keyword_fields(obj) if isinstance(obj, dict) else {}


def keyword_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """Sidecar fields keyword -> value, from keyword- or tag-keyed JSON."""
    return {_keyword(k): _value(v) for k, v in obj.items()}


def _keyword(key: str) -> str:
    if _TAG.match(key):
        from pydicom.datadict import keyword_for_tag

        return keyword_for_tag(int(key, 16)) or key
    return key


def _value(v: Any) -> Any:
    """A DICOM JSON model element ({"vr": .., "Value": [..]}) as its value; other values as they are."""
    if isinstance(v, dict) and "vr" in v:
        values = v.get("Value", [])
        values = [x.get("Alphabetic", "") if isinstance(x, dict) and "Alphabetic" in x else x for x in values]
        return values[0] if len(values) == 1 else (values or None)
    return v


def participant_rows(root: Path) -> dict[str, dict[str, str]]:
    """participants.tsv rows keyed by subject label (BIDS `participant_id` or BIMCV-COVID19+'s `participant`)."""
    path = root / "participants.tsv"
    if not path.is_file():
        return {}
    frame = read_tsv(path)
    key = next((k for k in ("participant_id", "participant") if k in frame.columns), None)
    if key is None:
        return {}
    return {str(r[key]).removeprefix("sub-"): r for r in frame.to_dict("records")}


def session_rows(sub: Path) -> dict[str, dict[str, str]]:
    """sub-<s>_sessions.tsv rows keyed by session label."""
    path = sub / f"{sub.name}_sessions.tsv"
    if not path.is_file():
        return {}
    frame = read_tsv(path)
    if "session_id" not in frame.columns:
        return {}
    return {str(r["session_id"]).removeprefix("ses-").removeprefix("sub-"): r for r in frame.to_dict("records")}
