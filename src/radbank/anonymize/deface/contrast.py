"""Which MR contrast a volume has, from its BIDS/MIDS name or its DICOM header, and which the network knows.

DeepDefacer was trained on T1-weighted heads. Other known contrasts go to the template method (with a warning);
an unknown contrast is judged from the image: the registered T1w template must correlate with it
(template.t1_correlation >= MIN_T1_CORRELATION), else the template method is used.
"""

from __future__ import annotations

import re
from typing import Any

TRAINED = frozenset({"T1w"})
DEFACED_SUFFIXES = frozenset(
    {
        "T1w",
        "T2w",
        "FLAIR",
        "PDw",
        "T2starw",
        "PD",
        "T1rho",
        "inplaneT1",
        "inplaneT2",
        "angio",
        "UNIT1",
        "PDT2",
        "T2star",
    }
)
MIN_T1_CORRELATION = 0.2  # T1w heads measured 0.37-0.98; intensity-inverted copies -0.40 to -0.98
FLAIR_MIN_TI_MS, T2_MIN_TE_MS = 1500.0, 60.0  # timing rules for series without a telling description
T1_MAX_TE_MS, T1_MAX_TR_MS, T1_TI_MS = 20.0, 800.0, (400.0, 1300.0)  # spin-echo T1, or MPRAGE-like inversion
_SUFFIX = re.compile(r"_([A-Za-z0-9]+)\.nii(?:\.gz)?$", re.IGNORECASE)
_HEADER_RULES = (  # (pattern in SeriesDescription/ProtocolName/SequenceName, contrast); first match wins
    (re.compile(r"flair", re.I), "FLAIR"),
    (re.compile(r"t2\*|t2star|swi|gre_?t2|\bt2s\b", re.I), "T2starw"),
    (re.compile(r"\bpd|proton", re.I), "PDw"),
    (re.compile(r"t2", re.I), "T2w"),
    (re.compile(r"t1|mprage|mp-rage|mp2rage|spgr|bravo|tfe|tfl|fspgr", re.I), "T1w"),
)


def contrast_from_name(filename: str) -> str | None:
    """The BIDS suffix of a NIfTI file name (e.g. 'T1w' from sub-01_T1w.nii.gz), when it is a known contrast."""
    m = _SUFFIX.search(filename)
    if not m:
        return None
    suffix = m.group(1)
    for known in DEFACED_SUFFIXES:
        if suffix.lower() == known.lower():
            return known
    return None


def contrast_from_dicom(ds: Any) -> str | None:
    """The contrast of an MR series from its descriptions, else from its timing (TR/TE/TI in ms)."""
    text = " ".join(str(ds.get(k, "") or "") for k in ("SeriesDescription", "ProtocolName", "SequenceName"))
    for pattern, contrast in _HEADER_RULES:
        if pattern.search(text):
            return contrast
    try:
        tr, te = float(ds.get("RepetitionTime")), float(ds.get("EchoTime"))
    except (TypeError, ValueError):
        return None
    ti = float(ds.get("InversionTime", 0) or 0)
    if ti > FLAIR_MIN_TI_MS and te > T2_MIN_TE_MS:
        return "FLAIR"
    if te > T2_MIN_TE_MS:
        return "T2w"
    if te < T1_MAX_TE_MS and (tr < T1_MAX_TR_MS or T1_TI_MS[0] < ti < T1_TI_MS[1]):
        return "T1w"
    return None
