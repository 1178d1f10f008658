"""Which DICOM images are head MR (they show a face), decided from header fields alone (cheap: no torch)."""

from __future__ import annotations

from typing import Any

HEAD_PARTS = frozenset({"", "HEAD", "BRAIN", "SKULL", "HEADNECK", "HEAD_NECK", "NECK_HEAD"})


def is_head_mr(ds: Any) -> bool:
    """True for an MR image whose Body Part Examined is absent or a head (`ds`: a dataset or a dict of keywords)."""
    part = str(ds.get("BodyPartExamined", "") or "").strip().upper().replace(" ", "")
    return str(ds.get("Modality", "") or "").strip().upper() == "MR" and part in HEAD_PARTS
