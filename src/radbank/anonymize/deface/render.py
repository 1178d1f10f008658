"""QC pictures and pages: the mid-sagittal slice and a frontal surface view, before and after, per volume.

The surface view is a depth-shaded rendering computed with numpy (the first tissue voxel met looking from the
front, lit by the depth gradient): what a 3-D reconstruction of the head shows, in milliseconds, without a GPU.
The pictures show the face BEFORE defacing: the QC folder is as sensitive as the input and stays private.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from radbank.anonymize.deface.orient import Array, ras_axes, to_ras
from radbank.anonymize.deface.qc import QCResult, signal_mask
from radbank.fsutil import atomic_path, write_text

CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
.pass{color:#176e2c;font-weight:600} .fail{color:#b3261e;font-weight:600} img{max-width:100%}
.figs{display:grid;grid-template-columns:1fr 1fr;gap:.8em}"""


def canonical(volume: Array, affine: Array) -> tuple[Array, Array]:
    """The array reordered/flipped to the closest RAS orientation (no resampling), and its voxel sizes."""
    ornt = ras_axes(affine)
    out = to_ras(volume, ornt)
    sizes = np.linalg.norm(affine[:3, :3], axis=0)[ornt[:, 0].astype(int)]
    return np.asarray(out), sizes


def surface_view(volume: Array, sizes: Array) -> Array:
    """A frontal depth-shaded view of a RAS volume: rows = superior to inferior, columns = subject right to left."""
    signal = signal_mask(volume)
    hit = signal.any(axis=1)
    first = signal.shape[1] - 1 - np.argmax(signal[:, ::-1, :], axis=1)  # most anterior tissue voxel per (x, z)
    depth = np.where(hit, first * sizes[1], np.nan)
    gx, gz = np.gradient(np.nan_to_num(depth, nan=0.0), sizes[0], sizes[2])
    shade = 1.0 / np.sqrt(1.0 + gx**2 + gz**2)  # light from the viewer
    near = (depth - np.nanmin(depth)) / max(1e-6, float(np.nanmax(depth) - np.nanmin(depth))) if hit.any() else depth
    image = np.where(hit, 0.25 + 0.75 * shade * (0.4 + 0.6 * np.nan_to_num(near)), 0.0)
    return np.asarray(image.T[::-1])


def render_pictures(data: Array, removed: Array, affine: Array, png: Path) -> None:
    """One PNG: mid-sagittal and frontal surface, before and after."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    before, sizes = canonical(data, affine)
    after = np.where(canonical(removed, affine)[0], float(data.min()), before)
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.8))
    for ax, vol, title in ((axes[0], before, "before"), (axes[1], after, "after")):
        mid = vol[vol.shape[0] // 2].T
        ax.imshow(mid, origin="lower", cmap="gray", aspect=sizes[2] / sizes[1])
        ax.set_title(f"mid-sagittal, {title}")
    for ax, vol, title in ((axes[2], before, "before"), (axes[3], after, "after")):
        ax.imshow(surface_view(vol, sizes), cmap="gray", vmin=0, vmax=1, aspect=sizes[2] / sizes[0])
        ax.set_title(f"frontal surface, {title}")
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png", dpi=72)
    plt.close(fig)


def volume_page(title: str, qc: QCResult, facts: dict[str, Any], png_name: str) -> str:
    """The HTML page of one volume (every string escaped)."""
    verdict = '<span class="pass">passed</span>' if qc.passed else '<span class="fail">FAILED</span>'
    rows = {**facts, **{k: v for k, v in qc.to_dict().items() if k not in ("passed", "reasons")}}
    table = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows.items())
    reasons = "".join(f"<li>{html.escape(r)}</li>" for r in qc.reasons)
    return (
        f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title><style>{CSS}</style>"
        f"<h1>{html.escape(title)}</h1><p>QC {verdict}</p>{f'<ul>{reasons}</ul>' if reasons else ''}"
        f'<img src="{html.escape(png_name)}" alt="before and after"><table>{table}</table>'
    )


def write_qc(
    qc_dir: Path, name: str, data: Array, removed: Array, affine: Array, *, qc: QCResult, facts: dict[str, Any]
) -> Path:
    """Write `<name>.png` and `<name>.html` in the QC folder; return the page's path."""
    png = qc_dir / f"{name}.png"
    render_pictures(data, removed, affine, png)
    page = qc_dir / f"{name}.html"
    write_text(page, volume_page(name, qc, facts, png.name))
    return page


def index_page(rows: list[dict[str, Any]]) -> str:
    """The QC folder's index: one row per volume with its verdict and figures (every string escaped)."""
    cols = ["volume", "status", "method", "face_skin_removed", "brain_changed", "agreement", "reason"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = ""
    for r in rows:
        link = f'<a href="{html.escape(str(r.get("page", "")))}">{html.escape(str(r.get("volume", "")))}</a>'
        cells = [link] + [html.escape(str(r.get(c, ""))) for c in cols[1:]]
        body += "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
    return (
        f"<!doctype html><meta charset=utf-8><title>radbank deface QC</title><style>{CSS}</style>"
        f"<h1>radbank deface QC</h1><table><tr>{head}</tr>{body}</table>"
    )
