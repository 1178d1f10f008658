"""Dataset readers: each turns a dataset on disk into one `Records` table.

The built-in readers, registered in detection order (auto-detection asks each whether it can read a
folder; the first that can, reads it): radbank's own MIDS export, BIMCV-COVID19+ releases, dcm2mids
trees, PadChest, NIH ChestX-ray14, DICOM folders, and folder-per-class trees (the fallback).
"""

from radbank.sources.records import Records
from radbank.sources.registry import (
    SourceEntry,
    SourceReader,
    read_source,
    register_source,
    source_choices,
    source_entry,
    source_names,
)

register_source(
    "mids",
    "radbank.sources.mids:MidsReader",
    description="a MIDS tree radbank exported (either layout; older flat mim-rx exports with per-session findings too)",
)
register_source(
    "bimcv-release",
    "radbank.sources.bimcv_release:BimcvReleaseReader",
    description="a BIMCV-COVID19+ release: sub-*/ses-*/mod-rx/, tag-keyed JSON sidecars, derivatives/labels/*.tsv",
)
register_source(
    "dcm2mids",
    "radbank.sources.dcm2mids:Dcm2midsReader",
    description="a tree written by BIMCV's dcm2mids: sub-*/ses-*/mim-<group>/<modality>/, labels from a table",
)
register_source(
    "padchest",
    "radbank.sources.padchest:PadchestReader",
    description="PadChest as released: the labels CSV and 16-bit PNGs in ImageDir folders (0/ ... 54/)",
)
register_source(
    "nih",
    "radbank.sources.nih:NihReader",
    description="NIH ChestX-ray14 as released: Data_Entry_2017.csv and images_*/images/",
)
register_source(
    "dicom",
    "radbank.sources.dicom_dir:DicomReader",
    description="a folder tree of DICOM radiographs, labelled by class folders or a label table",
    aliases=("dicom_dir",),
)
register_source(
    "folders",
    "radbank.sources.folders:FoldersReader",
    description="one sub-folder per class (the tutorial's No-Finding/ and Pneumothorax/)",
)

__all__ = [
    "Records",
    "SourceEntry",
    "SourceReader",
    "read_source",
    "register_source",
    "source_choices",
    "source_entry",
    "source_names",
]
