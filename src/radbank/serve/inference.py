"""Predictions and heatmaps for uploaded files, entirely in memory.

The model is loaded once; a lock serialises inference (and Grad-CAM's hooks), so concurrent requests
are served one batch at a time. DICOM uploads are de-identified in memory with the code of
`radbank anonymize dicom`, under a random key that lives only in this process, before any header field
is shown; file names are never echoed or logged.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from radbank.data.preprocess import preprocess_image
from radbank.device import resolve_device
from radbank.errors import BadInput
from radbank.evaluate import predict_probs
from radbank.explain import colorize, explained_class, gradcam, png_bytes
from radbank.io import DEFAULT_MAX_PIXELS
from radbank.io.images import load_gray_bytes
from radbank.models.checkpoint import load_checkpoint
from radbank.predict import checkpoint_path, predicted_classes, probability_columns
from radbank.serve.card import model_card

log = logging.getLogger(__name__)

HEADER_FIELDS = (
    "Modality",
    "BodyPartExamined",
    "ViewPosition",
    "PatientSex",
    "PatientAge",
    "PatientID",
    "PatientName",
    "StudyDate",
    "InstitutionName",
    "PhotometricInterpretation",
    "Rows",
    "Columns",
    "PixelSpacing",
    "ImagerPixelSpacing",
    "KVP",
    "ExposureTime",
)


@dataclass
class Upload:
    """One uploaded file: its bytes and an index (its position in the request)."""

    index: int
    data: bytes


class Service:
    """A run's model, loaded once, answering prediction requests."""

    def __init__(self, run: str | Path, device: str = "auto", max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        from radbank.anonymize.dicom import Deidentifier
        from radbank.anonymize.keys import Keyed

        self.device = resolve_device(device)
        path = checkpoint_path(run)
        self.model, self.meta = load_checkpoint(path, self.device)
        self.pp = self.meta.preprocess
        self.max_pixels = max_pixels
        self.card = model_card(self.meta, self.model, path.parent if Path(run).is_dir() else None)
        self.deid = Deidentifier(Keyed(os.urandom(32)))  # in memory only: never written, never logged
        self.lock = threading.Lock()

    def predict(self, uploads: list[Upload]) -> list[dict[str, Any]]:
        """One result per upload: probabilities, class, image and heatmap PNGs, header; or an error."""
        results: list[dict[str, Any]] = [{"index": u.index} for u in uploads]
        arrays, ok = [], []
        for res, up in zip(results, uploads, strict=True):
            try:
                img, ds = load_gray_bytes(up.data, f"upload #{up.index}", self.max_pixels, draft=self.pp.size)
                arrays.append(preprocess_image(img, self.pp))
                ok.append(res)
                if ds is not None:
                    res["header"] = self._header(ds)
            except BadInput as exc:
                res["error"] = exc.reason
            except Exception as exc:  # a decoder bug must not take the server down
                res["error"] = f"cannot decode ({type(exc).__name__})"
        if not arrays:
            return results
        images = np.stack(arrays)
        with self.lock:
            probs = predict_probs(self.model, images, self.meta, self.device)
            classes = explained_class(self.meta, probs)
            heat = gradcam(self.model, self.meta, images, classes, self.device)
        columns = probability_columns(self.meta, probs)  # the same columns and classes as `radbank predict`
        predicted = predicted_classes(self.meta, probs)
        names = self.meta.class_names
        for i, res in enumerate(ok):
            res["probabilities"] = {name: float(p[i]) for name, p in columns.items()}
            res["predicted"] = predicted[i]
            res["threshold"] = self.meta.threshold
            res["explained"] = names[1] if self.meta.task == "binary" else names[classes[i]]
            res["image_png"] = _data_url(png_bytes(images[i]))
            res["heatmap_png"] = _data_url(png_bytes(colorize(heat[i])))
        return results

    def _header(self, ds: Any) -> dict[str, str]:
        """The fields that matter, after de-identification in memory (removed fields are left out)."""
        if "PixelData" in ds:
            del ds.PixelData  # not needed any more; keeps the copy small
        self.deid.deidentify(ds)
        out = {}
        for k in HEADER_FIELDS:
            v = ds.get(k)
            if v is not None and str(v).strip():
                out[k] = str(v)
        return out


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
