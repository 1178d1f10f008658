"""A MIDS tree (as `radbank mids export` writes, or BIMCV's releases with mod-rx/) read back as Records.

Images: sub-*/ses-*/mim-*/ (or mod-*/) files with an image extension. Patient = the sub- label, study
= the session. View from the sidecar's ViewPosition (else the vp- entity), age from the sessions table,
sex from participants.tsv. Labels from each session's findings table: the curated rows of the image (or of
the whole session), or the report-coded ones when a session has no curated row. One label per image and two in all
gives a binary task (No Finding = 0), more a multi-class one; several per session a multi-label one;
`labels` picks the multi-label columns.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from radbank.errors import RadbankError
from radbank.mids.naming import IMAGE_EXTENSIONS, parse_name
from radbank.mids.tsv import NA, read_tsv
from radbank.sources.records import Records, from_class_names, is_healthy_name

log = logging.getLogger(__name__)


def is_mids(root: str | Path) -> bool:
    """True when the folder looks like a MIDS/BIDS tree (dataset_description.json and sub- folders)."""
    base = Path(root)
    return (base / "dataset_description.json").is_file() and any(
        p.is_dir() and p.name.startswith("sub-") for p in base.iterdir()
    )


def _table(path: Path, key: str) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    frame = read_tsv(path)
    if key not in frame.columns:
        raise RadbankError(f"{path}: missing column {key}")
    return {str(r[key]): r for r in frame.to_dict("records")}


def _session_labels(ses_dir: Path, prefix: str) -> dict[str, list[str]]:
    """Labels per image ('folder/file' as in scans.tsv; '' = the whole session) from the findings table."""
    path = ses_dir / f"{prefix}_findings.tsv"
    if not path.is_file():
        return {}
    frame = read_tsv(path)
    if "label" not in frame.columns:
        raise RadbankError(f"{path}: missing column label")
    if "source" not in frame.columns:
        frame["source"] = "curated"
    if "filename" not in frame.columns:
        frame["filename"] = NA
    curated = frame[frame["source"] == "curated"]
    chosen = curated if len(curated) else frame
    out: dict[str, set[str]] = {}
    for lab, fname in zip(chosen["label"], chosen["filename"], strict=True):
        if lab != NA:
            out.setdefault("" if fname == NA else str(fname), set()).add(str(lab))
    return {k: sorted(v) for k, v in out.items()}


def _number(value: str | None) -> float:
    try:
        return float(value) if value not in (None, NA) else float("nan")
    except ValueError:
        return float("nan")


def read_mids(root: str | Path, labels: str | None = None, positive: str | None = None) -> Records:
    """Index a MIDS tree into Records (see the module docstring)."""
    base = Path(root)
    if not is_mids(base):
        raise RadbankError(f"{base}: not a MIDS tree (needs dataset_description.json and sub-<label> folders)")
    participants = _table(base / "participants.tsv", "participant_id")
    rows, sets, skipped = [], [], []
    for sub in sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith("sub-")):
        sessions = _table(sub / f"{sub.name}_sessions.tsv", "session_id")
        sex = participants.get(sub.name, {}).get("sex", NA)
        for ses in sorted(p for p in sub.iterdir() if p.is_dir() and p.name.startswith("ses-")):
            prefix = f"{sub.name}_{ses.name}"
            found = _session_labels(ses, prefix)
            for folder in sorted(p for p in ses.iterdir() if p.is_dir() and p.name[:4] in ("mim-", "mod-")):
                for f in sorted(folder.iterdir()):
                    name = parse_name(f.name)
                    if name is None or name.ext not in IMAGE_EXTENSIONS:
                        continue
                    mine = found.get(f"{folder.name}/{f.name}") or found.get("")
                    if not mine:
                        skipped.append((str(f), f"no finding for it in {prefix}_findings.tsv"))
                        continue
                    view = (name.vp or "").upper()
                    sidecar = f.with_name(f.name[: -len(name.ext)] + ".json")
                    if sidecar.is_file():
                        try:
                            view = str(json.loads(sidecar.read_text("utf-8")).get("ViewPosition", view)).upper()
                        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
                            log.warning("%s: unreadable sidecar, view from the file name", sidecar)
                    rows.append({"path": str(f), "patient": sub.name, "study": prefix, "view": view,
                                 "age": _number(sessions.get(ses.name, {}).get("age")),
                                 "sex": "" if sex == NA else sex})  # fmt: skip
                    sets.append(mine)
    if not rows:
        raise RadbankError(f"{base}: no labelled images under sub-*/ses-*/mim-*/")
    table = pd.DataFrame(rows)
    records = _labelled(table, sets, labels, positive, str(base))
    records.skipped = skipped
    return records


def _labelled(table: pd.DataFrame, sets: list[list[str]], labels: str | None, positive: str | None,
              origin: str) -> Records:  # fmt: skip
    if labels:
        names = [n.strip() for n in labels.split(",") if n.strip()]
    elif all(len(s) == 1 for s in sets):
        classes = [s[0] for s in sets]
        return from_class_names(table, classes, sorted(set(classes)), positive, origin, source="mids")
    else:
        names = sorted({n for s in sets for n in s if not is_healthy_name(n)})
    matrix = np.array([[1.0 if n in s else 0.0 for n in names] for s in sets], np.float32).reshape(len(sets), -1)
    return Records(table, matrix, names, "multilabel", names, source="mids")
