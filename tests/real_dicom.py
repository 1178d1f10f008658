"""DICOM files nobody on the project wrote, and the outside referees that judge radbank's outputs.

Corpus (fetched from the package registries at test time, cached, never committed):
- pydicom's own test files (installed with pydicom: the folder of `pydicom.data.get_testdata_files()`, with
  its sub-folders);
- the `pydicom-data` wheel (MIT: pydicom's larger test files, `data_store/data`);
- the `deid-data` sdist (MIT: pydicom/deid's test images: an animal, cookies, CT, ultrasound);
- dicom3tools' example shipped by Debian's package (/usr/share/doc/dicom3tools/examples), when installed.
Referees: dciodvfy (Debian `dicom3tools`: IOD validity), dcmdump (Debian `dcmtk`), pydicom (decoding).

As a command, writes the corpus to a folder (for benchmarks/deid_compare.py --real):
    .venv/bin/python tests/real_dicom.py /tmp/real-dicom
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # as a command, too
from registry_files import Unavailable, registry_archive

__all__ = ["Unavailable", "build_corpus", "fetch"]  # Unavailable: what test_deid_real catches

PACKAGES = {"pydicom-data": "pydicom-data==1.0.0", "deid-data": "deid-data==0.0.20"}
DICOM3TOOLS_EXAMPLES = Path("/usr/share/doc/dicom3tools/examples")


def fetch(name: str) -> Path:
    """The downloaded archive of one registry package (pip download, once per cache)."""
    return registry_archive(PACKAGES[name])


def build_corpus(out: Path) -> Path:
    """Write every corpus file under `out` (pydicom/, pydicom-data/, deid-data/, dicom3tools/)."""
    import pydicom.data

    out.mkdir(parents=True, exist_ok=True)
    own = Path(pydicom.data.__file__).parent / "test_files"
    for src in sorted(own.rglob("*")):  # get_testdata_files() lists the top folder only
        if src.is_file() and src.suffix != ".py" and "__pycache__" not in src.parts:
            _copy(src, out / "pydicom" / src.relative_to(own))
    with zipfile.ZipFile(fetch("pydicom-data")) as whl:
        for member in whl.namelist():
            if member.startswith("data_store/data/") and member.endswith(".dcm"):
                _write(out / "pydicom-data" / Path(member).name, whl.read(member))
    with tarfile.open(fetch("deid-data")) as sdist:
        for member in sdist.getmembers():
            parts = Path(member.name).parts
            if member.isfile() and "data" in parts and member.name.endswith(".dcm"):
                data = sdist.extractfile(member)
                if data is not None:
                    _write(out / "deid-data" / Path(*parts[parts.index("data") + 1 :]), data.read())
    if DICOM3TOOLS_EXAMPLES.is_dir():
        for src in DICOM3TOOLS_EXAMPLES.glob("*.dcm"):
            _copy(src, out / "dicom3tools" / src.name)
    return out


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _write(dst: Path, data: bytes) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(data)


# --- referees ---------------------------------------------------------------------------------------------


def dciodvfy_errors(path: Path) -> set[str]:
    """dciodvfy's error lines for a file, values and UIDs blanked (so an input and its de-identified output,
    whose values differ, compare by the kind and place of each error)."""
    proc = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, errors="replace", timeout=300)
    errors = set()
    for line in (proc.stdout + proc.stderr).splitlines():
        if line.startswith("Error"):
            line = re.sub(r"\[\d+\]\s*=\s*<[^>]*>", "[] = <value>", line)
            errors.add(re.sub(r"<[0-9.]+>", "<uid>", line).strip())
    return errors


def dcmdump_problem(path: Path) -> str | None:
    """Why dcmdump cannot read a file (None when it reads it without an error)."""
    proc = subprocess.run(["dcmdump", "-q", str(path)], capture_output=True, text=True, errors="replace", timeout=300)
    if proc.returncode != 0 or "E: " in proc.stderr:
        return (proc.stderr.strip() or f"exit {proc.returncode}")[:300]
    return None


def pydicom_problem(path: Path) -> str | None:
    """Why pydicom cannot read a file and decode all its pixel data (None when it can)."""
    import pydicom

    try:
        ds = pydicom.dcmread(path)
        if "PixelData" in ds:
            _ = ds.pixel_array
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/real_dicom.py OUT_FOLDER")
    print(f"{build_corpus(Path(sys.argv[1]))}: {sum(1 for p in Path(sys.argv[1]).rglob('*') if p.is_file())} files")
