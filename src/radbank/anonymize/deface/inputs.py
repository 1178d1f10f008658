"""What `radbank deface IN OUT` works on: one NIfTI file, a folder of them, a BIDS/MIDS tree, or DICOM MR series.

- a file: `.nii`/`.nii.gz` -> OUT is a file of the same kind;
- a BIDS or MIDS tree (a dataset_description.json, or sub-* folders): the images of `anat` folders
  (`sub-*/[ses-*/][mim-mr/]anat/`: T1w, T2w, FLAIR, and any other anatomical image, privacy first) are defaced;
  every other file (sidecars, tables, func/dwi/fmap series) is copied through unchanged;
- a folder holding NIfTI files: each is defaced to the same relative path in OUT;
- a folder holding DICOM files: grouped into series (Series Instance UID), each MR series defaced and written
  de-identified as by `radbank anonymize dicom` (needs a key); other series are reported and left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from radbank.anonymize.deface.contrast import contrast_from_name
from radbank.anonymize.deface.nifti import is_nifti_name
from radbank.errors import RadbankError
from radbank.fsutil import is_hidden


@dataclass(frozen=True)
class Task:
    """One unit of work: deface a NIfTI file, copy a file through, or deface a DICOM series (several files)."""

    kind: str  # nifti, copy, dicom
    sources: tuple[str, ...]
    output: str  # file (nifti, copy) or OUT root (dicom)
    rel: str  # a name for reports: the path relative to IN (series: its folder and first file)
    contrast: str | None = None


@dataclass
class Plan:
    kind: str  # file, tree, folder, dicom
    tasks: list[Task] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def shown(path: Path | str) -> str:
    """A path as text for reports and logs: bytes that are not UTF-8 become U+FFFD (never a crash)."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def is_tree(root: Path) -> bool:
    """A BIDS/MIDS dataset root."""
    return (root / "dataset_description.json").is_file() or any(p.is_dir() for p in root.glob("sub-*"))


def _files(root: Path, exclude: list[Path]) -> list[Path]:
    out = []
    for f in sorted(root.rglob("*")):
        if not f.is_file() or is_hidden(f.relative_to(root)):
            continue
        if any(f.resolve().is_relative_to(e) for e in exclude):
            continue
        out.append(f)
    return out


def _is_dicom(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return head[128:132] == b"DICM" or path.suffix.lower() in (".dcm", ".dicom", ".ima")


def plan(src: Path, dst: Path, exclude: list[Path]) -> Plan:
    """Classify IN and list the tasks (see the module docstring)."""
    if src.is_file():
        if not is_nifti_name(src):
            raise RadbankError(f"{src}: expected a .nii or .nii.gz file, or a folder")
        if dst.is_dir():
            raise RadbankError(f"{dst}: is a folder; for a NIfTI input give an output file name (.nii.gz)")
        return Plan("file", [Task("nifti", (str(src),), str(dst), shown(src.name), contrast_from_name(src.name))])
    if not src.is_dir():
        raise RadbankError(f"{src}: input not found")
    if dst.exists() and not dst.is_dir():
        raise RadbankError(f"{dst}: exists and is not a folder")
    files = _files(src, [e.resolve() for e in exclude])
    if is_tree(src):
        return _tree(src, dst, files)
    niftis = [f for f in files if is_nifti_name(f)]
    if niftis:
        tasks = [
            Task(
                "nifti", (str(f),), str(dst / f.relative_to(src)), shown(f.relative_to(src)), contrast_from_name(f.name)
            )
            for f in niftis
        ]
        return Plan(
            "folder",
            tasks,
            [(shown(f.relative_to(src)), "not a NIfTI file (left out)") for f in files if not is_nifti_name(f)],
        )
    dicoms = [f for f in files if _is_dicom(f)]
    if not dicoms:
        raise RadbankError(f"{src}: no NIfTI or DICOM files found")
    return _series(src, dst, dicoms)


def _series(src: Path, dst: Path, files: list[Path]) -> Plan:
    """DICOM files grouped into series by their headers (pixels are not read here)."""
    import pydicom

    from radbank.anonymize.deface.dicom_series import is_head_mr

    groups: dict[str, list[Path]] = {}
    skipped: list[tuple[str, str]] = []
    for f in files:
        rel = shown(f.relative_to(src))
        try:
            ds = pydicom.dcmread(f, stop_before_pixels=True)
        except Exception as exc:  # pydicom raises many types for damaged files
            skipped.append((rel, f"not a readable DICOM file ({type(exc).__name__})"))
            continue
        if not is_head_mr(ds):
            part = str(ds.get("BodyPartExamined", "") or "").strip()
            skipped.append(
                (rel, f"not a head MR image (modality {ds.get('Modality', '?')}{', ' + part if part else ''})")
            )
            continue
        groups.setdefault(str(ds.get("SeriesInstanceUID", "") or f.parent), []).append(f)
    tasks = [
        Task(
            "dicom",
            tuple(str(f) for f in members),
            str(dst),
            shown(f"{members[0].parent.relative_to(src)} ({len(members)} files, first {members[0].name})"),
        )
        for members in groups.values()
    ]
    return Plan("dicom", tasks, skipped)


def _tree(src: Path, dst: Path, files: list[Path]) -> Plan:
    tasks = []
    for f in files:
        rel = f.relative_to(src)
        contrast = contrast_from_name(f.name)
        if is_nifti_name(f) and f.parent.name == "anat":  # every anatomical image, whatever its suffix
            tasks.append(Task("nifti", (str(f),), str(dst / rel), shown(rel), contrast))
        else:
            tasks.append(Task("copy", (str(f),), str(dst / rel), shown(rel)))
    return Plan("tree", tasks)
