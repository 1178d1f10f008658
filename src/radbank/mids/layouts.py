"""Where an image goes in a MIDS tree: the modality table and the two layouts BIMCV writes.

Modality table (DICOM Modality -> MIDS group, the folder under it in dcm2mids, the file format): CR, DX and
the other projection radiography modalities are "rx" (the MIDS paper's Table 5; dcm2mids's
`("mim-rx", modality.lower())`, BIMCV-CSUSP/dcm2mids src/dcm2mids/procedures/general_radiology/
general_radiology_procedure.py); CT is "rx" too, as a NIfTI volume (same file). MR goes to "mr" with the BIDS
datatype folder `anat` under it: radbank's export writes head MR volumes, defaced, at `mim-mr/anat/` in every
layout (mids/volumes.py). A new modality is one `register_modality(...)` line.

Layouts:
- bimcv-release: `sub-<s>/ses-<e>/mod-<group>/`, sidecars tag-keyed in the DICOM JSON model, as in the
  BIMCV-COVID19+ release (paths and `metadata['00080060']['Value'][0]` in suinleelab/cxr_covid
  data/make_csv_bimcv_positive.py);
- dcm2mids: `sub-<s>/ses-<e>/mim-<group>/<modality>/`, sidecars keyword-keyed with string values
  (BIMCV-CSUSP/dcm2mids src/dcm2mids/procedures/dictify.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from radbank.errors import RadbankError


@dataclass(frozen=True)
class ModalityFolder:
    """How one DICOM modality is stored."""

    modality: str  # DICOM Modality (0008,0060), lower case
    group: str  # MIDS group folder suffix: mim-<group> / mod-<group>
    datatype: str = ""  # the folder under the group in dcm2mids's layout (default: the modality)
    ext: str = ".png"


_MODALITIES: dict[str, ModalityFolder] = {}


def register_modality(modality: str, group: str, datatype: str = "", ext: str = ".png") -> ModalityFolder:
    """Add (or replace) how `modality` is stored."""
    entry = ModalityFolder(modality.lower(), group, datatype, ext)
    _MODALITIES[entry.modality] = entry
    return entry


for _m in ("cr", "dx", "rg", "bmd", "io", "px", "mg", "rf", "xa"):
    register_modality(_m, "rx")
register_modality("ct", "rx", ext=".nii.gz")
register_modality("mr", "mr", datatype="anat", ext=".nii.gz")
register_modality("us", "us")


def modality_folder(modality: str) -> ModalityFolder:
    """The entry of a modality (unknown ones get a group of their own name)."""
    key = modality.lower()
    return _MODALITIES.get(key) or ModalityFolder(key, key)


def groups() -> set[str]:
    """Every registered MIDS group."""
    return {m.group for m in _MODALITIES.values()}


def modalities() -> set[str]:
    """Every registered modality (lower case)."""
    return set(_MODALITIES)


@dataclass(frozen=True)
class Layout:
    """A MIDS tree layout."""

    name: str
    prefix: str  # "mod" (BIMCV-COVID19+) or "mim" (MIDS, dcm2mids)
    nested: bool  # a folder per modality under the group folder
    sidecar: str  # "dicom-json" (tag-keyed) or "keyword"
    description: str

    def folder(self, modality: str) -> str:
        """The image folder of a modality, relative to the session folder."""
        entry = modality_folder(modality)
        group = f"{self.prefix}-{entry.group}"
        return f"{group}/{entry.datatype or entry.modality}" if self.nested else group


LAYOUTS = {
    "bimcv-release": Layout("bimcv-release", "mod", False, "dicom-json", "BIMCV-COVID19+ as released: mod-rx/"),
    "dcm2mids": Layout("dcm2mids", "mim", True, "keyword", "BIMCV's dcm2mids converter: mim-rx/cr/"),
}
DEFAULT_LAYOUT = "bimcv-release"


def layout(name: str) -> Layout:
    """The layout called `name`; RadbankError naming the choices otherwise."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise RadbankError(f"unknown layout {name!r}; choose one of {', '.join(LAYOUTS)}") from None
