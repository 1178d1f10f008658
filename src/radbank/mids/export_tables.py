"""The tables of an export: participants.tsv, sub-<s>_sessions.tsv, sub-<s>_ses-<e>_scans.tsv and the JSON
files describing their columns (at the root, where BIDS inheritance applies them to every subject).

sessions.tsv shares no column with participants.tsv but `session_id`'s key (BIDS forbids repeating a
participants column in a sessions table): the participant's age and findings are `age` and `finding`, a
session's are `age_at_session` and `session_findings`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radbank.fsutil import write_json
from radbank.mids.derivatives import write_labels
from radbank.mids.naming import ImageName
from radbank.mids.tsv import write_tsv
from radbank.sources.records import is_healthy_name

if TYPE_CHECKING:
    from radbank.mids.export import ExportReport

PARTICIPANT_COLUMNS = ["participant_id", "age", "sex", "n_sessions", "modalities", "body_parts", "finding"]
SESSION_COLUMNS = ["session_id", "age_at_session", "n_images", "session_findings"]
SCAN_COLUMNS = ["filename", "modality", "view_position", "body_part"]


@dataclass(frozen=True)
class ImageRow:
    """One exported image and what the tables say about it."""

    src: str
    name: ImageName
    folder: str  # relative to the session folder: mod-rx, mim-rx/cr
    view: str
    age: float | None
    sex: str
    labels: tuple[str, ...]
    study: str = ""
    localizations: tuple[str, ...] = ()
    report: str = ""
    modality: str = ""  # DICOM Modality when the suffix is not one (MR volumes: suffix T1w, modality MR)
    body_part: str = ""  # Body Part Examined when the name has no bp- entity (MR volumes)

    def modality_name(self) -> str:
        """The DICOM modality of the image, upper case."""
        return (self.modality or self.name.suffix).upper()

    def body_part_name(self, default: str) -> str:
        """The body part of the image, upper case."""
        return (self.name.bp or self.body_part or default).upper()

    def scan_path(self) -> str:
        """The image relative to its session folder (scans.tsv's filename)."""
        return f"{self.folder}/{self.name.filename()}"

    def rel(self) -> str:
        """The image relative to the dataset root."""
        return f"sub-{self.name.sub}/ses-{self.name.ses}/{self.scan_path()}"


def curated_findings(labels: list[str]) -> list[str]:
    """Distinct labels, 'No Finding' for healthy names, and no 'No Finding' beside a finding."""
    found = sorted({"No Finding" if is_healthy_name(x) else x for x in labels})
    return [x for x in found if x != "No Finding"] or found


def write_tables(root: Path, rows: list[ImageRow], body_part: str, unknown: Counter[str], rep: ExportReport) -> None:
    """Write every table of the tree for the exported images (and the label derivatives)."""
    by_subject: dict[str, dict[str, list[ImageRow]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        by_subject[r.name.sub][r.name.ses].append(r)
    participants = []
    for sub, by_ses in sorted(by_subject.items()):
        ses_rows = []
        for ses, images in sorted(by_ses.items()):
            write_tsv(
                root / f"sub-{sub}" / f"ses-{ses}" / f"sub-{sub}_ses-{ses}_scans.tsv",
                SCAN_COLUMNS,
                [
                    {
                        "filename": r.scan_path(),
                        "modality": r.modality_name(),
                        "view_position": r.view,
                        "body_part": r.body_part_name(body_part),
                    }
                    for r in images
                ],
            )
            ages = [r.age for r in images if r.age is not None]
            found = curated_findings([x for r in images for x in r.labels])
            ses_rows.append(
                {
                    "session_id": f"ses-{ses}",
                    "age_at_session": min(ages) if ages else None,
                    "n_images": len(images),
                    "session_findings": "|".join(found),
                }
            )
        write_tsv(root / f"sub-{sub}" / f"sub-{sub}_sessions.tsv", SESSION_COLUMNS, ses_rows)
        participants.append(
            _participant(sub, [r for images in by_ses.values() for r in images], len(by_ses), body_part)
        )
        rep.sessions += len(by_ses)
    rep.subjects = len(participants)
    write_tsv(root / "participants.tsv", PARTICIPANT_COLUMNS, participants)
    write_json(root / "participants.json", PARTICIPANTS_JSON)
    write_json(root / "sessions.json", SESSIONS_JSON)
    write_json(root / "scans.json", SCANS_JSON)
    rep.nlp_findings = write_labels(root, rows, unknown)


def _participant(sub: str, images: list[ImageRow], n_sessions: int, body_part: str) -> dict[str, Any]:
    ages = [r.age for r in images if r.age is not None]
    return {
        "participant_id": f"sub-{sub}",
        "age": max(ages) if ages else None,
        "sex": images[0].sex,
        "n_sessions": n_sessions,
        "modalities": ",".join(sorted({r.modality_name() for r in images})),
        "body_parts": ",".join(sorted({r.body_part_name(body_part) for r in images})),
        "finding": "|".join(curated_findings([x for r in images for x in r.labels])),
    }


PARTICIPANTS_JSON: dict[str, Any] = {
    "participant_id": {"Description": "Pseudonymised participant label (sub-<label>)"},
    "age": {"Description": "Age at the participant's last session", "Units": "year"},
    "sex": {"Description": "Sex as recorded in the source", "Levels": {"M": "male", "F": "female", "O": "other"}},
    "n_sessions": {"Description": "Number of sessions (imaging studies) in this dataset"},
    "modalities": {"Description": "DICOM modalities of the participant's images (0008,0060)"},
    "body_parts": {"Description": "Body Part Examined of the participant's images (0018,0015)"},
    "finding": {"Description": "Curated findings over all sessions, '|'-separated (derivatives/labels/findings.tsv)"},
}
SESSIONS_JSON: dict[str, Any] = {
    "session_id": {"Description": "Session (imaging study) label (ses-<label>)"},
    "age_at_session": {"Description": "The participant's age at this session", "Units": "year"},
    "n_images": {"Description": "Number of images in this session"},
    "session_findings": {"Description": "Curated findings of this session's images, '|'-separated"},
}
SCANS_JSON: dict[str, Any] = {
    "filename": {"Description": "The image, relative to the session folder"},
    "modality": {"Description": "DICOM Modality (0008,0060)"},
    "view_position": {"Description": "DICOM View Position (0018,5101); n/a when unknown"},
    "body_part": {"Description": "DICOM Body Part Examined (0018,0015)"},
}
