"""`radbank risk` on a sample of BIMCV's real PadChest label table (shipped inside the torchxrayvision wheel).

The wheel is fetched from the package registry at test time (cached under ~/.cache/radbank-registry); the test
skips when the registry cannot be reached. The table is never written into the repository.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from radbank.cli import main
from registry_files import Unavailable, registry_archive

WHEEL = "torchxrayvision==1.5.7"
MEMBER = "torchxrayvision/data/PADCHEST_chest_x_ray_images_labels_160K_01.02.19.csv.gz"
ROWS = 30_000
QUASI = ["PatientBirth", "PatientSex_DICOM", "StudyDate_DICOM"]


def _wheel() -> Path:
    try:
        return registry_archive(WHEEL)
    except Unavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def padchest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first ROWS records of the PadChest table, written back in its own format."""
    with zipfile.ZipFile(_wheel()) as wheel, wheel.open(MEMBER) as raw:
        text = io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8", newline="")
        rows = list(itertools.islice(csv.reader(text), ROWS + 1))
    path = tmp_path_factory.mktemp("padchest") / "padchest.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def test_padchest_sample_every_class_holds_k_patients(padchest: Path, tmp_path: Path) -> None:
    out, js = tmp_path / "k5.csv", tmp_path / "risk.json"
    args = [
        "risk",
        str(padchest),
        "--quasi",
        ",".join(QUASI),
        "--sensitive",
        "Labels",
        "--subject",
        "PatientID",
        "--target-k",
        "5",
        "--out",
        str(out),
        "--json",
        str(js),
        "-q",
    ]
    assert main(args) == 0
    source = pd.read_csv(padchest, dtype=str, keep_default_na=False)
    released = pd.read_csv(out, dtype=str, keep_default_na=False)
    result = json.loads(js.read_text())
    assert result["before"]["subjects"] == source["PatientID"].nunique()
    assert result["before"]["records"] == ROWS
    assert released.groupby(QUASI)["PatientID"].nunique().min() >= 5  # distinct patients, counted by pandas
    assert result["after"]["k"] >= 5
    assert result["subjects_suppressed"] <= 0.05 * result["before"]["subjects"]
    assert released.columns.tolist() == source.columns.tolist()


def test_padchest_sample_counting_rows_leaves_small_classes(padchest: Path, tmp_path: Path) -> None:
    """The issue's finding: k = 5 over records leaves classes of fewer than 5 patients."""
    out = tmp_path / "rows5.csv"
    args = ["risk", str(padchest), "--quasi", ",".join(QUASI), "--per-record", "--target-k", "5", "--out", str(out)]
    assert main([*args, "-q"]) == 0
    released = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert released.groupby(QUASI).size().min() >= 5
    assert released.groupby(QUASI)["PatientID"].nunique().min() < 5
