"""A product's maker in parentheses, as Spanish case reports cite it: "(Tobradex®, Alcon-Cusí, Barcelona,
España)", "(Geistlich, Wolhusen, Suiza)". MEDDOCAN's guideline (and its training partition) annotates the
maker as an institution, the city as a territory and the country as a country; the product stays.
A US state may close the list instead of a country ("(..., Acme Optics, Dublin, CA)"). A maker is also the
part right after a registered product ("(Lumexa®, Farmalab)", "(Lumexa™, Farmalab, Vigo)") and a part that
ends with a company's form ("Medisur Devices Inc.", "Ortoplan S.L.").
"""

from __future__ import annotations

import re

from faker.providers.address.en_US import Provider as UsAddress

from radbank.text.gazetteer import Gazetteer
from radbank.text.guidelines import EXTRA_COUNTRIES
from radbank.text.spans import Span

_PARENTHESES = re.compile(r"\(([^()\n]{3,160})\)")
_PART = re.compile(r"(?:[^,;.]|\.(?!\s+[A-ZÁÉÍÓÚÑ]))+")  # parts split at commas, semicolons, sentence ends
MIN_PARTS = 3  # maker, city, country at least
_MAKER = re.compile(r"[^\W\d_][^\d]*")  # a maker's name holds no digit ("timoftol 0,5%" is a product)
_JOINING = frozenset({"de", "del", "la", "y", "e", "and", "of", "the", "et", "und"})


def _maker_name(value: str) -> bool:
    """A maker's name: no digit, and no lower-case word but joining words ("Topógrafo corneal" describes a
    device; "Baush and Lomb", "bioMérieux" are makers)."""
    words = re.findall(r"[^\W\d_]+", value)
    return _MAKER.fullmatch(value) is not None and not any(w.islower() and w not in _JOINING for w in words)


US_STATES = frozenset({*UsAddress.states, *UsAddress.states_abbr})
_COMPANY = re.compile(r"[^\W\d_][^\d]*\b(?:Inc|Ltd|GmbH|Corp|Co|S\.\s?[AL]|S\.[AL]\.U|SpA|AG|plc|LLC)\.?")
_CAPITALISED = re.compile(r"[A-ZÁÉÍÓÚÑ]")


def _after_product(text: str, parts: list[tuple[int, int]], i: int) -> bool:
    """Whether the part before part `i` names a registered product ("Lumexa®", "Ocutim™")."""
    return i > 0 and any(mark in text[parts[i - 1][0] : parts[i - 1][1]] for mark in "®™")


def _parts(text: str, m: re.Match[str]) -> list[tuple[int, int]]:
    parts = []
    for p in _PART.finditer(m.group(1)):
        core = re.search(r"\S(?:.*\S)?", p.group(0))
        if core:
            start = m.start(1) + p.start() + core.start()
            parts.append((start, start + len(core.group(0))))
    return parts


def _named_makers(text: str, parts: list[tuple[int, int]], gaz: Gazetteer) -> list[Span]:
    """The first wordy part after a registered product (its dose between them) and a part that ends with a
    company's form, as institutions."""
    spans, product = [], False
    towns = {*gaz.cities["es"], *gaz.cities["en"], *gaz.towns_es}
    for start, end in parts:
        value = text[start:end].rstrip("®™ ")
        place = value in towns or gaz.is_place(value) or gaz.is_country(value) or value.lower() in EXTRA_COUNTRIES
        maker = product and _maker_name(value) and _CAPITALISED.match(value) is not None
        if (maker and not place) or _COMPANY.fullmatch(value):
            spans.append(Span(start, start + len(value), "INSTITUTION", "INSTITUCION"))
        holds_digit = any(ch.isdigit() for ch in value)
        product = any(mark in text[start:end] for mark in "®™") or (product and holds_digit)
    return spans


def maker_spans(text: str, gaz: Gazetteer) -> list[Span]:
    """Maker (INSTITUTION), city (CITY) and country (COUNTRY) of every "(..., maker, city, country)", and the
    makers named after a registered product or by a company's form."""
    spans = []
    for m in _PARENTHESES.finditer(text):
        parts = _parts(text, m)
        listed = _by_country(text, parts, gaz)
        taken = {(s.start, s.end) for s in listed}
        spans += listed + [s for s in _named_makers(text, parts, gaz) if (s.start, s.end) not in taken]
    return spans


def _by_country(text: str, parts: list[tuple[int, int]], gaz: Gazetteer) -> list[Span]:
    """Country, city and maker of "(..., maker, city, country)" (nothing when the last part is no country)."""
    if len(parts) < MIN_PARTS:
        return []
    country, city, maker = parts[-1], parts[-2], parts[-3]
    name, town = text[country[0] : country[1]].rstrip(". "), text[city[0] : city[1]]
    if _CAPITALISED.match(town) is None or any(ch.isdigit() for ch in town):
        return []  # "(3 mm, 4 días, Texas)": no town before the state or country
    if name in US_STATES:  # "(..., Acme Optics, Dublin, CA)": a US state closes the list
        spans = [Span(*country, "CITY", "TERRITORIO"), Span(*city, "CITY", "TERRITORIO")]
    elif gaz.is_country(name) or name.lower() in EXTRA_COUNTRIES or f"{name.lower()}." in EXTRA_COUNTRIES:
        spans = [Span(*country, "COUNTRY", "PAIS"), Span(*city, "CITY", "TERRITORIO")]
    else:
        return []
    value = text[maker[0] : maker[1]].rstrip("®™ ")
    if gaz.is_place(value):  # "(..., Inc., Cincinnati, Oh, USA)": a city and its state
        spans.append(Span(maker[0], maker[0] + len(value), "CITY", "TERRITORIO"))
    elif _maker_name(value) or (_MAKER.fullmatch(value) and _after_product(text, parts, len(parts) - 3)):
        spans.append(Span(maker[0], maker[0] + len(value), "INSTITUTION", "INSTITUCION"))
    return spans
