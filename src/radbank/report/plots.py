"""PNG plots for a run folder (matplotlib, Agg backend, written atomically)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import NDArray

from radbank.fsutil import atomic_path
from radbank.metrics import roc_points
from radbank.runmeta import RunMeta
from radbank.sources import Records

FEW_CURVES = 4  # more than this many ROC curves get a smaller legend


def save_figure(fig: Figure, path: str | Path, dpi: int = 110) -> None:
    """Save a figure as PNG atomically and free it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def preview_grid(
    images: NDArray[Any], strata: NDArray[Any], class_names: list[str], path: str | Path, per_class: int = 8
) -> None:
    """The tutorial's pre-visualisation: a row of loaded (preprocessed) images per class.

    Multi-label images without any finding (stratum -1) get a row of their own, "no finding".
    """
    rows = [(c, class_names[c]) for c in range(len(class_names)) if (strata == c).any()]
    if (strata == -1).any():
        rows.append((-1, "no finding"))
    fig, axes = plt.subplots(
        max(len(rows), 1), per_class, figsize=(1.6 * per_class, 1.8 * max(len(rows), 1)), squeeze=False
    )
    if not rows:
        axes[0][0].text(0, 0.5, "no images", fontsize=9)
        for ax in axes[0]:
            ax.axis("off")
    for r, (c, name) in enumerate(rows):
        idx = np.flatnonzero(strata == c)[:per_class]
        for k in range(per_class):
            ax = axes[r][k]
            ax.axis("off")
            if k < len(idx):
                ax.imshow(images[idx[k]], cmap="gray", vmin=0, vmax=255)
            if k == 0:
                ax.set_title(name, fontsize=9, loc="left")
    fig.suptitle(f"Loaded images ({images.shape[-1]}x{images.shape[-2]}, grayscale)", fontsize=10)
    save_figure(fig, path)


def training_curves(history: pd.DataFrame, path: str | Path) -> None:
    """Loss and accuracy per epoch, training and validation."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, key, label in ((ax1, "loss", "Loss"), (ax2, "accuracy", "Accuracy")):
        ax.plot(history["epoch"], history[f"train_{key}"], "o-", ms=3, label="training")
        ax.plot(history["epoch"], history[f"val_{key}"], "o-", ms=3, label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(label)
        ax.grid(alpha=0.3)
        ax.legend()
    save_figure(fig, path)


def confusion_plot(metrics: dict[str, Any], path: str | Path, title: str = "validation") -> None:
    """Confusion matrix as the tutorial lays it out: rows = predicted, columns = truth."""
    if metrics["task"] == "binary":
        names = [metrics["positive"], metrics["negative"]]
        matrix = np.array(metrics["confusion_matrix"]["matrix"])
    elif metrics["task"] == "multiclass":
        names = metrics["classes"]
        matrix = np.array(metrics["confusion_matrix"]["matrix"])
    else:
        return
    fig, ax = plt.subplots(figsize=(1.4 * len(names) + 2.2, 1.2 * len(names) + 1.6))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), v in np.ndenumerate(matrix):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=13, color="white" if v > matrix.max() / 2 else "black")
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("truth")
    ax.set_ylabel("predicted")
    ax.set_title(f"Confusion matrix ({title})")
    save_figure(fig, path)


def roc_plot(meta: RunMeta, records: Records, probs: NDArray[Any], path: str | Path, title: str = "validation") -> None:
    """ROC curve(s): one for binary, one per class/finding otherwise."""
    task = meta.task
    curves: list[tuple[str, NDArray[Any], NDArray[Any]]] = []
    if task == "binary":
        y = records.targets()
        if 0 < y.sum() < len(y):
            curves.append((meta.positive, *roc_points(y, probs)))
    else:
        names = meta.output_names()
        for j, name in enumerate(names):
            if task == "multiclass":
                y, p = records.targets() == j, probs[:, j]
            else:
                known = ~np.isnan(records.labels[:, j])
                y, p = records.labels[known, j], probs[known, j]
            if 0 < y.sum() < len(y):
                curves.append((name, *roc_points(y, p)))
    fig, ax = plt.subplots(figsize=(4.8, 4.6))
    from sklearn.metrics import auc

    for name, fpr, tpr in curves:
        ax.plot(fpr, tpr, lw=1.6, label=f"{name} (AUC {auc(fpr, tpr):.3f})")
    ax.plot([0, 1], [0, 1], "--", color="grey", lw=1)
    ax.set_xlabel("1 - specificity (false positive rate)")
    ax.set_ylabel("sensitivity (true positive rate)")
    ax.set_title(f"ROC ({title})")
    if curves:
        ax.legend(fontsize=7 if len(curves) > FEW_CURVES else 9, loc="lower right")
    ax.grid(alpha=0.3)
    save_figure(fig, path)
