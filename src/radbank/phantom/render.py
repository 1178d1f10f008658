"""Drawing one synthetic chest radiograph (bright = dense), deterministically.

Anatomy: body outline, two lung fields with vessel-like markings branching from the hila, posterior
ribs, clavicles, spine, mediastinum and trachea, heart shadow and diaphragm domes; then exposure,
blur and noise. A pneumothorax shows, on one side, a rim of air free of lung markings at the apex and
lateral wall, bounded by a thin bright visceral pleural line; a subtle one has a thin rim, a faint line
and a noisier film. Healthy films sometimes carry a skin fold, a line that mimics the pleural edge
but with markings continuing beyond it. Cardiomegaly enlarges the heart shadow; an effusion fills a
costophrenic angle with a meniscus; nodules are small round opacities.

Anatomy is drawn per patient (follow-ups share it), the film per exposure, and each finding from its
own random stream, so the same film with and without a finding differs only by the finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw
from scipy.ndimage import distance_transform_edt, gaussian_filter

from radbank.phantom.cases import Case

SIZE = 256


@dataclass(frozen=True)
class Anatomy:
    """A patient's body, the same on every film of that patient."""

    scale: float
    body_width: float
    lungs: tuple[tuple[float, float, float], ...]  # (apex, base, width) for the right, then the left lung
    rib_spacing: float
    tree_seeds: tuple[int, int]

    @classmethod
    def of(cls, seed: int, patient: int) -> Anatomy:
        rng = np.random.default_rng([seed, patient])
        lungs = tuple(
            (-0.76 + rng.normal(0, 0.025), base + rng.normal(0, 0.03), rng.uniform(0.60, 0.68)) for base in (0.46, 0.52)
        )
        return cls(
            min(max(rng.normal(1.0, 0.04), 0.9), 1.08),
            rng.uniform(0.88, 0.98),
            lungs,
            rng.uniform(0.15, 0.17),
            (int(rng.integers(1 << 31)), int(rng.integers(1 << 31))),
        )


@dataclass(frozen=True)
class Film:
    """One exposure: positioning, technique and noise. Drawn the same way whatever the finding."""

    cx: float
    cy: float
    scale: float
    theta: float
    skin_fold: bool
    fold_side: int
    fold_depth: float
    marking_gain: float
    line_level: float  # 0..1 within the contrast range of the pleural line
    blur: float
    gamma: float
    gain: float
    offset: float
    noise_level: float  # 0..1 within the noise range
    noise_seed: int

    @classmethod
    def of(cls, seed: int, patient: int, followup: int) -> Film:
        rng = np.random.default_rng([seed, patient, followup, 1])
        return cls(
            SIZE / 2 + rng.normal(0, 4),
            SIZE / 2 + rng.normal(0, 4),
            rng.uniform(0.97, 1.03),
            math.radians(rng.normal(0, 2.0)),
            bool(rng.random() < 0.2),
            int(rng.integers(0, 2)),
            rng.uniform(6, 20),
            rng.uniform(0.16, 0.22),
            rng.random(),
            rng.uniform(0.5, 0.9),
            rng.uniform(0.8, 1.25),
            rng.uniform(0.9, 1.1),
            rng.normal(0, 0.03),
            rng.random(),
            int(rng.integers(1 << 31)),
        )


def render(case: Case, seed: int = 0) -> NDArray[Any]:
    """Render one case as a uint8 SIZE x SIZE radiograph (bright = dense)."""
    anat = Anatomy.of(seed, case.patient)
    film = Film.of(seed, case.patient, case.followup)
    frame = _Frame(film.cx, film.cy, anat.scale * film.scale, film.theta)
    u, v = frame.body_coords()

    body = _ramp(
        1.0
        - np.sqrt(
            (u / anat.body_width) ** 2
            + np.clip((v - 0.2) / 1.3, 0, None) ** 4
            + np.clip((-0.86 - v) / 0.1, 0, None) ** 2
        ),
        0.05,
    )
    img = 0.03 + 0.52 * body
    img = img + 0.06 * _ramp(v - 0.45, 0.2) * body  # abdomen below the diaphragm
    medw = 0.13 + 0.05 * np.clip(v + 0.2, 0, 1)
    mediastinum = _ramp(medw - np.abs(u - 0.02), 0.04) * body
    grow = 1.35 if case.cardiomegaly else 1.0  # cardiothoracic ratio above 0.5
    heart = _ramp(1.0 - np.sqrt(((u - 0.12 * grow) / (0.27 * grow)) ** 2 + ((v - 0.3) / (0.2 * grow)) ** 2), 0.25)
    img = img + 0.14 * np.maximum(mediastinum, heart)
    img = img + 0.05 * _ramp(0.05 - np.abs(u), 0.015) * (1 + 0.3 * np.cos(v * 60)) * body  # spine
    img = img - 0.09 * _ramp(0.028 - np.abs(u + 0.01), 0.01) * _ramp(-0.28 - v, 0.05)  # trachea

    notch = 0.30 if case.cardiomegaly else 0.16
    lungs = [_Lung(*anat.lungs[k], sgn, u, v, notch) for k, sgn in enumerate((-1.0, 1.0))]  # image left = pt right
    lung_mask = np.maximum(lungs[0].mask, lungs[1].mask)
    density = 0.30 + 0.08 * np.clip(-v, 0, 1)  # apices a little darker
    img = img - density * lung_mask
    img = img + 0.10 * heart * lung_mask  # heart shadow over the left lower lung
    img = img + 0.10 * _ribs(anat.rib_spacing, u, v) * body * (0.35 + 0.65 * lung_mask)
    img = img + 0.10 * _clavicles(u, v)

    canvas = Image.new("F", (SIZE, SIZE), 0.0)
    for k, lung in enumerate(lungs):
        _draw_vessel_tree(ImageDraw.Draw(canvas), anat.tree_seeds[k], lung, frame)
    markings = gaussian_filter(np.asarray(canvas, dtype=np.float32), 0.8) * lung_mask
    line = np.zeros_like(img)
    if case.label and case.side:
        lung = lungs[0 if case.side == "right" else 1]
        rim, line = _pneumothorax(lung, case.extent, u, v)
        markings = markings * (1.0 - rim)
        img = img - (0.04 if case.subtle else 0.10) * rim  # hyperlucent: no lung tissue left there
    elif film.skin_fold:  # a line without loss of markings beyond it
        lung = lungs[film.fold_side]
        inner = _distance_inside(lung.mask)
        line = 0.8 * np.exp(-(((inner - film.fold_depth) / 1.2) ** 2)) * lung.mask * (np.abs(v) < 0.45)
    if case.effusion or case.nodules:
        img, markings = _other_findings(case, seed, lungs, img, markings)
    img = img + film.marking_gain * markings
    contrast = (0.04, 0.07) if case.subtle else (0.10, 0.16)
    img = img + (contrast[0] + film.line_level * (contrast[1] - contrast[0])) * line

    # Film: blur, exposure, noise.
    img = gaussian_filter(img, film.blur)
    img = np.clip(img, 0, 1) ** film.gamma * film.gain + film.offset
    sigma = (0.012 + 0.016 * film.noise_level) * (1.4 if case.subtle else 1.0)
    noise = np.random.default_rng(film.noise_seed).standard_normal(img.shape, dtype=np.float32)
    img = img + noise * sigma
    out: NDArray[np.uint8] = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
    return out


_GRID = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)  # (row, column) of every pixel


@dataclass(frozen=True)
class _Frame:
    """Where the body sits on the film: centre (px), scale, rotation."""

    cx: float
    cy: float
    scale: float
    theta: float

    def body_coords(self) -> tuple[NDArray[Any], NDArray[Any]]:
        """Per pixel (u, v): body coordinates, u across (-1..1), v down (-1 top .. 1 bottom)."""
        yy, xx = _GRID
        c, s, half = math.cos(self.theta), math.sin(self.theta), SIZE / 2 * self.scale
        return ((xx - self.cx) * c + (yy - self.cy) * s) / half, (-(xx - self.cx) * s + (yy - self.cy) * c) / half


class _Lung:
    """One lung field: dome-shaped apex, lateral wall, diaphragm dome, heart notch on the left."""

    def __init__(
        self, top: float, base: float, width: float, sgn: float, u: NDArray[Any], v: NDArray[Any], notch: float = 0.16
    ) -> None:
        self.sgn = sgn
        self.top, self.base, self.width = top, base, width
        su = sgn * u
        dome = 0.16 * np.clip(1 - ((su - 0.42) / 0.36) ** 2, 0, 1)  # diaphragm higher mid-lung
        b = (v - self.top) / (self.base - dome - self.top)  # 0 at the apex, 1 at the diaphragm
        apex = np.sqrt(np.clip(1 - (1 - np.clip(b / 0.42, 0, 1)) ** 2, 0, 1))
        medial = 0.10 + 0.04 * np.clip(b, 0, 1)
        if sgn > 0:  # the heart on the patient's left pushes the lower medial border out
            medial = medial + notch * np.clip((b - 0.55) / 0.3, 0, 1) ** 0.7
        x_med = medial + 0.3 * self.width * (1 - apex)
        x_lat = 0.10 + self.width * (0.3 + 0.7 * apex) * (0.94 + 0.06 * np.clip(b, 0, 1))
        a = (su - x_med) / np.maximum(x_lat - x_med, 1e-3)  # 0 medial, 1 at the chest wall
        self.a, self.b = a, b
        edge = np.minimum(np.minimum(a * 20.0, (1 - a) * 50.0), np.minimum(b * 100.0, (1 - b) * 50.0))
        self.mask = np.clip(edge, 0.0, 1.0)  # soft-edged inside of all four borders
        self.hilum = (sgn * 0.26, self.top + 0.55 * (self.base - self.top))


def _pneumothorax(lung: _Lung, extent: float, u: NDArray[Any], v: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """Rim of pleural air along the apical and lateral wall, and the visceral pleural line at its edge."""
    inner = _distance_inside(lung.mask)  # pixels from the chest wall, inside the lung
    lateral = np.clip(lung.a * 1.6 - 0.6, 0, 1)
    apical = np.clip(1.0 - lung.b / 0.55, 0, 1)
    sector = np.clip(np.maximum(lateral, apical), 0, 1)
    depth = extent * lung.width * SIZE / 2 * sector  # rim width in pixels, tapering out of the sector
    rim = _ramp(depth - inner, 1.0) * lung.mask
    line = np.exp(-(((inner - depth) / 0.9) ** 2)) * (depth > 1.5) * lung.mask
    return rim.astype(np.float32), line.astype(np.float32)


def _distance_inside(mask: NDArray[Any]) -> NDArray[Any]:
    """Distance in pixels from the mask's border, computed on its bounding box only."""
    inside = mask > 0.5
    out = np.zeros(mask.shape, np.float32)
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    if rows.size:
        box = (slice(max(rows[0] - 1, 0), rows[-1] + 2), slice(max(cols[0] - 1, 0), cols[-1] + 2))
        out[box] = distance_transform_edt(inside[box])
    return out


def _ramp(x: NDArray[Any], width: float) -> NDArray[Any]:
    """0 below 0, 1 above `width`, linear between: a soft-edged step."""
    return np.clip(x * np.float32(1.0 / width), 0.0, 1.0)


def _ribs(spacing: float, u: NDArray[Any], v: NDArray[Any]) -> NDArray[Any]:
    """Posterior ribs: arcs rising out of the spine then curving down laterally."""
    au = np.abs(u)
    centre = -0.78 + 0.55 * au**2 - 0.12 * au
    phase = (v - centre) / spacing
    d = np.abs(phase - np.round(phase)) * spacing
    band = np.clip(1 - d / 0.035, 0, 1) ** 0.5 * ((phase > -0.5) & (phase < 9.5))
    ribs: NDArray[np.float32] = (band * _ramp(au - 0.07, 0.03) * _ramp(0.92 - au, 0.05)).astype(np.float32)
    return ribs


def _clavicles(u: NDArray[Any], v: NDArray[Any]) -> NDArray[Any]:
    centre = -0.80 + 0.16 * np.abs(u) - 0.28 * np.abs(u) ** 2
    bones: NDArray[np.float32] = (
        np.clip(1 - np.abs(v - centre) / 0.04, 0, 1) * _ramp(0.62 - np.abs(u), 0.05) * _ramp(np.abs(u) - 0.08, 0.03)
    ).astype(np.float32)
    return bones


def _draw_vessel_tree(draw: ImageDraw.ImageDraw, tree_seed: int, lung: _Lung, frame: _Frame) -> None:
    """Branching vessel markings radiating from the hilum, thinning towards the periphery."""
    tree = np.random.default_rng(tree_seed)  # the same tree on every film of the patient
    ang = np.linspace(-1.9, 1.5, 7) + tree.normal(0, 0.12, 7)
    pu = np.full(7, lung.hilum[0])
    pv = np.full(7, lung.hilum[1])
    length, width, level = 0.15, 3.0, 1.0
    c, s, half = math.cos(frame.theta), math.sin(frame.theta), SIZE / 2 * frame.scale
    for depth in range(5):  # one vectorised step per branching generation
        eu, ev = pu + lung.sgn * np.cos(ang) * length, pv + np.sin(ang) * length
        x0, y0 = frame.cx + (pu * c - pv * s) * half, frame.cy + (pu * s + pv * c) * half
        x1, y1 = frame.cx + (eu * c - ev * s) * half, frame.cy + (eu * s + ev * c) * half
        w = max(1, round(width))
        for seg in np.stack([x0, y0, x1, y1], axis=1).tolist():
            draw.line(seg, fill=level, width=w)
        if depth == 4:
            break
        turn = np.concatenate([np.full(len(ang), -0.42), np.full(len(ang), 0.42)])
        ang = np.concatenate([ang, ang]) + turn + tree.normal(0, 0.18, 2 * len(ang))
        pu, pv = np.concatenate([eu, eu]), np.concatenate([ev, ev])
        length, width, level = length * 0.74, width * 0.7, level * 0.8


def _other_findings(
    case: Case, seed: int, lungs: list[_Lung], img: NDArray[Any], markings: NDArray[Any]
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Effusion (fluid in a costophrenic angle, meniscus higher laterally) and nodules."""
    rng = np.random.default_rng([seed, case.patient, case.followup, 3])  # the findings' own stream
    if case.effusion:
        lung = lungs[0 if case.effusion == "right" else 1]
        height = rng.uniform(0.15, 0.35)
        level = 1.0 - height * (0.55 + 0.45 * np.clip(lung.a, 0, 1))  # meniscus: higher at the chest wall
        fluid = _ramp(lung.b - level, 0.04) * lung.mask
        img = img + 0.26 * fluid
        markings = markings * (1.0 - fluid)
    for _ in range(case.nodules):
        lung = lungs[int(rng.integers(0, 2))]
        inside = np.flatnonzero((lung.mask > 0.95) & (lung.b > 0.15) & (lung.b < 0.8))
        if inside.size == 0:
            continue
        y, x = divmod(int(rng.choice(inside)), SIZE)
        radius = rng.uniform(3.0, 6.0)
        yy, xx = _GRID
        disk = np.exp(-((((yy - y) ** 2 + (xx - x) ** 2) / radius**2) ** 2))
        img = img + rng.uniform(0.12, 0.2) * disk
    return img, markings
