"""Plugging a statistical NER model into the detector, from a local path: no code changes, no download.

`load_ner(PATH)` recognises:
- a spaCy pipeline folder (has `config.cfg` and `meta.json`; e.g. one saved with `nlp.to_disk`, or an
  installed model's package folder): its `doc.ents`;
- a Hugging Face token-classification model folder (has `config.json`; needs `transformers`): its
  aggregated entities, e.g. a clinical de-identification model downloaded beforehand by the user.
Model labels map to radbank's (PER/PERSON -> NAME, ORG -> INSTITUTION, LOC/GPE -> CITY, DATE -> DATE,
and radbank's own label names as themselves); other labels are ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from radbank.errors import RadbankError
from radbank.text.detect import NerFn
from radbank.text.spans import LABELS, Span

LABEL_MAP = {"PER": "NAME", "PERSON": "NAME", "PATIENT": "NAME", "DOCTOR": "NAME", "ORG": "INSTITUTION",
             "HOSPITAL": "INSTITUTION", "LOC": "CITY", "GPE": "CITY", "DATE": "DATE", "PHONE": "PHONE",
             "IDNUM": "ID", "MEDICALRECORD": "ID"}  # fmt: skip


def map_label(label: str) -> str | None:
    """radbank's label for a model's entity label (B-/I- prefixes and case ignored), or None."""
    name = label.upper().removeprefix("B-").removeprefix("I-")
    return name if name in LABELS else LABEL_MAP.get(name)


def load_ner(path: str | Path) -> NerFn:
    """A function (text, lang) -> spans from the model at `path` (spaCy or Hugging Face, detected)."""
    p = Path(path)
    if not p.exists():
        raise RadbankError(f"{p}: NER model not found (give the folder of a spaCy pipeline or a HF model)")
    if (p / "config.cfg").exists():
        return _spacy(p)
    if (p / "config.json").exists():
        return _huggingface(p)
    raise RadbankError(f"{p}: not a spaCy pipeline (config.cfg) nor a Hugging Face model (config.json)")


def _spacy(path: Path) -> NerFn:
    try:
        import spacy
    except ImportError:
        raise RadbankError(f"{path}: a spaCy model needs spaCy (pip install 'radbank[nlp]')") from None
    nlp = spacy.load(path)

    def run(text: str, lang: str) -> list[Span]:
        out = []
        for ent in nlp(text).ents:
            label = map_label(ent.label_)
            if label:
                out.append(Span(ent.start_char, ent.end_char, label, ent.label_.lower(), "ner"))
        return out

    return run


def _huggingface(path: Path) -> NerFn:
    try:
        from transformers import pipeline
    except ImportError:
        raise RadbankError(f"{path}: a Hugging Face model needs transformers (pip install transformers)") from None
    tagger: Any = pipeline("token-classification", model=str(path), aggregation_strategy="simple")

    def run(text: str, lang: str) -> list[Span]:
        out = []
        for ent in tagger(text):
            label = map_label(str(ent.get("entity_group", "")))
            if label:
                out.append(Span(int(ent["start"]), int(ent["end"]), label, str(ent["entity_group"]).lower(), "ner"))
        return out

    return run
