"""Writing the phantom to disk: the tutorial's folder-per-class layout, or NIH ChestX-ray14's release.

`folders`: `No-Finding/` and `Pneumothorax/` with NIH-style file names, plus `phantom.csv`.
`nih`: `images_001/images/...` (PER_FOLDER images a folder), `Data_Entry_2017.csv` in NIH's exact
format (the header splits `OriginalImage[Width,Height]` across two columns and every line ends with a
comma), `train_val_list.txt` and `test_list.txt` (a patient-wise test split, as NIH's), `phantom.csv`.
Writes are atomic and resumable; a finished folder with the same spec is reused as it is.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from radbank.fsutil import atomic_path, write_json, write_text
from radbank.phantom.cases import NEGATIVE, POSITIVE, Case, plan_cases
from radbank.phantom.render import SIZE, render

GENERATOR_VERSION = 4
LAYOUTS = ("folders", "nih")
MANIFEST = "phantom.json"
PER_FOLDER = 500
NIH_HEADER = (
    "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
    "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],"
)
PIXEL_SPACING = 0.143 * 1024 / SIZE  # NIH's detector pitch, scaled to the phantom's matrix
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class PhantomSpec:
    """What a phantom folder was generated with; a folder with the same spec is reused."""

    n: int
    seed: int = 0
    positive_fraction: float = 0.5
    subtle_fraction: float = 0.3
    layout: str = "folders"
    extra_findings: bool = False
    version: int = GENERATOR_VERSION

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {self.layout!r}")
        if self.n < 1:
            raise ValueError("n must be at least 1")

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]

    def cases(self) -> list[Case]:
        return plan_cases(self.n, self.seed, self.positive_fraction, self.subtle_fraction, self.extra_findings)


def relative_path(case: Case, layout: str) -> str:
    """Where a case's PNG goes, relative to the output folder."""
    if layout == "nih":
        return f"images_{case.index // PER_FOLDER + 1:03d}/images/{case.image_index}"
    return f"{case.class_name}/{case.image_index}"


def generate(
    out: str | Path, spec: PhantomSpec, workers: int = 0, progress: Callable[[int], None] | None = None
) -> Path:
    """Write the phantom in `spec.layout`; return the folder."""
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
    cases = spec.cases()
    paths = [root / relative_path(c, spec.layout) for c in cases]
    for folder in {p.parent for p in paths}:
        folder.mkdir(parents=True, exist_ok=True)
    todo = [(c, p, spec.seed) for c, p in zip(cases, paths, strict=True) if not p.exists()]
    if progress:
        progress(len(cases) - len(todo))
    for _ in map_parallel(_write_case, todo, workers=workers):
        if progress:
            progress(1)
    table = pd.DataFrame(
        [
            {
                **asdict(c),
                "path": relative_path(c, spec.layout),
                "finding": c.class_name,
                "finding_labels": c.finding_labels,
            }
            for c in cases
        ]
    )
    with atomic_path(root / "phantom.csv") as tmp:
        table.to_csv(tmp, index=False)
    if spec.layout == "nih":
        _write_nih_tables(root, cases, spec.seed)
    write_json(manifest, {"generator": "radbank.phantom", **asdict(spec), "digest": spec.digest()})
    return root


def _write_case(args: tuple[Case, Path, int]) -> None:
    case, path, seed = args
    with atomic_path(path) as tmp:
        Image.fromarray(render(case, seed), mode="L").save(tmp, format="PNG")


def _write_nih_tables(root: Path, cases: list[Case], seed: int) -> None:
    """Data_Entry_2017.csv, train_val_list.txt and test_list.txt, as NIH publishes them."""
    buf = io.StringIO()
    buf.write(NIH_HEADER + "\n")
    writer = csv.writer(buf, lineterminator="\n")
    for c in cases:
        writer.writerow(
            [
                c.image_index,
                c.finding_labels,
                c.followup,
                c.patient,
                c.age,
                c.sex,
                c.view,
                SIZE,
                SIZE,
                f"{PIXEL_SPACING:.3f}",
                f"{PIXEL_SPACING:.3f}",
                "",
            ]
        )
    write_text(root / "Data_Entry_2017.csv", buf.getvalue())
    patients = sorted({c.patient for c in cases})
    rng = np.random.default_rng([seed, 11])
    test_patients = set(rng.choice(patients, size=round(TEST_FRACTION * len(patients)), replace=False).tolist())
    for name, keep in (("train_val_list.txt", False), ("test_list.txt", True)):
        names = [c.image_index for c in cases if (c.patient in test_patients) == keep]
        write_text(root / name, "".join(f"{n}\n" for n in names))


__all__ = ["LAYOUTS", "NEGATIVE", "POSITIVE", "PhantomSpec", "generate", "relative_path"]
