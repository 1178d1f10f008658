"""What each synthetic image shows: patients, follow-ups, demographics and findings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

POSITIVE = "Pneumothorax"
NEGATIVE = "No-Finding"
NO_FINDING = "No Finding"  # NIH's spelling in Data_Entry_2017.csv
# Findings the phantom can draw, in NIH ChestX-ray14's spelling.
FINDINGS = ("Pneumothorax", "Cardiomegaly", "Effusion", "Nodule")
EXTRA_PREVALENCE = {"Cardiomegaly": 0.15, "Effusion": 0.15, "Nodule": 0.12}


@dataclass(frozen=True)
class Case:
    """One synthetic image: who, which follow-up, and what it shows."""

    index: int
    patient: int
    followup: int
    label: int  # 1 = pneumothorax, 0 = none
    age: int
    sex: str
    view: str
    side: str  # "left"/"right" (patient's side) for pneumothorax, "" otherwise
    extent: float  # rim width as a fraction of the lung width (0 without pneumothorax)
    subtle: bool
    cardiomegaly: bool = False
    effusion: str = ""  # side of a pleural effusion, "" when none
    nodules: int = 0

    @property
    def image_index(self) -> str:
        """NIH-style file name."""
        return f"{self.patient:08d}_{self.followup:03d}.png"

    @property
    def class_name(self) -> str:
        """Folder in the tutorial's layout."""
        return POSITIVE if self.label else NEGATIVE

    @property
    def findings(self) -> list[str]:
        """The findings shown, in NIH's spelling (empty: no finding)."""
        present = {
            "Pneumothorax": bool(self.label),
            "Cardiomegaly": self.cardiomegaly,
            "Effusion": bool(self.effusion),
            "Nodule": self.nodules > 0,
        }
        return [f for f in FINDINGS if present[f]]

    @property
    def finding_labels(self) -> str:
        """NIH's `Finding Labels` cell: findings joined by '|', or 'No Finding'."""
        return "|".join(self.findings) or NO_FINDING


def plan_cases(
    n: int, seed: int = 0, positive_fraction: float = 0.5, subtle_fraction: float = 0.3, extra_findings: bool = False
) -> list[Case]:
    """Decide, deterministically, the n cases: patients, follow-ups, labels and lesion parameters.

    With `extra_findings`, cardiomegaly, effusions and nodules also occur (independently, at the
    prevalences of EXTRA_PREVALENCE); without, images show a pneumothorax or nothing, as in the tutorial.
    """
    rng = np.random.default_rng([seed, 7919])
    extra = np.random.default_rng([seed, 7920])  # a separate stream: the tutorial's cases do not change
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
        big_heart = extra_findings and extra.random() < EXTRA_PREVALENCE["Cardiomegaly"]  # a patient's heart
        for f in range(visits):
            label = int(labels[i])
            subtle = bool(label and rng.random() < subtle_fraction)
            extent = float(rng.uniform(0.05, 0.11) if subtle else rng.uniform(0.15, 0.5)) if label else 0.0
            view = "PA" if rng.random() < 0.8 else "AP"
            effusion, nodules = "", 0
            if extra_findings:
                if extra.random() < EXTRA_PREVALENCE["Effusion"]:
                    effusion = "left" if extra.random() < 0.5 else "right"
                if extra.random() < EXTRA_PREVALENCE["Nodule"]:
                    nodules = int(extra.integers(1, 3))
            cases.append(
                Case(
                    i,
                    patient,
                    f,
                    label,
                    min(age + f, 95),
                    sex,
                    view,
                    side if label else "",
                    extent,
                    subtle,
                    big_heart,
                    effusion,
                    nodules,
                )
            )
            i += 1
    return cases
