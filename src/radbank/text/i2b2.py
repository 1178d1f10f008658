"""i2b2 2014 de-identification XML (`<deIdi2b2><TEXT>...</TEXT><TAGS><NAME TYPE="PATIENT" start= end= .../>`), the
format of the i2b2/UTHealth corpus and of the notes Philter ships as its test data, read as gold records.

Tag types map to radbank's labels (PATIENT, DOCTOR, USERNAME -> NAME; HOSPITAL, ORGANIZATION -> INSTITUTION;
IDNUM, MEDICALRECORD and other numbers -> ID...); types without a radbank label (PROFESSION) are kept as OTHER.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from radbank.errors import RadbankError

I2B2_TO_RADBANK = {
    "PATIENT": "NAME",
    "DOCTOR": "NAME",
    "USERNAME": "NAME",
    "HOSPITAL": "INSTITUTION",
    "ORGANIZATION": "INSTITUTION",
    "STREET": "ADDRESS",
    "CITY": "CITY",
    "STATE": "CITY",
    "COUNTRY": "COUNTRY",
    "ZIP": "ZIP",
    "LOCATION-OTHER": "CITY",
    "DATE": "DATE",
    "AGE": "AGE",
    "PHONE": "PHONE",
    "FAX": "PHONE",
    "EMAIL": "EMAIL",
    "URL": "URL",
    "IDNUM": "ID",
    "MEDICALRECORD": "ID",
    "HEALTHPLAN": "ID",
    "ACCOUNT": "ID",
    "LICENSE": "ID",
    "DEVICE": "ID",
    "BIOID": "ID",
    "VEHICLE": "ID",
    "PROFESSION": "PROFESSION",
}


def read_i2b2(path: str | Path) -> dict[str, Any]:
    """One gold record (lang 'en') from an i2b2 XML file; each span keeps the i2b2 type as `i2b2`."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as exc:
        raise RadbankError(f"{path}: not an i2b2 XML file ({exc})") from None
    text_node, tags = root.find("TEXT"), root.find("TAGS")
    if text_node is None or tags is None:
        raise RadbankError(f"{path}: no TEXT or TAGS element (not i2b2 de-identification XML)")
    text = text_node.text or ""
    spans = []
    for tag in tags:
        kind = tag.get("TYPE", "")
        start, end = int(tag.get("start", -1)), int(tag.get("end", -1))
        if not 0 <= start < end <= len(text):
            raise RadbankError(f"{path}: tag {tag.get('id')} offsets {start}-{end} outside the text")
        spans.append({"start": start, "end": end, "label": I2B2_TO_RADBANK.get(kind, "OTHER"), "i2b2": kind})
    return {"id": Path(path).stem, "lang": "en", "text": text, "spans": spans}
