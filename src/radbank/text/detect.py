"""Finding identifiers in Spanish and English radiology reports: a statistical NER model per language joined
with rules.

- rules (patterns.py): IDs after their cue, licence numbers, bed/room/ward codes, DNI/NIE, SSN, phones,
  e-mails, URLs, addresses, postal codes, institutions, ages; dates in every written form (dates.py);
  cities from a packaged list; person names after titles, cues and role words, runs of listed names
  (names.py);
- the model (ner.py): MEDDOCAN's labels in Spanish, PERSON/GPE/FAC/ORG in English;
- combine.py joins both (the model's spans first; a rule span that reaches further grows them);
- precision: redaction placeholders stay; eponyms in their clinical context (eponyms.py), role words and
  clinical words are not names; institutions from the English model need an institution word;
- then every other occurrence of a found name's words is a name too, except where an eponym stands, and
  every other occurrence of a found ID's value or an institution's acronym (repeats.py) is removed too.
"""

from __future__ import annotations

import re

from radbank.text.combine import combine, is_placeholder
from radbank.text.dates import find_dates
from radbank.text.eponyms import only_eponym_words, protected_spans
from radbank.text.form_fields import field_addresses, field_names
from radbank.text.gazetteer import Gazetteer, load_gazetteer
from radbank.text.guidelines import to_guidelines
from radbank.text.kinship import keep_kinship
from radbank.text.makers import maker_spans
from radbank.text.measurements import is_measurement
from radbank.text.names import ROLE_WORDS, NameRules
from radbank.text.ner import NerFn
from radbank.text.patterns import (
    INSTITUTION,
    OLDEST_KEPT_AGE,
    age_spans,
    contact_spans,
    geography_spans,
    id_spans,
    place_spans,
    postal_beside_towns,
)
from radbank.text.repeats import acronym_spans, repeated_spans
from radbank.text.spans import Span
from radbank.text.towns import TownFinder, outside_places, places_in_addresses

AGES = ("over89", "all")
_AGE_NUMBER = re.compile(r"\d+")
_DURATION = re.compile(r"mes|month|week|d[ií]a")
ABBREVIATION = 3  # a place in capitals this short is an abbreviation (CT, US)


class Detector:
    """Rules + gazetteers + an optional NER model. `detect(text, lang)` -> non-overlapping spans.

    `ages`: 'over89' (HIPAA Safe Harbor: only ages over 89 are identifiers) or 'all' (MEDDOCAN's guideline).
    """

    def __init__(self, ner: NerFn | None = None, gazetteer: Gazetteer | None = None, ages: str = "over89") -> None:
        if ages not in AGES:
            raise ValueError(f"ages must be one of {AGES}, not {ages!r}")
        self.ner, self.ages = ner, ages
        self.gaz = gazetteer or load_gazetteer()
        self.names = NameRules(self.gaz)
        self._city = {
            lang: re.compile(r"\b(?:" + "|".join(re.escape(c) for c in sorted(cities, key=len, reverse=True)) + r")\b")
            for lang, cities in self.gaz.cities.items()
        }
        self._towns_es = TownFinder(self.gaz.towns_es)

    def detect(self, text: str, lang: str) -> list[Span]:
        protected = protected_spans(text)
        rules = [s for s in self.candidates(text, lang) if self._keep(text, s, protected)]
        model = [s for s in (self.ner(text, lang) if self.ner else []) if self._keep(text, s, protected)]
        spans = keep_kinship(text, to_guidelines(text, combine(text, model, rules), self.gaz))
        spans = places_in_addresses(text, spans)
        spans = sorted(spans + acronym_spans(text, spans), key=lambda s: s.start)
        spans = sorted(spans + repeated_spans(text, spans), key=lambda s: s.start)
        return self._propagate(text, spans, protected)

    def candidates(self, text: str, lang: str) -> list[Span]:
        """Every rule candidate span, before overlaps are resolved."""
        spans = contact_spans(text) + id_spans(text)
        spans += [Span(d.start, d.end, "DATE", d.form) for d in find_dates(text, lang)]
        spans += place_spans(text, lang) + geography_spans(text, lang) + age_spans(text, self.ages)
        spans += [Span(start, end, "ADDRESS", "street") for start, end in field_addresses(text)]
        spans += maker_spans(text, self.gaz) if lang == "es" else []
        towns = [Span(m.start(), m.end(), "CITY", "city") for p in self._city.values() for m in p.finditer(text)]
        towns += [
            Span(start, end, "CITY", "city") for start, end in (self._towns_es.find(text) if lang == "es" else [])
        ]
        spans += towns + (postal_beside_towns(text, towns) if lang == "es" else [])
        taken = [(s.start, s.end) for s in spans if s.label in ("INSTITUTION", "ADDRESS", "EMAIL", "URL")]
        found = self.names.find(text) + [(start, end, "person", "cue") for start, end in field_names(text)]
        places = [s for s in spans if s.label in ("CITY", "COUNTRY")]
        for start, end, kind, source in found:
            if source == "gazetteer":
                start, end = outside_places(text, start, end, places)
            if end > start and not any(a <= start and end <= b for a, b in taken):
                spans.append(Span(start, end, "NAME", kind, source))
        return spans

    def _keep(self, text: str, span: Span, protected: list[tuple[int, int]]) -> bool:
        """The precision rules every candidate passes."""
        value = text[span.start : span.end]
        if is_placeholder(value):
            return False
        if span.label == "AGE" and self.ages == "over89":
            number = _AGE_NUMBER.search(value)
            return number is not None and int(number.group(0)) > OLDEST_KEPT_AGE and not _DURATION.search(value)
        if span.source == "ner" and span.kind in ("ORG", "FAC", "GPE"):
            return self._keep_english_place(value, span)
        if span.label in ("DATE", "ZIP", "CITY") and is_measurement(text, span):
            return False
        inside_eponym = any(a < span.end and span.start < b for a, b in protected)
        if span.label != "NAME":
            return not ((span.source == "ner" or span.label == "CITY") and inside_eponym)
        return not inside_eponym and self._name_words(value, span)

    def _name_words(self, value: str, span: Span) -> bool:
        """A name found by a title or a cue stays ("Dr. Parkinson"); another must hold a word that is not a role
        word, a clinical word or an eponym."""
        if span.source == "cue":
            return True
        words = [w.lower() for w in re.findall(r"[^\W\d_]+", value)]
        return not (
            not words or all(w in ROLE_WORDS or w in self.gaz.clinical for w in words) or only_eponym_words(value)
        )

    def _keep_english_place(self, value: str, span: Span) -> bool:
        """Institutions from the English model need an institution word; its places are not abbreviations."""
        if span.kind in ("ORG", "FAC"):
            return INSTITUTION.search(value) is not None
        return not (value.isupper() and len(value) <= ABBREVIATION) and value.lower() not in self.gaz.clinical

    def _propagate(self, text: str, spans: list[Span], protected: list[tuple[int, int]]) -> list[Span]:
        names = [s for s in spans if s.label == "NAME"]
        extra = []
        for start, end in self.names.propagate(text, [(s.start, s.end) for s in names]):
            if any(a < end and start < b for a, b in protected) or any(s.start < end and start < s.end for s in spans):
                continue
            word = text[start:end].lower()
            kind = next((s.kind for s in names if word in text[s.start : s.end].lower()), "person")
            extra.append(Span(start, end, "NAME", kind, "propagated"))
        return sorted(spans + extra, key=lambda s: s.start)
