"""The top-level files of an export: dataset_description.json, README and .bidsignore.

dataset_description.json carries `MIDSVersion` beside BIDS's required `Name` and `BIDSVersion` (BIMCV's
trees carry MIDSVersion; BIDS tools need BIDSVersion). `.bidsignore` lists what BIDS does not know (the
MIDS image folders) so that a BIDS validator passes the tree; labels and reports live in
derivatives/labels/, which BIDS accepts as it is.
"""

from __future__ import annotations

from pathlib import Path

from radbank import __version__
from radbank.fsutil import write_json, write_text, write_text_if_changed
from radbank.mids.derivatives import BIDS_VERSION
from radbank.mids.layouts import Layout

MIDS_VERSION = "1.0"
BIDSIGNORE = (
    "# MIDS image folders (mod-<group>/ in BIMCV-COVID19+, mim-<group>/<modality>/ in dcm2mids): not BIDS\n"
    "mod-*/\nmim-*/\n"
)


def write_description(root: Path, name: str, lay: Layout) -> None:
    """Write dataset_description.json, README (unless there is one) and .bidsignore."""
    write_json(
        root / "dataset_description.json",
        {
            "Name": name,
            "BIDSVersion": BIDS_VERSION,
            "MIDSVersion": MIDS_VERSION,
            "DatasetType": "raw",
            "License": "n/a",
            "GeneratedBy": [
                {"Name": "radbank", "Version": __version__, "Description": f"radbank mids export, layout {lay.name}"}
            ],
            "HowToAcknowledge": "Structured as MIDS (Saborit-Torres et al., arXiv:2010.00434).",
        },
    )
    write_text_if_changed(root / ".bidsignore", BIDSIGNORE)
    readme = root / "README"
    if not readme.exists():
        about = f"Medical Imaging Data Structure (MIDS) tree written by radbank {__version__}, layout {lay.name}."
        where = (
            f"Images: sub-*/ses-*/{lay.folder('cr').replace('cr', '<modality>') if lay.nested else lay.folder('cr')}/"
        )
        write_text(readme, f"{name}\n\n{about}\n{where}; labels and reports: derivatives/labels/.\n")
