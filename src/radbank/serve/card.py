"""The model card of a run: what it was trained on, how big it is, how well it did, and what it is for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from torch import nn

from radbank.runmeta import RunMeta

INTENDED_USE = (
    "Research and teaching. The model gives a second opinion on a chest radiograph for the findings listed; "
    "it is not a medical device, has not been validated on the population you serve, and must not replace "
    "the judgement of a qualified clinician. Its figures come from one validation split and hold only for "
    "images like those it was trained on."
)


def _intervals(metrics: dict[str, Any]) -> dict[str, Any]:
    """Every figure with a confidence interval, as {name: {value, ci95}}."""
    out = {}
    for k, v in metrics.items():
        if isinstance(v, dict) and "value" in v and "ci95" in v:
            out[k] = {"value": v["value"], "ci95": v["ci95"], "method": v.get("method", "")}
    return out


def model_card(meta: RunMeta, model: nn.Module, run: Path | None) -> dict[str, Any]:
    """The card as a JSON-ready dict (metrics from the run's metrics.json when there is one)."""
    trained = meta.trained
    metrics: dict[str, Any] = {}
    if run is not None and (run / "metrics.json").is_file():
        metrics = json.loads((run / "metrics.json").read_text("utf-8"))
    return {
        "model": meta.model.name,
        "parameters": sum(p.numel() for p in model.parameters()),
        "task": meta.task,
        "classes": list(meta.class_names),
        "findings": list(meta.label_names),
        "threshold": meta.threshold,
        "input": {"size": meta.preprocess.size, "fit": meta.preprocess.fit, "channels": "grayscale"},
        "training_data": {
            "source": trained.source,
            "images": trained.images,
            "patients": trained.patients,
            "epochs": trained.epochs,
            "pretrained_weights": bool(trained.weights),
        },
        "date": trained.finished,
        "evaluated_on": metrics.get("evaluated_on"),
        "validation_images": metrics.get("n"),
        "metrics": _intervals(metrics),
        "intended_use": INTENDED_USE,
        "radbank_version": meta.radbank_version,
    }
