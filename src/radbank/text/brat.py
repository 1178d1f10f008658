"""brat standoff corpora (MEDDOCAN's format): a folder of `NAME.txt` + `NAME.ann` read as gold records.

An .ann line `Tn<TAB>LABEL START END<TAB>text` is one entity (character offsets into the .txt; a
discontinuous `START END;START END` entity keeps its outer bounds). Other lines (relations, notes) are
ignored. MEDDOCAN's 21 labels map to radbank's labels through `MEDDOCAN_TO_RADBANK`; each record keeps
the original label too (`meddocan`), which the official metrics use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from radbank.errors import RadbankError

MEDDOCAN_TO_RADBANK = {
    "NOMBRE_SUJETO_ASISTENCIA": "NAME",
    "NOMBRE_PERSONAL_SANITARIO": "NAME",
    "FAMILIARES_SUJETO_ASISTENCIA": "NAME",
    "EDAD_SUJETO_ASISTENCIA": "AGE",
    "SEXO_SUJETO_ASISTENCIA": "SEX",
    "FECHAS": "DATE",
    "CALLE": "ADDRESS",
    "TERRITORIO": "CITY",
    "PAIS": "COUNTRY",
    "CORREO_ELECTRONICO": "EMAIL",
    "NUMERO_TELEFONO": "PHONE",
    "NUMERO_FAX": "PHONE",
    "ID_SUJETO_ASISTENCIA": "ID",
    "ID_ASEGURAMIENTO": "ID",
    "ID_CONTACTO_ASISTENCIAL": "ID",
    "ID_TITULACION_PERSONAL_SANITARIO": "ID",
    "ID_EMPLEO_PERSONAL_SANITARIO": "ID",
    "IDENTIF_VEHICULOS_NRSERIE_PLACAS": "ID",
    "IDENTIF_DISPOSITIVOS_NRSERIE": "ID",
    "OTRO_NUMERO_IDENTIF": "ID",
    "URL_WEB": "URL",
    "DIREC_PROT_INTERNET": "URL",
    "IDENTIF_BIOMETRICOS": "ID",
    "HOSPITAL": "INSTITUTION",
    "CENTRO_SALUD": "INSTITUTION",
    "INSTITUCION": "INSTITUTION",
    "PROFESION": "PROFESSION",
    "OTROS_SUJETO_ASISTENCIA": "OTHER",
}
"""MEDDOCAN's annotation guideline labels (those the corpus uses and those it defines but rarely uses)."""


def read_brat_file(txt: Path) -> dict[str, Any]:
    """One gold record from `txt` and the .ann beside it (an .ann that is missing is an error)."""
    ann = txt.with_suffix(".ann")
    try:
        text = txt.read_text("utf-8")
        lines = ann.read_text("utf-8").splitlines()
    except FileNotFoundError as exc:
        raise RadbankError(f"{exc.filename}: not found (a brat .txt needs its .ann)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RadbankError(f"{txt}: not a UTF-8 brat file ({type(exc).__name__})") from None
    spans = []
    for n, line in enumerate(lines, 1):
        if not line.startswith("T"):
            continue
        try:
            _, middle, *_ = line.split("\t")
            label, *offsets = middle.replace(";", " ").split()
            start, end = int(offsets[0]), int(offsets[-1])
        except (ValueError, IndexError):
            raise RadbankError(f"{ann}:{n}: not a brat entity line") from None
        if label not in MEDDOCAN_TO_RADBANK:
            raise RadbankError(f"{ann}:{n}: unknown label {label!r} (not one of MEDDOCAN's)")
        if not 0 <= start < end <= len(text):
            raise RadbankError(f"{ann}:{n}: offsets {start}-{end} outside the text ({len(text)} characters)")
        spans.append({"start": start, "end": end, "label": MEDDOCAN_TO_RADBANK[label], "meddocan": label})
    return {"id": txt.stem, "lang": "es", "text": text, "spans": sorted(spans, key=lambda s: (s["start"], s["end"]))}


def read_brat(folder: str | Path) -> list[dict[str, Any]]:
    """Gold records of every `.txt` in `folder` (sorted by name); RadbankError when there is none."""
    root = Path(folder)
    files = sorted(root.glob("*.txt"))
    if not files:
        raise RadbankError(f"{root}: no brat .txt/.ann pairs in this folder")
    return [read_brat_file(txt) for txt in files]
