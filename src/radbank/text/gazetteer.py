"""Word lists: first names and surnames (Faker's es_ES and en_US data), cities, clinical words; the towns of
Spain and the Spanish-speaking Americas from GeoNames (CC BY 4.0; tools/gen_world_cities.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources


@dataclass(frozen=True)
class Gazetteer:
    """Lower-cased word sets; `clinical` words are never a name on their own (eponyms, anatomy)."""

    first_female: frozenset[str]
    first_male: frozenset[str]
    last: frozenset[str]
    cities: dict[str, tuple[str, ...]]  # language -> city names as written
    clinical: frozenset[str]
    places: frozenset[str] = frozenset()  # lower-cased words of city and country names
    countries: frozenset[str] = frozenset()  # lower-cased country names, as written in Faker's es/en lists
    world: frozenset[str] = frozenset()  # first names and surnames of Faker's other Latin-script locales
    towns_es: tuple[str, ...] = ()  # towns of Spain and the Spanish-speaking Americas (GeoNames), Spanish text only

    def is_world_name(self, word: str) -> bool:
        """A listed name of any origin (Faker's es/en lists and its other Latin-script locales)."""
        low = word.lower().strip(".,")
        return self.is_name_word(low) or low in self.world

    def is_country(self, name: str) -> bool:
        return name.lower().strip(" .,") in self.countries

    def is_place(self, word: str) -> bool:
        """A word of a city or country name that is not also a listed first name or surname."""
        low = word.lower().strip(".,")
        return low in self.places and not self.is_name_word(low)

    @cached_property
    def first(self) -> frozenset[str]:
        """Every listed first name (built once: name rules look words up in it one by one)."""
        return self.first_female | self.first_male

    def is_name_word(self, word: str) -> bool:
        low = word.lower()
        return low in self.first_female or low in self.first_male or low in self.last


def _lower(words: object) -> frozenset[str]:
    out = set()
    for w in words:  # type: ignore[attr-defined]
        for part in str(w).replace("-", " ").split():
            out.add(part.lower())
    return frozenset(out)


WORLD_LOCALES = (
    "en_GB",
    "en_IE",
    "en_IN",
    "en_PK",
    "en_NG",
    "yo_NG",
    "sw",
    "fr_FR",
    "de_DE",
    "it_IT",
    "pt_PT",
    "pt_BR",
    "ro_RO",
    "nl_NL",
    "tr_TR",
    "vi_VN",
    "cs_CZ",
    "sv_SE",
    "fi_FI",
    "hu_HU",
    "id_ID",
)


def _world_names() -> frozenset[str]:
    import importlib

    words: list[str] = []
    for locale in WORLD_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "last_names"):
            words += [str(w) for w in getattr(provider, attr, ())]
    return _lower(words)


def _lines(name: str) -> list[str]:
    """The lines of a packaged list that are neither empty nor comments."""
    text = resources.files("radbank.resources").joinpath(name).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def load_gazetteer() -> Gazetteer:
    """The packaged lists (built once per process)."""
    from faker.providers.address.en_US import Provider as EnglishAddress
    from faker.providers.address.es_ES import Provider as SpanishAddress
    from faker.providers.person.en_US import Provider as English
    from faker.providers.person.es_ES import Provider as Spanish

    sections: dict[str, list[str]] = {}
    current = ""
    text = resources.files("radbank.resources").joinpath("text_gazetteer.txt").read_text("utf-8")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = []
        else:
            sections[current].append(line)
    return Gazetteer(
        first_female=_lower([*Spanish.first_names_female, *English.first_names_female]),
        first_male=_lower([*Spanish.first_names_male, *English.first_names_male]),
        last=_lower([*Spanish.last_names, *English.last_names]),
        cities={"es": tuple(sections["city_es"]), "en": tuple(sections["city_en"])},
        clinical=frozenset(w.lower() for w in sections["clinical"]),
        world=_world_names(),
        towns_es=tuple(_lines("text_cities_geonames.txt")),
        countries=frozenset(c.lower() for c in [*SpanishAddress.countries, *EnglishAddress.countries]),
        places=_lower(
            [
                *sections["city_es"],
                *sections["city_en"],
                *SpanishAddress.countries,
                *EnglishAddress.countries,
                *SpanishAddress.states,
            ]
        )
        - {"de", "la", "del", "las", "los", "el", "y", "of", "the", "and", "san", "santa"},
    )
