"""Pseudonymising one report: detect identifiers, replace them by surrogates (or tags), return both."""

from __future__ import annotations

from functools import cache

from radbank.anonymize.keys import Keyed
from radbank.errors import RadbankError
from radbank.text.detect import Detector
from radbank.text.kinship import KINSHIP_LABEL, replaced
from radbank.text.language import guess_language
from radbank.text.spans import Span
from radbank.text.surrogates import Surrogates

NER_DEFAULT = "default"
NER_NONE = "none"
KEPT_LABELS = frozenset({"SEX", KINSHIP_LABEL})  # detected (and scored) but left in the text


@cache
def default_detector(ner: str | None = NER_DEFAULT, ages: str = "over89") -> Detector:
    """The detector: rules + the packaged NER models (`ner='default'`), rules alone (`'none'`), or rules + the
    model at the path `ner` (see ner.py). `ages`: 'over89' (HIPAA) or 'all' (MEDDOCAN)."""
    from radbank.text.ner import load_default_ner, load_ner

    if ner in (None, NER_DEFAULT):
        return Detector(load_default_ner(), ages=ages)
    return Detector(None if ner == NER_NONE else load_ner(ner), ages=ages)


def pseudonymize(
    text: str,
    lang: str = "auto",
    key: Keyed | None = None,
    patient: str = "",
    *,
    mode: str = "surrogate",
    detector: Detector | None = None,
) -> tuple[str, list[Span]]:
    """(new text, spans found in the ORIGINAL text).

    `mode='surrogate'` replaces each identifier with a synthetic one of the same kind (needs `key`; the
    same value of the same `patient` always gets the same surrogate, dates move by the patient's offset);
    `mode='redact'` writes `[NAME]`, `[DATE]`... instead. Sex is found but kept (`KEPT_LABELS`).
    """
    if mode not in ("surrogate", "redact"):
        raise RadbankError(f"unknown mode {mode!r}; choose surrogate or redact")
    if mode == "surrogate" and key is None:
        raise RadbankError("surrogate mode needs a key (radbank keygen KEYFILE); or use mode='redact'")
    if lang == "auto":
        lang = guess_language(text)
    if lang not in ("es", "en"):
        raise RadbankError(f"unsupported language {lang!r}; choose es, en or auto")
    spans = (detector or default_detector()).detect(text, lang)
    surrogates = Surrogates(key, patient, lang) if key is not None and mode == "surrogate" else None
    out, last = [], 0
    for span in spans:
        if span.label in KEPT_LABELS:
            continue
        span = replaced(text, span)
        out.append(text[last : span.start])
        out.append(surrogates.replace(text, span) if surrogates else f"[{span.label}]")
        last = span.end
    out.append(text[last:])
    return "".join(out), spans
