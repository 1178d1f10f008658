"""Radiology report text for phantom cases (English or Spanish), stating what each image shows.

No identifiers: the demo's reports need no de-identification. They state absent findings in negated
form ("No pleural effusion.", "Sin derrame pleural.") so that report coding is exercised both ways.
"""

from __future__ import annotations

from dataclasses import dataclass

from radbank.phantom.cases import Case


@dataclass(frozen=True)
class Phrases:
    """One language's sentences; pairs are (absent/normal/large, present/abnormal/small)."""

    view: dict[str, str]
    side: dict[str, str]
    ptx: str
    size: tuple[str, str]
    no_ptx: str
    heart: tuple[str, str]
    effusion: str
    no_effusion: str
    nodules: tuple[str, str]
    impression: tuple[str, str]


_RAW = {
    "en": {
        "view": {"PA": "PA chest radiograph.", "AP": "AP portable chest radiograph."},
        "side": {"left": "left", "right": "right"},
        "ptx": "{size} {side} pneumothorax with a visible pleural line.",
        "size": ("Large", "Small"),
        "no_ptx": "No pneumothorax.",
        "heart": ("Heart size within normal limits.", "Cardiomegaly."),
        "effusion": "Small {side} pleural effusion.",
        "no_effusion": "No pleural effusion.",
        "nodules": ("A pulmonary nodule in the lower zone.", "Two pulmonary nodules."),
        "impression": ("Impression: normal study.", "Impression: findings as described."),
    },
    "es": {
        "view": {"PA": "Radiografía de tórax PA.", "AP": "Radiografía de tórax AP portátil."},
        "side": {"left": "izquierdo", "right": "derecho"},
        "ptx": "Neumotórax {side} {size}, con línea pleural visible.",
        "size": ("extenso", "pequeño"),
        "no_ptx": "Sin neumotórax.",
        "heart": ("Silueta cardiaca de tamaño normal.", "Cardiomegalia."),
        "effusion": "Derrame pleural {side} leve.",
        "no_effusion": "Sin derrame pleural.",
        "nodules": ("Nódulo pulmonar en campo inferior.", "Dos nódulos pulmonares."),
        "impression": ("Conclusión: estudio normal.", "Conclusión: hallazgos descritos."),
    },
}


PHRASES = {lang: Phrases(**raw) for lang, raw in _RAW.items()}  # type: ignore[arg-type]


def report_text(case: Case) -> str:
    """The report of one case; the language alternates by patient (even: Spanish, odd: English)."""
    p = PHRASES["es" if case.patient % 2 == 0 else "en"]
    lines = [p.view["PA" if case.view == "PA" else "AP"]]
    if case.label:
        lines.append(p.ptx.format(size=p.size[int(case.subtle)], side=p.side[case.side]))
    else:
        lines.append(p.no_ptx)
    lines.append(p.heart[int(case.cardiomegaly)])
    lines.append(p.effusion.format(side=p.side[case.effusion]) if case.effusion else p.no_effusion)
    if case.nodules:
        lines.append(p.nodules[int(case.nodules > 1)])
    lines.append(p.impression[int(bool(case.findings))])
    return " ".join(lines)
