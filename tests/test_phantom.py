"""The phantom: deterministic, the tutorial's layout, NIH-style names, and a lesion where it says."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from radbank.phantom import NEGATIVE, POSITIVE, Anatomy, Film, PhantomSpec, generate, plan_cases, render


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    files = sorted(root.rglob("*.png"))
    assert files, f"no images under {root}"
    for f in files:
        h.update(f.relative_to(root).as_posix().encode() + f.read_bytes())
    return h.hexdigest()


def test_layout_names_and_metadata(phantom120: Path) -> None:
    neg, pos = sorted((phantom120 / NEGATIVE).glob("*.png")), sorted((phantom120 / POSITIVE).glob("*.png"))
    assert len(neg) == len(pos) == 60
    img = Image.open(pos[0])
    assert img.mode == "L"
    assert img.size == (256, 256)
    assert img.format == "PNG"
    table = pd.read_csv(phantom120 / "phantom.csv", dtype={"patient": int})
    assert len(table) == 120
    assert set(table["finding"]) == {NEGATIVE, POSITIVE}
    assert all(len(p.name) == len("00000001_000.png") for p in neg + pos)
    assert table.groupby("patient").size().max() > 1  # some patients have follow-ups
    assert (table.loc[table.label == 1, "subtle"]).any()


def test_deterministic_and_resumable(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", PhantomSpec(n=30, seed=1), workers=1)
    b = generate(tmp_path / "b", PhantomSpec(n=30, seed=1), workers=1)
    assert _digest(a) == _digest(b)
    victim = next((a / POSITIVE).glob("*.png"))
    victim.unlink()
    (a / "phantom.json").unlink()  # an interrupted generation: no manifest yet
    generate(a, PhantomSpec(n=30, seed=1), workers=1)
    assert _digest(a) == _digest(b)
    c = generate(tmp_path / "c", PhantomSpec(n=30, seed=2), workers=1)
    assert _digest(c) != _digest(a)


def test_lesion_is_on_the_stated_side_and_periphery() -> None:
    cases = [
        c
        for c in plan_cases(60, seed=4)
        if c.label and not c.subtle and not Film.of(4, c.patient, c.followup).skin_fold
    ]  # a fold would appear on the healthy film
    for case in cases[:6]:
        sick = render(case, seed=4).astype(float)
        healthy = render(dataclasses.replace(case, label=0, extent=0.0, side=""), seed=4).astype(float)
        diff = np.abs(sick - healthy)
        # patient's right is the image's left (radiological convention)
        affected, other = (diff[:, :128], diff[:, 128:]) if case.side == "right" else (diff[:, 128:], diff[:, :128])
        assert other.max() == 0  # the same film: only the lesion differs
        assert affected.max() > 20  # visible: the pleural line and the loss of markings
        rows = np.flatnonzero(affected.sum(axis=1))
        assert rows.min() < 110  # it reaches up to the apex, not only the base


def test_followups_share_anatomy_not_film() -> None:
    cases = plan_cases(200, seed=0)
    patient = next(c.patient for c in cases if c.followup == 1)
    other = next(c.patient for c in cases if c.patient != patient)
    first = Anatomy.of(0, patient)
    Anatomy.of(0, other)
    np.random.default_rng().random(100)  # other draws in between change nothing: anatomy comes from (seed, patient)
    assert Anatomy.of(0, patient) == first
    assert Anatomy.of(0, patient) != Anatomy.of(0, other)
    assert Film.of(0, patient, 0) != Film.of(0, patient, 1)
