"""Evaluation: probabilities on the validation split -> metrics.json, predictions.csv, plots, report.html."""

from __future__ import annotations

import logging
import platform
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd
import torch
from numpy.typing import NDArray
from torch import nn

from radbank import __version__
from radbank.badinput import Skipped, from_printable
from radbank.config import load_config
from radbank.data.batches import TensorBatches
from radbank.data.cache import load_images
from radbank.device import autocast, inference_batch_size, resolve_device
from radbank.errors import RadbankError
from radbank.fsutil import write_json
from radbank.metrics import binary_metrics, format_confusion, multiclass_metrics, multilabel_metrics
from radbank.models.checkpoint import load_checkpoint
from radbank.runmeta import RunMeta
from radbank.runs import RunPaths, write_csv
from radbank.sources import Records
from radbank.tasks import probabilities

log = logging.getLogger(__name__)

# The tutorial this project reproduces: Keras CNN, 100x100 grayscale, 1000 NIH images, 80/20 split.
TUTORIAL = {
    "accuracy": 0.873,
    "matrix": [[81, 13], [12, 91]],
    "source": "chest X-ray tutorial on an NIH ChestX-ray14 subset (No Finding vs Pneumothorax)",
}


@torch.inference_mode()
def predict_probs(
    model: nn.Module, images: NDArray[Any], meta: RunMeta, device: torch.device, batch_size: int | None = None
) -> NDArray[Any]:
    """Probabilities for uint8 images (n, size, size) preprocessed as the checkpoint says."""
    batch_size = batch_size or inference_batch_size(device)
    model.eval()
    batches = TensorBatches(images, torch.zeros(len(images)), batch_size, meta.normalize, device)
    out = []
    for x, _ in batches.iterate():
        with autocast(device):
            logits = model(x)
        out.append(probabilities(meta.task, logits).float().cpu())
    if not out:
        return np.zeros((0,) if meta.task == "binary" else (0, len(meta.label_names)), np.float32)
    return torch.cat(out).numpy()


def compute_metrics(meta: RunMeta, records: Records, probs: NDArray[Any]) -> dict[str, Any]:
    """Metrics for the task of the checkpoint, with intervals by image and by patient."""
    patients = records.table["patient"].astype(str).to_numpy()
    if meta.task == "binary":
        neg, pos = meta.class_names
        return binary_metrics(records.targets(), probs, meta.threshold, (neg, pos), patients)
    if meta.task == "multiclass":
        return multiclass_metrics(records.targets(), probs, list(meta.class_names), patients)
    return multilabel_metrics(records.labels, probs, list(meta.label_names), meta.threshold, patients)


def predictions_table(meta: RunMeta, records: Records, probs: NDArray[Any]) -> pd.DataFrame:
    """One row per image, in path order: truth, probabilities, predicted class."""
    task = meta.task
    table = records.table[["path", "patient"]].copy()
    names = meta.class_names
    if task == "binary":
        truth = records.targets()
        table["truth"] = [names[t] for t in truth]
        table[f"prob_{names[1]}"] = probs
        predicted = (probs >= meta.threshold).astype(int)
        table["predicted"] = [names[p] for p in predicted]
        table["correct"] = predicted == truth
    elif task == "multiclass":
        truth = records.targets()
        table["truth"] = [names[t] for t in truth]
        for j, n in enumerate(names):
            table[f"prob_{n}"] = probs[:, j]
        table["predicted"] = [names[p] for p in probs.argmax(axis=1)]
        table["correct"] = probs.argmax(axis=1) == truth
    else:
        for j, n in enumerate(meta.label_names):
            table[f"truth_{n}"] = records.labels[:, j]
            table[f"prob_{n}"] = probs[:, j]
    return table.sort_values("path", kind="stable").reset_index(drop=True)  # the same file from train and evaluate


SPLIT_NAMES = {"val": "validation", "test": "test"}


def write_evaluation(
    run: RunPaths,
    meta: RunMeta,
    parts: dict[str, tuple[Records, NDArray[Any]]],
    split_summary: pd.DataFrame | None = None,
) -> dict[str, dict[str, Any]]:
    """For each split ("val", "test"): predictions, metrics and plots; then report.html. Returns the metrics."""
    from radbank.fsutil import read_json
    from radbank.report.html import write_report
    from radbank.report.plots import confusion_plot, roc_plot, training_curves

    if split_summary is not None:
        summary = split_summary.to_dict("records")
    else:
        summary = read_json(run.metrics).get("split", []) if run.metrics.exists() else []
    results = {}
    for split, (records, probs) in parts.items():
        files = run.of_split(split)
        metrics = compute_metrics(meta, records, probs)
        metrics["evaluated_on"] = split
        metrics["model"] = meta.model.name
        metrics["trained"] = asdict(meta.trained)
        metrics["split"] = summary
        metrics["environment"] = {
            "radbank": __version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
        }
        if meta.task == "binary":
            metrics["tutorial"] = TUTORIAL
        write_csv(predictions_table(meta, records, probs), files.predictions)
        write_json(files.metrics, metrics)
        confusion_plot(metrics, files.confusion, title=SPLIT_NAMES.get(split, split))
        roc_plot(meta, records, probs, files.roc, title=SPLIT_NAMES.get(split, split))
        results[split] = metrics
    if run.history.exists():
        training_curves(pd.read_csv(run.history), run.curves)
    write_report(run, results)
    return results


def evaluate_run(run_dir: str, device: str = "auto") -> dict[str, dict[str, Any]]:
    """Re-evaluate a finished run on its validation (and test) split, images read through the cache."""
    run = RunPaths.of(run_dir)
    run.require()
    cfg = load_config(run.config)
    dev = resolve_device(device)
    model, meta = load_checkpoint(run.checkpoint, dev)
    if not run.split.exists():
        raise RadbankError(f"{run.split}: split file not found")
    try:
        split = pd.read_csv(run.split, dtype={"patient": str, "study": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise RadbankError(f"{run.split}: malformed split file ({exc})") from None
    label_names = list(meta.label_names)
    missing = [c for c in ["path", "patient", "split", *label_names] if c not in split.columns]
    if missing:
        raise RadbankError(f"{run.split}: missing column(s) {', '.join(missing)}")
    pp = meta.preprocess
    parts = {}
    for name in ("val", "test"):
        rows = split[split["split"] == name].reset_index(drop=True)
        if rows.empty:
            continue
        records = Records(
            rows.drop(columns=["split", *label_names]),
            rows[label_names].to_numpy(np.float32),
            label_names,
            meta.task,
            list(meta.class_names),
        )
        paths = [from_printable(p) for p in records.paths]  # split.csv writes non-UTF-8 names as \xNN
        loaded = load_images(paths, pp, cfg.cache, cfg.workers, cfg.max_pixels)
        left_out = Skipped(log, suffix=" (left out of the evaluation)")
        for i, reason in loaded.errors.items():
            left_out.skip(paths[i], reason)
        if not loaded.ok.any():
            raise RadbankError(
                f"{run.root}: none of the {len(records)} {SPLIT_NAMES[name]} images can be read (was the data moved?)"
            )
        records = records.subset(np.flatnonzero(loaded.ok))
        parts[name] = (records, predict_probs(model, loaded.images, meta, dev))
    return write_evaluation(run, meta, parts)


def headline(results: dict[str, dict[str, Any]]) -> str:
    """A few lines per split for the terminal: accuracy with its interval, AUC, the confusion matrix."""
    out = []
    for split, metrics in results.items():
        if len(results) > 1:
            out.append(f"== {SPLIT_NAMES.get(split, split)} ({metrics['n']} images)")
        out.append(_headline(metrics, SPLIT_NAMES.get(split, split)))
    return "\n".join(out)


def _headline(metrics: dict[str, Any], split: str) -> str:
    task = metrics["task"]
    lines = []
    if task in ("binary", "multiclass"):
        acc = metrics["accuracy"]
        lines.append(
            f"{split} accuracy {acc['value']:.3f}  (95% CI {_ci(acc)} by image, {acc['k']}/{acc['n']} images"
            + _by_patient(acc, "; ", count=True)
            + ")"
        )
    if task == "binary":
        auc = metrics["roc_auc"]
        if auc["value"] is not None:
            lines.append(f"ROC AUC {auc['value']:.3f}  (95% CI {_ci(auc)} by image{_by_patient(auc, '; ')})")
        lines.append(
            f"sensitivity {_fmt(metrics['sensitivity'])}  specificity {_fmt(metrics['specificity'])}  "
            f"PPV {_fmt(metrics['ppv'])}  NPV {_fmt(metrics['npv'])}"
        )
        names = [metrics["positive"], metrics["negative"]]
        lines.append("confusion matrix (rows = predicted, columns = truth):")
        lines.append(format_confusion(metrics["confusion_matrix"]["matrix"], names))
        lines.append(f"tutorial: accuracy {TUTORIAL['accuracy']:.3f}, matrix 81 13 / 12 91")
    elif task == "multiclass":
        lines.append(f"macro ROC AUC {metrics['macro_roc_auc']:.3f}")
        lines.append(format_confusion(metrics["confusion_matrix"]["matrix"], metrics["classes"]))
    else:
        mean = metrics["mean_roc_auc"]
        lines.append(f"mean ROC AUC {mean:.3f}" if mean is not None else "mean ROC AUC: undefined")
        if "patients" in metrics:
            lines.append(
                "  95% CIs by image (stratified bootstrap) | by patient "
                f"(cluster bootstrap over {metrics['patients']} patients)"
            )
        for name, m in metrics["per_label"].items():
            auc = m["roc_auc"]
            if auc["value"] is not None:
                lines.append(
                    f"  {name:<20} AUC {auc['value']:.3f} ({_ci(auc)}{_by_patient(auc, ' | ')})"
                    f"  n={m['n']} positives={m['positives']}"
                )
    return "\n".join(lines)


def _ci(p: dict[str, Any]) -> str:
    lo, hi = p["ci95"]
    return "n/a" if lo is None else f"{lo:.3f}-{hi:.3f}"


def _by_patient(p: dict[str, Any], sep: str, count: bool = False) -> str:
    """The patient-level interval of a figure, if it has one ('' otherwise)."""
    bp = p.get("by_patient")
    if bp is None:
        return ""
    return f"{sep}{_ci(bp)} by patient" + (f", {bp['patients']} patients" if count else "")


def _fmt(p: dict[str, Any]) -> str:
    return "n/a" if p["value"] is None else f"{p['value']:.3f}"
