"""Checks of MR volumes in a MIDS tree: `mim-mr/<datatype>/` (radbank's export, BIMCV's xnat2mids) and the plain BIDS
`<session>/anat/` that xnat2mids writes for head MR (BIMCV-CSUSP/MIDS xnat2mids/procedures/
magnetic_resonance_procedures.py).

- Suffixes: BIDS's anatomical ones, as the BIDS validator lists them (bids-standard/bids-validator, rules
  `anat_nonparametric` and `anat_parametric` of file_level_rules.json, in the Python package `bids_validator`).
- Sidecars: BIDS keys with times in seconds, as dcm2niix writes them. A RepetitionTime over 100 or an EchoTime over 1
  is a warning ("are you sure it's expressed in seconds?"), as in the BIDS validator (bids-standard/bids-validator
  bids-validator/utils/issues/list.js, codes 2 and 3); MagneticFieldStrength, RepetitionTime and EchoTime are
  recommended (BIDS: MRI common metadata fields); Modality, when given, must be MR.
- Privacy: a head MR sidecar without radbank's `Defaced` record is a warning (nothing says its face was removed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from radbank.anonymize.deface.heads import HEAD_PARTS
from radbank.mids.checker import Checker
from radbank.mids.naming import ImageName

ANAT_SUFFIXES = frozenset(
    {
        "T1w",
        "T2w",
        "PDw",
        "T2starw",
        "FLAIR",
        "inplaneT1",
        "inplaneT2",
        "PDT2",
        "angio",
        "T2star",
        "FLASH",
        "PD",
        "T1map",
        "T2map",
        "T2starmap",
        "R1map",
        "R2map",
        "R2starmap",
        "PDmap",
        "MTRmap",
        "MTsat",
        "UNIT1",
        "T1rho",
        "MWFmap",
        "MTVmap",
        "PDT2map",
        "Chimap",
        "S0map",
        "M0map",
    }
)
MR_GROUPS = ("mim-mr", "mod-mr")
MR_RECOMMENDED = ("MagneticFieldStrength", "RepetitionTime", "EchoTime")
SECONDS_AT_MOST = {"RepetitionTime": 100.0, "EchoTime": 1.0}  # the BIDS validator's thresholds
VOLUME_EXTENSIONS = (".nii.gz", ".nii", ".json")


def is_mr_folder(rel: str) -> bool:
    """A folder of MR volumes: under mim-mr/ (mod-mr/), or a session's plain BIDS anat/."""
    return rel == "anat" or rel.split("/")[0] in MR_GROUPS


def check_mr_name(c: Checker, path: Path, name: ImageName) -> None:
    """Warn about a suffix BIDS does not know for anatomical MR, or a file that is not NIfTI or JSON."""
    if name.suffix not in ANAT_SUFFIXES:
        c.warn(path, f"suffix {name.suffix!r} is not a BIDS anatomical suffix (T1w, T2w, FLAIR...)")
    if name.ext not in VOLUME_EXTENSIONS:
        c.warn(path, f"extension {name.ext} in an MR folder: MR volumes are NIfTI (.nii.gz) with a JSON sidecar")


def check_mr_sidecar(c: Checker, path: Path, fields: dict[str, Any]) -> None:
    """The checks of an MR sidecar (fields keyword -> value); see the module docstring."""
    modality = str(fields.get("Modality", "MR") or "").strip().upper()
    if modality != "MR":
        c.error(path, f"Modality {modality or '(empty)'} in an MR folder")
    for key in MR_RECOMMENDED:
        if key not in fields:
            c.warn(path, f"recommended field {key} missing (BIDS)")
    for key, limit in SECONDS_AT_MOST.items():
        value = fields.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            c.error(path, f"{key} must be a number (seconds), not {value!r}")
        elif value > limit:
            c.warn(path, f"{key} is {value:g}, greater than {limit:g}: is it expressed in seconds? (BIDS)")
    part = str(fields.get("BodyPartExamined", "") or "").strip().upper().replace(" ", "")
    if part in HEAD_PARTS and "Defaced" not in fields:
        c.warn(path, "head MR volume with no record of its face being removed (Defaced): deface it before publishing")
