"""Trees written by BIMCV's converter dcm2mids: `sub-<PatientID>/ses-<StudyID>/mim-rx/<modality>/` with
keyword-keyed JSON sidecars (the whole header), `sub-<s>_sessions.tsv` (session_id, session_pseudo_id,
acq_time, age) and participants.tsv (participant_id, participant_pseudo_id, sex, participant_birthday, ages,
modalities, body_parts_examined). dcm2mids writes no labels: they come from `derivatives/labels/` or a
`label_table` in BIMCV's format. Read by the shared MIDS reader (`radbank.sources.mids`).
"""

from __future__ import annotations

from pathlib import Path

from radbank.mids.tree import generated_by_radbank, is_mids, layout_of
from radbank.sources.mids import MidsOptions, read_tree
from radbank.sources.records import Records
from radbank.sources.registry import SourceReader


class Dcm2midsReader(SourceReader[MidsOptions]):
    """A dcm2mids tree (image folders two levels deep: mim-<group>/<modality>/)."""

    options_type = MidsOptions

    @classmethod
    def can_read(cls, path: Path) -> bool:
        return is_mids(path) and not generated_by_radbank(path) and layout_of(path) == "dcm2mids"

    def read(self, root: Path, options: MidsOptions, workers: int = 0) -> Records:
        return read_tree(root, options, "dcm2mids")
