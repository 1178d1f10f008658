"""BIMCV-COVID19+ as released: `sub-S*/ses-E*/mod-rx/*.png` with tag-keyed JSON sidecars, participants.tsv
with `participant`, `modality_dicom`, `age`, `gender`, and labels per report (= session) in
`derivatives/labels/labels_covid19_posi.tsv` (PatientID, ReportID, Report, Labels, Localizations, labelCUIS,
LocalizationsCUIS). Read by the shared MIDS reader (`radbank.sources.mids`); this file only recognises it.
"""

from __future__ import annotations

from pathlib import Path

from radbank.mids.label_tables import bimcv_tables
from radbank.mids.tree import generated_by_radbank, is_mids, layout_of
from radbank.sources.mids import MidsOptions, read_tree
from radbank.sources.records import Records
from radbank.sources.registry import SourceReader


class BimcvReleaseReader(SourceReader[MidsOptions]):
    """A BIMCV-COVID19+ release (mod-* folders, or labels tables in BIMCV's format)."""

    options_type = MidsOptions

    @classmethod
    def can_read(cls, path: Path) -> bool:
        if not is_mids(path) or generated_by_radbank(path):
            return False
        return layout_of(path) == "bimcv-release" or (layout_of(path) == "flat" and bool(bimcv_tables(path)))

    def read(self, root: Path, options: MidsOptions, workers: int = 0) -> Records:
        return read_tree(root, options, "bimcv-release")
