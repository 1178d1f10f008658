"""What a label table's cells mean for training, and the policy for uncertain findings (CheXpert's -1).

CheXpert's paper compared policies for the uncertain label: ignore it (masked out of the loss: radbank's
default), map it to 1 ("U-Ones") or to 0 ("U-Zeros"). Blank means not mentioned: unknown, masked.
"""

from __future__ import annotations

import math
from typing import Any

from radbank.errors import RadbankError

UNCERTAIN_POLICIES = ("masked", "ones", "zeros")
NON_LABEL_COLUMNS = ("report", "lang", "umls_cui", "umls_cui_uncertain", "No Finding")
_UNCERTAIN = {"masked": math.nan, "ones": 1.0, "zeros": 0.0}
POSITIVE_FROM = 0.5  # a numeric cell at or above this is present (probabilities and 0/1 alike)


def uncertain_value(policy: str) -> float:
    """The training target of an uncertain (-1) finding under `policy`: NaN (masked), 1.0 or 0.0."""
    if policy not in _UNCERTAIN:
        raise RadbankError(f"unknown uncertain-label policy {policy!r}; choose one of {', '.join(UNCERTAIN_POLICIES)}")
    return _UNCERTAIN[policy]


def label_cell(value: Any, uncertain: str = "masked") -> float:
    """A label-table cell as a training target: 1.0, 0.0, NaN (blank, unknown) or the uncertain policy's value."""
    text = str(value).strip()
    if text in ("-1", "-1.0"):
        return uncertain_value(uncertain)
    try:
        number = float(text)
    except ValueError:
        return math.nan
    if math.isnan(number):
        return math.nan
    return 1.0 if number >= POSITIVE_FROM else 0.0
