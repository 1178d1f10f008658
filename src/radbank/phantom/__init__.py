"""Synthetic chest radiographs: the embedded demo and test data (never a stand-in for real data).

`cases` decides what each image shows, `render` draws it, `layouts` writes a dataset to disk in the
tutorial's folder-per-class layout or in NIH ChestX-ray14's release layout.
"""

from radbank.phantom.cases import FINDINGS, NEGATIVE, NO_FINDING, POSITIVE, Case, plan_cases
from radbank.phantom.layouts import LAYOUTS, PhantomSpec, generate, relative_path
from radbank.phantom.render import SIZE, Anatomy, Film, render

__all__ = [
    "FINDINGS",
    "LAYOUTS",
    "NEGATIVE",
    "NO_FINDING",
    "POSITIVE",
    "SIZE",
    "Anatomy",
    "Case",
    "Film",
    "PhantomSpec",
    "generate",
    "plan_cases",
    "relative_path",
    "render",
]
