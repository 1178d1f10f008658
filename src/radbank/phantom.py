"""Synthetic chest radiographs: the embedded demo and test data (never a stand-in for real data).

Each image is drawn from simple anatomy: body outline, two lung fields with vessel-like markings
branching from the hila, posterior ribs, spine/mediastinum, heart shadow and diaphragm domes, then
exposure, blur and noise. A pneumothorax case shows, on one side, a rim of air free of lung markings
at the apex and lateral wall, bounded by a thin bright visceral pleural line; its size and side vary
and a share of cases is subtle (thin rim, faint line, noisier film). Healthy cases sometimes carry a
skin fold, a line that mimics the pleural edge but with markings continuing beyond it.

Patients have one or more follow-up images sharing their anatomy, named like NIH ChestX-ray14's
`Image Index` (`00000001_000.png`), so a patient-grouped split matters here as it does there.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy.ndimage import distance_transform_edt, gaussian_filter

from radbank.fsutil import atomic_path, write_json

POSITIVE = "Pneumothorax"
NEGATIVE = "No-Finding"
GENERATOR_VERSION = 4
SIZE = 256


@dataclass(frozen=True)
class Case:
    """One synthetic image: who, which follow-up, and what it shows."""

    index: int
    patient: int
    followup: int
    label: int  # 1 = pneumothorax, 0 = no finding
    age: int
    sex: str
    view: str
    side: str  # "left"/"right" (patient's side) for pneumothorax, "" otherwise
    extent: float  # rim width as a fraction of the lung half-width (0 when healthy)
    subtle: bool

    @property
    def image_index(self) -> str:
        """NIH-style file name."""
        return f"{self.patient:08d}_{self.followup:03d}.png"

    @property
    def class_name(self) -> str:
        return POSITIVE if self.label else NEGATIVE


def plan_cases(n: int, seed: int = 0, positive_fraction: float = 0.5, subtle_fraction: float = 0.3) -> list[Case]:
    """Decide, deterministically, the n cases: patients, follow-ups, labels and lesion parameters."""
    rng = np.random.default_rng([seed, 7919])
    cases: list[Case] = []
    patient = 0
    n_pos = round(n * positive_fraction)
    labels = np.array([1] * n_pos + [0] * (n - n_pos))
    rng.shuffle(labels)
    i = 0
    while i < n:
        patient += 1
        visits = int(min(rng.geometric(0.7), 4, n - i))  # mostly 1, sometimes 2-4 follow-ups
        age = int(np.clip(rng.normal(52, 18), 1, 95))
        sex = "M" if rng.random() < 0.55 else "F"
        side = "left" if rng.random() < 0.5 else "right"
        for f in range(visits):
            label = int(labels[i])
            subtle = bool(label and rng.random() < subtle_fraction)
            extent = float(rng.uniform(0.05, 0.11) if subtle else rng.uniform(0.15, 0.5)) if label else 0.0
            view = "PA" if rng.random() < 0.8 else "AP"
            cases.append(Case(i, patient, f, label, min(age + f, 95), sex, view, side if label else "", extent, subtle))
            i += 1
    return cases


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


def render(case: Case, seed: int = 0) -> np.ndarray:
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
    heart = _ramp(1.0 - np.sqrt(((u - 0.12) / 0.27) ** 2 + ((v - 0.3) / 0.2) ** 2), 0.25)
    img = img + 0.14 * np.maximum(mediastinum, heart)
    img = img + 0.05 * _ramp(0.05 - np.abs(u), 0.015) * (1 + 0.3 * np.cos(v * 60)) * body  # spine
    img = img - 0.09 * _ramp(0.028 - np.abs(u + 0.01), 0.01) * _ramp(-0.28 - v, 0.05)  # trachea

    lungs = [_Lung(*anat.lungs[k], sgn, u, v) for k, sgn in enumerate((-1.0, 1.0))]  # image left = patient right
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
    img = img + film.marking_gain * markings
    contrast = (0.04, 0.07) if case.subtle else (0.10, 0.16)
    img = img + (contrast[0] + film.line_level * (contrast[1] - contrast[0])) * line

    # Film: blur, exposure, noise.
    img = gaussian_filter(img, film.blur)
    img = np.clip(img, 0, 1) ** film.gamma * film.gain + film.offset
    sigma = (0.012 + 0.016 * film.noise_level) * (1.4 if case.subtle else 1.0)
    noise = np.random.default_rng(film.noise_seed).standard_normal(img.shape, dtype=np.float32)
    img = img + noise * sigma
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


_GRID = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)  # (row, column) of every pixel


@dataclass(frozen=True)
class _Frame:
    """Where the body sits on the film: centre (px), scale, rotation."""

    cx: float
    cy: float
    scale: float
    theta: float

    def body_coords(self) -> tuple[np.ndarray, np.ndarray]:
        """Per pixel (u, v): body coordinates, u across (-1..1), v down (-1 top .. 1 bottom)."""
        yy, xx = _GRID
        c, s, half = math.cos(self.theta), math.sin(self.theta), SIZE / 2 * self.scale
        return ((xx - self.cx) * c + (yy - self.cy) * s) / half, (-(xx - self.cx) * s + (yy - self.cy) * c) / half


class _Lung:
    """One lung field: dome-shaped apex, lateral wall, diaphragm dome, heart notch on the left."""

    def __init__(self, top: float, base: float, width: float, sgn: float, u: np.ndarray, v: np.ndarray) -> None:
        self.sgn = sgn
        self.top, self.base, self.width = top, base, width
        su = sgn * u
        dome = 0.16 * np.clip(1 - ((su - 0.42) / 0.36) ** 2, 0, 1)  # diaphragm higher mid-lung
        b = (v - self.top) / (self.base - dome - self.top)  # 0 at the apex, 1 at the diaphragm
        apex = np.sqrt(np.clip(1 - (1 - np.clip(b / 0.42, 0, 1)) ** 2, 0, 1))
        medial = 0.10 + 0.04 * np.clip(b, 0, 1)
        if sgn > 0:  # the heart on the patient's left pushes the lower medial border out
            medial = medial + 0.16 * np.clip((b - 0.55) / 0.3, 0, 1) ** 0.7
        x_med = medial + 0.3 * self.width * (1 - apex)
        x_lat = 0.10 + self.width * (0.3 + 0.7 * apex) * (0.94 + 0.06 * np.clip(b, 0, 1))
        a = (su - x_med) / np.maximum(x_lat - x_med, 1e-3)  # 0 medial, 1 at the chest wall
        self.a, self.b = a, b
        edge = np.minimum(np.minimum(a * 20.0, (1 - a) * 50.0), np.minimum(b * 100.0, (1 - b) * 50.0))
        self.mask = np.clip(edge, 0.0, 1.0)  # soft-edged inside of all four borders
        self.hilum = (sgn * 0.26, self.top + 0.55 * (self.base - self.top))


def _pneumothorax(lung: _Lung, extent: float, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rim of pleural air along the apical and lateral wall, and the visceral pleural line at its edge."""
    inner = _distance_inside(lung.mask)  # pixels from the chest wall, inside the lung
    lateral = np.clip(lung.a * 1.6 - 0.6, 0, 1)
    apical = np.clip(1.0 - lung.b / 0.55, 0, 1)
    sector = np.clip(np.maximum(lateral, apical), 0, 1)
    depth = extent * lung.width * SIZE / 2 * sector  # rim width in pixels, tapering out of the sector
    rim = _ramp(depth - inner, 1.0) * lung.mask
    line = np.exp(-(((inner - depth) / 0.9) ** 2)) * (depth > 1.5) * lung.mask
    return rim.astype(np.float32), line.astype(np.float32)


def _distance_inside(mask: np.ndarray) -> np.ndarray:
    """Distance in pixels from the mask's border, computed on its bounding box only."""
    inside = mask > 0.5
    out = np.zeros(mask.shape, np.float32)
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    if rows.size:
        box = (slice(max(rows[0] - 1, 0), rows[-1] + 2), slice(max(cols[0] - 1, 0), cols[-1] + 2))
        out[box] = distance_transform_edt(inside[box])
    return out


def _ramp(x: np.ndarray, width: float) -> np.ndarray:
    """0 below 0, 1 above `width`, linear between: a soft-edged step."""
    return np.clip(x * np.float32(1.0 / width), 0.0, 1.0)


def _ribs(spacing: float, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Posterior ribs: arcs rising out of the spine then curving down laterally."""
    au = np.abs(u)
    centre = -0.78 + 0.55 * au**2 - 0.12 * au
    phase = (v - centre) / spacing
    d = np.abs(phase - np.round(phase)) * spacing
    band = np.clip(1 - d / 0.035, 0, 1) ** 0.5 * ((phase > -0.5) & (phase < 9.5))
    return (band * _ramp(au - 0.07, 0.03) * _ramp(0.92 - au, 0.05)).astype(np.float32)


def _clavicles(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    centre = -0.80 + 0.16 * np.abs(u) - 0.28 * np.abs(u) ** 2
    return (
        np.clip(1 - np.abs(v - centre) / 0.04, 0, 1) * _ramp(0.62 - np.abs(u), 0.05) * _ramp(np.abs(u) - 0.08, 0.03)
    ).astype(np.float32)


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


@dataclass(frozen=True)
class PhantomSpec:
    """What a phantom folder was generated with; a folder with the same spec is reused."""

    n: int
    seed: int = 0
    positive_fraction: float = 0.5
    subtle_fraction: float = 0.3
    version: int = GENERATOR_VERSION

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


MANIFEST = "phantom.json"


def generate(
    out: str | Path, spec: PhantomSpec, workers: int = 0, progress: Callable[[int], None] | None = None
) -> Path:
    """Write the phantom as 8-bit PNGs in the tutorial's layout (`No-Finding/`, `Pneumothorax/`).

    Resumable: files already present are kept; a finished folder with the same spec is reused.
    Also writes `phantom.csv` (one row per image: patient, follow-up, age, sex, view, lesion).
    """
    import pandas as pd

    from radbank.parallel import map_parallel

    root = Path(out)
    manifest = root / MANIFEST
    if manifest.exists():
        try:
            if json.loads(manifest.read_text()).get("digest") == spec.digest():
                return root
        except (OSError, json.JSONDecodeError):
            pass
    cases = plan_cases(spec.n, spec.seed, spec.positive_fraction, spec.subtle_fraction)
    for name in (NEGATIVE, POSITIVE):
        (root / name).mkdir(parents=True, exist_ok=True)
    todo = [c for c in cases if not (root / c.class_name / c.image_index).exists()]
    if progress:
        progress(len(cases) - len(todo))
    for _ in map_parallel(_write_case, [(c, root, spec.seed) for c in todo], workers=workers):
        if progress:
            progress(1)
    table = pd.DataFrame(
        [{**asdict(c), "path": f"{c.class_name}/{c.image_index}", "finding": c.class_name} for c in cases]
    )
    with atomic_path(root / "phantom.csv") as tmp:
        table.to_csv(tmp, index=False)
    write_json(manifest, {"generator": "radbank.phantom", **asdict(spec), "digest": spec.digest()})
    return root


def _write_case(args: tuple[Case, Path, int]) -> None:
    case, root, seed = args
    with atomic_path(root / case.class_name / case.image_index) as tmp:
        Image.fromarray(render(case, seed), mode="L").save(tmp, format="PNG")
