"""A folder tree of DICOM radiographs (CR/DX), labelled by class folders or by a label table.

Headers are read in parallel with `stop_before_pixels=True` (pixels are decoded later, once, into the
cache). Patient, study, view, age and sex come from the header. Labels come from:
- a label table (CSV) keyed by `path` (relative to the root), `SOPInstanceUID`, `AccessionNumber` or
  `StudyInstanceUID`, with either `Finding Labels` (NIH style, `|`-separated: multi-label), `label`
  (one class name per image: binary or multi-class), or one numeric column per finding (1 present,
  0 absent, blank or -1 unknown: multi-label);
- or else the first folder level under the root, one folder per class (as the `folders` source).
Files that are not DICOM, or not of the accepted modalities, are skipped with the reason.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from radbank.badinput import Skipped, iter_files
from radbank.errors import RadbankError
from radbank.findings.policy import NON_LABEL_COLUMNS, label_cell, uncertain_value
from radbank.fsutil import is_hidden
from radbank.parallel import map_parallel
from radbank.sources.records import BINARY, Records, from_class_names
from radbank.sources.registry import SourceReader

log = logging.getLogger(__name__)

FIELDS = (
    "SOPInstanceUID",
    "StudyInstanceUID",
    "AccessionNumber",
    "PatientID",
    "Modality",
    "ViewPosition",
    "PatientAge",
    "PatientSex",
    "BodyPartExamined",
)
KEYS = ("path", "SOPInstanceUID", "AccessionNumber", "StudyInstanceUID")
RADIOGRAPHS = ("CR", "DX")
AGE_STRING = 4  # DICOM AS: nnnD/W/M/Y


def header_task(path: str) -> tuple[dict[str, str] | None, str | None]:
    """Read the header fields of one file (worker side; never raises)."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=list(FIELDS))
        return {f: str(ds.get(f, "") or "").strip() for f in FIELDS}, None
    except zlib.error as exc:  # Deflated Explicit VR Little Endian whose deflated stream is garbage
        return None, f"corrupt deflated DICOM data (zlib: {exc})"
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"not a readable DICOM file ({str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__})"
    except Exception as exc:  # a pydicom bug on one odd file must not stop the index
        return None, f"cannot read the DICOM header ({type(exc).__name__}: {str(exc)[:120]})"


def dicom_age(value: str) -> float:
    """DICOM Age String (nnnD/W/M/Y) in years; NaN when absent or malformed."""
    value = value.strip().upper()
    if len(value) != AGE_STRING or not value[:3].isdigit() or value[3] not in "DWMY":
        return float("nan")
    return int(value[:3]) / {"D": 365.25, "W": 52.18, "M": 12.0, "Y": 1.0}[value[3]]


@dataclass(frozen=True)
class DicomOptions:
    """Options of a DICOM folder."""

    label_table: str | None = None  # CSV of labels keyed by path, SOPInstanceUID, AccessionNumber or StudyInstanceUID
    labels: str | None = None  # multi-label tables: a comma list of the findings to use
    positive: str | None = None  # the class that means disease, when names are unclear
    modalities: str = "CR,DX"  # accepted modalities ("any" for all)
    uncertain: str = "masked"  # one-column-per-finding tables: -1 cells masked, or read as ones / zeros

    def __post_init__(self) -> None:
        uncertain_value(self.uncertain)  # RadbankError naming the choices


def read_dicom_dir(root: str | Path, options: DicomOptions | None = None, workers: int = 0) -> Records:
    """Index a DICOM folder tree into Records (see the module docstring)."""
    opts = options or DicomOptions()
    label_table, labels, positive, modalities = opts.label_table, opts.labels, opts.positive, opts.modalities
    uncertain = opts.uncertain
    base = Path(root)
    if not base.is_dir():
        raise RadbankError(f"{base}: folder not found")
    walk = Skipped(log)
    files = [str(f) for f in iter_files(base, walk)]
    if not files:
        raise RadbankError(f"{base}: no files")
    accepted = {m.strip().upper() for m in modalities.split(",")} if modalities.lower() != "any" else None
    rows, skipped = [], list(walk.rows)
    for path, (header, reason) in zip(files, map_parallel(header_task, files, workers=workers), strict=True):
        if header is None:
            skipped.append((path, reason or "not DICOM"))
        elif accepted is not None and header["Modality"].upper() not in accepted:
            skipped.append(
                (path, f"modality {header['Modality'] or '(none)'} is not one of {', '.join(sorted(accepted))}")
            )
        else:
            rel = Path(path).relative_to(base).as_posix()
            rows.append(
                {
                    "path": path,
                    "rel": rel,
                    "patient": header["PatientID"] or rel,
                    "study": header["StudyInstanceUID"] or rel,
                    "view": header["ViewPosition"].upper(),
                    "age": dicom_age(header["PatientAge"]),
                    "sex": header["PatientSex"].upper()[:1],
                    "modality": header["Modality"].upper(),
                    "body_part": header["BodyPartExamined"].upper(),
                    **{k: header[k] for k in ("SOPInstanceUID", "AccessionNumber", "StudyInstanceUID")},
                }
            )
    if not rows:
        raise RadbankError(f"{base}: no usable DICOM radiographs ({len(skipped)} file(s) skipped)")
    table = pd.DataFrame(rows)
    if label_table:
        records = _from_label_table(table, Path(label_table), labels, positive, skipped, uncertain)
    else:
        first = table["rel"].str.split("/").str[0]
        if (~table["rel"].str.contains("/")).any():
            raise RadbankError(
                f"{base}: DICOM files directly in the folder have no label; "
                "put them in class folders or give a label table",
                settings=("label_table",),
            )
        names = sorted(first.unique())
        if len(names) < BINARY:
            raise RadbankError(
                f"{base}: only one class folder ({names[0]}); need at least two or a label table",
                settings=("label_table",),
            )
        records = from_class_names(table, first.tolist(), positive, str(base), source="dicom")
    records.skipped = skipped + records.skipped
    records.table = records.table.drop(columns=["rel"])
    return records


def _from_label_table(
    table: pd.DataFrame,
    path: Path,
    labels: str | None,
    positive: str | None,
    skipped: list[tuple[str, str]],
    uncertain: str = "masked",
) -> Records:
    try:
        lab = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise RadbankError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    key = next((k for k in KEYS if k in lab.columns), None)
    if key is None:
        raise RadbankError(f"{path}: needs one key column of {', '.join(KEYS)}")
    if lab[key].duplicated().any():
        raise RadbankError(f"{path}: duplicate values in key column {key!r}")
    lab = lab.set_index(key)
    own = table["rel"] if key == "path" else table[key]
    known = own.isin(lab.index)
    for p in table.loc[~known, "path"]:
        skipped.append((p, f"not in the label table {path.name}"))
    table = table[known].reset_index(drop=True)
    rows = lab.loc[(table["rel"] if key == "path" else table[key]).tolist()]
    origin = str(path)
    if "label" in lab.columns:
        classes = rows["label"].str.strip().tolist()
        return from_class_names(table, classes, positive, origin, source="dicom")
    if "Finding Labels" in lab.columns:
        from radbank.sources.nih import parse_labels

        names = (
            parse_labels(labels)
            if labels
            else sorted(
                {f.strip() for cell in rows["Finding Labels"] for f in cell.split("|") if f.strip()} - {"No Finding"}
            )
        )
        sets = [{f.strip() for f in cell.split("|")} for cell in rows["Finding Labels"]]
        matrix = np.array([[1.0 if n in s else 0.0 for n in names] for s in sets], np.float32)
        return Records(table, matrix.reshape(len(table), len(names)), names, "multilabel", names, source="dicom")
    names = [c for c in lab.columns if c not in KEYS and c not in NON_LABEL_COLUMNS]  # label-reports' own columns
    if labels:
        wanted = [n.strip() for n in labels.split(",")]
        missing = [n for n in wanted if n not in names]
        if missing:
            raise RadbankError(f"{path}: no column(s) {', '.join(missing)}")
        names = wanted
    if not names:
        raise RadbankError(f"{path}: no label columns (expected label, Finding Labels, or one column per finding)")
    matrix = np.vstack([rows[n].map(lambda v: label_cell(v, uncertain)).to_numpy(np.float32) for n in names]).T
    return Records(table, matrix.reshape(len(table), len(names)), names, "multilabel", names, source="dicom")


class DicomReader(SourceReader[DicomOptions]):
    """A folder tree of DICOM radiographs."""

    options_type = DicomOptions
    SNIFF = 20  # files looked at to recognise a DICOM folder

    @classmethod
    def can_read(cls, path: Path) -> bool:
        from radbank.io import sniff_format

        if not path.is_dir():
            return False
        files = (f for f in sorted(path.rglob("*")) if f.is_file() and not is_hidden(f.relative_to(path)))
        for f in islice(files, cls.SNIFF):
            try:
                if sniff_format(f) == "dicom":
                    return True
            except (OSError, ValueError, RadbankError):  # unreadable or empty: look at the next file
                continue
        return False

    def read(self, root: Path, options: DicomOptions, workers: int = 0) -> Records:
        return read_dicom_dir(root, options, workers)
