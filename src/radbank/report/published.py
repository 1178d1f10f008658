"""Published per-finding ROC AUCs on NIH ChestX-ray14, for context in multi-label reports.

Values from Table 2 of Rajpurkar et al., "CheXNet: Radiologist-Level Pneumonia Detection on Chest
X-Rays with Deep Learning" (arXiv:1711.05225, 2017), which also lists Wang et al., "ChestX-ray8"
(arXiv:1705.02315, CVPR 2017) and Yao et al. (arXiv:1710.10501, 2017). Each was measured on that
paper's own test split of the real dataset: a reference point, never a like-for-like comparison.
"""

from __future__ import annotations

import csv
import html
from functools import cache
from importlib import resources
from typing import Any

SOURCES = {
    "wang2017": "Wang et al. 2017 (ChestX-ray8, arXiv:1705.02315)",
    "yao2017": "Yao et al. 2017 (arXiv:1710.10501)",
    "chexnet2017": "CheXNet, Rajpurkar et al. 2017 (arXiv:1711.05225), Table 2",
}


@cache
def published_aucs() -> dict[str, dict[str, float]]:
    """finding -> {source key -> AUC}."""
    text = resources.files("radbank.resources").joinpath("published_auc_chestxray14.csv").read_text("utf-8")
    return {
        row["finding"]: {k: float(v) for k, v in row.items() if k != "finding"}
        for row in csv.DictReader(text.splitlines())
    }


def published_rows(metrics: dict[str, Any]) -> str:
    """An HTML table setting this run's per-finding AUCs beside the published ones (escaped)."""
    table = published_aucs()
    shared = [name for name in metrics.get("per_label", {}) if name in table]
    if not shared:
        return ""
    head = "".join(f"<th>{html.escape(label)}</th>" for label in SOURCES.values())
    rows = []
    for name in shared:
        ours = metrics["per_label"][name]["roc_auc"]["value"]
        ours_text = "&ndash;" if ours is None else f"{ours:.3f}"
        cells = "".join(f"<td>{table[name][key]:g}</td>" for key in SOURCES)  # as published
        rows.append(f"<tr><td class=l>{html.escape(name)}</td><td>{ours_text}</td>{cells}</tr>")
    return (
        "<h3>Published results on NIH ChestX-ray14 (for reference)</h3>"
        "<p class=note>Published AUCs were measured on each paper's own test split of the real "
        "dataset; this run's figures come from its own data and split. Not a like-for-like comparison.</p>"
        f"<table><tr><th class=l>finding</th><th>this run</th>{head}</tr>{''.join(rows)}</table>"
    )
