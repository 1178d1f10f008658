"""Predict on new images (files or folders; PNG/JPEG/DICOM) with a trained run's checkpoint."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from radbank.badinput import Skipped, iter_files, printable, warn_file
from radbank.data.preprocess import decode_task
from radbank.device import resolve_device
from radbank.errors import RadbankError
from radbank.evaluate import predict_probs
from radbank.io import DEFAULT_MAX_PIXELS
from radbank.models.checkpoint import load_checkpoint
from radbank.parallel import map_parallel
from radbank.progress import bar
from radbank.runmeta import RunMeta
from radbank.runs import RunPaths

log = logging.getLogger(__name__)


@dataclass
class Predictions:
    """The table of predictions and what could not be read."""

    table: pd.DataFrame
    skipped: list[tuple[str, str]] = field(default_factory=list)
    meta: RunMeta | None = None


def checkpoint_path(run_or_file: str | Path) -> Path:
    """A run folder's checkpoint, or the checkpoint file itself."""
    p = Path(run_or_file)
    if p.is_dir():
        paths = RunPaths.of(p)
        paths.require()
        checkpoint: Path = paths.checkpoint
        return checkpoint
    if p.is_file():
        return p
    raise RadbankError(f"{p}: no such run folder or checkpoint")


def collect_inputs(inputs: list[str], skipped: Skipped | None = None) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand files and folders (recursively, hidden files skipped) into a sorted file list.

    Inputs that do not exist, dangling links, link loops and special files are logged and listed with
    their reason (`radbank.badinput.iter_files`).
    """
    sink = skipped if skipped is not None else Skipped(log)
    files: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            files.extend(iter_files(p, sink))
        elif p.is_file():
            files.append(p)
        elif p.is_symlink():
            files.extend(iter_files(p, sink))  # reports the dangling link or loop
        else:
            sink.skip(item, "no such file or folder")
    return files, sink.rows


def probability_columns(meta: RunMeta, probs: NDArray[Any]) -> dict[str, NDArray[Any]]:
    """Output name -> probabilities: the finding (binary), each class, or each finding."""
    names = meta.output_names()
    matrix = probs.reshape(len(probs), len(names))
    return {name: matrix[:, j] for j, name in enumerate(names)}


def predicted_classes(meta: RunMeta, probs: NDArray[Any]) -> list[str]:
    """The model's answer per image: a class, or the findings over the threshold joined by '|' ('none')."""
    names = meta.class_names
    if meta.task == "binary":
        return [names[int(p >= meta.threshold)] for p in probs]
    if meta.task == "multiclass":
        return [names[j] for j in probs.argmax(axis=1)]
    return ["|".join(n for j, n in enumerate(names) if row[j] >= meta.threshold) or "none" for row in probs]


def table_columns(meta: RunMeta, probs: NDArray[Any]) -> dict[str, Any]:
    """`prob_<name>` columns and the `predicted` column of `radbank predict`'s table."""
    cols: dict[str, Any] = {f"prob_{n}": v for n, v in probability_columns(meta, probs).items()}
    cols["predicted"] = predicted_classes(meta, probs)
    return cols


def predict(
    run_or_file: str | Path,
    inputs: list[str],
    device: str = "auto",
    workers: int = 0,
    batch_size: int | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    cam_dir: str | Path | None = None,
) -> Predictions:
    """Decode inputs as the checkpoint's preprocessing says and return their predictions; with `cam_dir`,
    also write a Grad-CAM overlay per image there (column `cam`)."""
    dev = resolve_device(device)
    model, meta = load_checkpoint(checkpoint_path(run_or_file), dev)
    pp = meta.preprocess
    skipped = Skipped(log)
    files, _ = collect_inputs(inputs, skipped)
    arrays, kept = [], []
    with bar(len(files), "decoding") as pbar:
        tasks = [(str(f), pp, max_pixels) for f in files]
        for f, res in zip(files, map_parallel(decode_task, tasks, workers=workers), strict=True):
            pbar.update(1)
            warn_file(f, res.warnings, log)
            if res.array is None:
                skipped.skip(f, res.reason or "cannot decode")
            else:
                arrays.append(res.array)
                kept.append(str(f))
    images = np.stack(arrays) if arrays else np.zeros((0, pp.size, pp.size), np.uint8)
    probs = predict_probs(model, images, meta, dev, batch_size=batch_size)
    table = pd.DataFrame({"file": [printable(f) for f in kept], **table_columns(meta, probs)})
    if cam_dir is not None:
        table["cam"] = [printable(c) for c in write_cams(model, meta, images, probs, kept, Path(cam_dir), dev)]
    return Predictions(table, skipped.rows, meta)


CAM_BATCH = 64


def write_cams(
    model: Any, meta: RunMeta, images: NDArray[Any], probs: NDArray[Any], names: list[str], out: Path, device: Any
) -> list[str]:
    """Grad-CAM overlays as `<stem>_cam.png` in `out` (a number is added when two inputs share a stem)."""
    from radbank.explain import explained_class, gradcam, overlay
    from radbank.fsutil import atomic_path

    classes = explained_class(meta, probs)
    stems: dict[str, int] = {}
    paths = []
    for name in names:
        stem = Path(name).stem
        stems[stem] = stems.get(stem, 0) + 1
        paths.append(out / (f"{stem}_cam.png" if stems[stem] == 1 else f"{stem}_{stems[stem]}_cam.png"))
    with bar(len(images), "heatmaps") as pbar:
        for start in range(0, len(images), CAM_BATCH):
            sl = slice(start, start + CAM_BATCH)
            heat = gradcam(model, meta, images[sl], classes[sl], device)
            for img, h, path in zip(images[sl], heat, paths[sl], strict=True):
                with atomic_path(path) as tmp:
                    overlay(img, h).save(tmp, format="PNG")
            pbar.update(len(heat))
    return [str(p) for p in paths]
