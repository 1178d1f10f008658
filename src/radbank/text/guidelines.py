"""Span labels as MEDDOCAN's annotation guideline gives them, where the model's or a rule's label is a
neighbour of the right one (conventions read from MEDDOCAN's training partition, never its dev or test).

- a health centre ("Centro de Salud ...", "C.S. ...") is CENTRO_SALUD and a hospital or clinic
  ("Hospital ...", "Clínica ...") is HOSPITAL, whatever institution label it had;
- a span that is exactly a country's name is PAIS (not TERRITORIO, a name or an institution), and a PAIS
  that is no country but a listed place is TERRITORIO;
- the value of a form field takes the field's label ("Localidad/ Provincia: Vitoria" is TERRITORIO, not a
  name; "NHC:", "NASS:", "CP:", "País:", "Médico:"...);
- a number after a fax cue is NUMERO_FAX, after a telephone cue NUMERO_TELEFONO (not an ID).
Boundaries: a span does not end with a comma, colon or semicolon, nor with a full stop after a word longer
than an abbreviation, nor with the cue of the next field ("... 301A. CP", "933203631 e-mail"); a street that
ends with a postal code is a street (CALLE) and a territory (TERRITORIO). What is removed stays the same
but for that punctuation and those cue words.
"""

from __future__ import annotations

import re

from radbank.text.brat import MEDDOCAN_TO_RADBANK
from radbank.text.gazetteer import Gazetteer
from radbank.text.spans import Span

_HEALTH_CENTRE = re.compile(r"(?i:centro\s+de\s+salud|centro\s+salud|c\.\s?s\.|consultorio|ambulatorio)\b")
_HOSPITAL = re.compile(r"(?i:hospital|hosp\.|cl[ií]nica|complejo\s+hospitalario|sanatorio|policl[ií]nic[oa])\b")
_INSTITUTIONS = frozenset({"HOSPITAL", "CENTRO_SALUD", "INSTITUCION", "INSTITUTION"})
_PLACES = frozenset(
    {
        "TERRITORIO",
        "PAIS",
        "INSTITUCION",
        "NOMBRE_SUJETO_ASISTENCIA",
        "NOMBRE_PERSONAL_SANITARIO",
        "CITY",
        "COUNTRY",
        "INSTITUTION",
        "NAME",
    }
)
# country names that MEDDOCAN's texts write and Faker's lists lack
EXTRA_COUNTRIES = frozenset(
    {
        "ee. uu.",
        "ee.uu.",
        "ee.uu",
        "eeuu",
        "usa",
        "u.s.a.",
        "estados unidos",
        "reino unido",
        "england",
        "inglaterra",
        "república argentina",
        "gran bretaña",
        "holanda",
    }
)
_FAX = re.compile(r"(?i:\bfax)\W{0,4}$")
_PHONE = re.compile(r"(?i:\b(?:tel[eé]fono|tfno|telf|tel|m[oó]vil|tlf))\W{0,4}(?:(?i:de\s+contacto)\W{0,3})?$")
_NUMBER = re.compile(r"[\d\s().+-]{6,}")


# form fields of a clinical case's header and the label of their value (one label for 99%+ of their values in
# MEDDOCAN's training partition)
FIELDS = {
    "nombre": "NOMBRE_SUJETO_ASISTENCIA",
    "apellidos": "NOMBRE_SUJETO_ASISTENCIA",
    "nhc": "ID_SUJETO_ASISTENCIA",
    "nass": "ID_ASEGURAMIENTO",
    "domicilio": "CALLE",
    "localidad/ provincia": "TERRITORIO",
    "localidad": "TERRITORIO",
    "provincia": "TERRITORIO",
    "cp": "TERRITORIO",
    "fecha de nacimiento": "FECHAS",
    "fecha de ingreso": "FECHAS",
    "país": "PAIS",
    "país de nacimiento": "PAIS",
    "edad": "EDAD_SUJETO_ASISTENCIA",
    "sexo": "SEXO_SUJETO_ASISTENCIA",
    "médico": "NOMBRE_PERSONAL_SANITARIO",
    "remitido por": "NOMBRE_PERSONAL_SANITARIO",
    "responsable clínico": "NOMBRE_PERSONAL_SANITARIO",
    "episodio": "ID_CONTACTO_ASISTENCIAL",
    "nºcol": "ID_TITULACION_PERSONAL_SANITARIO",
    "e-mail": "CORREO_ELECTRONICO",
    "correo electrónico": "CORREO_ELECTRONICO",
}
_FIELD = re.compile(r"(?:^|[\n.]|(?<=\s))\s*(?P<field>[^\W\d][^\n:.]{0,24}?)\s*:\s*$")


def field_label(text: str, start: int) -> str | None:
    """The label of a form field's value starting at `start` ("CP: 28016"), or None."""
    m = _FIELD.search(text[max(0, start - 32) : start])
    return FIELDS.get(m.group("field").lower()) if m else None


_NUMBERED = frozenset(
    {
        "ID_SUJETO_ASISTENCIA",
        "ID_ASEGURAMIENTO",
        "ID_CONTACTO_ASISTENCIAL",
        "FECHAS",
        "ID_TITULACION_PERSONAL_SANITARIO",
        "EDAD_SUJETO_ASISTENCIA",
    }
)
NAME_WORDS = 2  # a first name and a surname at least
_WORDY = frozenset({"NOMBRE_SUJETO_ASISTENCIA", "NOMBRE_PERSONAL_SANITARIO", "PAIS", "CALLE"})
_STREET = re.compile(r"(?i:calle|c/|avda?\.?|avenida|plaza|paseo|camino|carretera|ronda|v[ií]a|traves[ií]a)\b")


def _fits(field: str, value: str) -> bool:
    """Whether a value has the shape of its field's label (a form may hold a street where a number belongs)."""
    digits = any(ch.isdigit() for ch in value)
    if field in _NUMBERED:
        return digits and not _STREET.match(value)
    return not digits if field in _WORDY and field != "CALLE" else True


def _with(span: Span, meddocan: str) -> Span:
    return Span(span.start, span.end, MEDDOCAN_TO_RADBANK[meddocan], meddocan, span.source)


def relabel(text: str, span: Span, gaz: Gazetteer) -> Span:
    """`span` with the label MEDDOCAN's guideline gives its text and context (see the module)."""
    value = text[span.start : span.end]
    kind = span.kind if span.kind in MEDDOCAN_TO_RADBANK else span.label
    field = field_label(text, span.start)
    if field is not None and field != kind and _fits(field, value):
        return _with(span, field)
    label = _institution(value, kind) or _place(value, kind, gaz) or _number(text, span) or _person(value, kind, gaz)
    return _with(span, label) if label else span


def _person(value: str, kind: str, gaz: Gazetteer) -> str | None:
    """A "street" without a number or a street's word, of capitalised words that open with a listed first name
    and hold another listed name, is a person ("Paciente Rosa Vidal Mira")."""
    words = re.findall(r"[^\W\d_]+", value)
    if kind != "CALLE" or any(ch.isdigit() for ch in value) or _STREET.match(value) or len(words) < NAME_WORDS:
        return None
    listed = sum(gaz.is_name_word(w) for w in words)
    named = words[0].lower() in gaz.first and all(w[0].isupper() for w in words) and listed >= NAME_WORDS
    return "NOMBRE_SUJETO_ASISTENCIA" if named else None


def _institution(value: str, kind: str) -> str | None:
    if kind not in _INSTITUTIONS:
        return None
    if _HEALTH_CENTRE.match(value):
        return "CENTRO_SALUD"
    return "HOSPITAL" if _HOSPITAL.match(value) else None


def _place(value: str, kind: str, gaz: Gazetteer) -> str | None:
    if kind not in _PLACES:
        return None
    country = gaz.is_country(value) or value.lower().strip(" .,") in EXTRA_COUNTRIES
    if country and kind != "PAIS":
        return "PAIS"
    return "TERRITORIO" if kind == "PAIS" and not country and gaz.is_place(value) else None


def _number(text: str, span: Span) -> str | None:
    if span.label not in ("PHONE", "ID") or not _NUMBER.fullmatch(text[span.start : span.end]):
        return None
    before = text[max(0, span.start - 30) : span.start]
    if _FAX.search(before):
        return "NUMERO_FAX"
    return "NUMERO_TELEFONO" if _PHONE.search(before) else None


_TRAILING_CUE = re.compile(
    r"(?i:[\s.,;:]+(?:c\.?p\.?|e-?mail|correo(?: electr[oó]nico)?|tfno\.?|tel[eé]fono|fax|nhc|"
    r"nass|n[ºo]\s?col\.?))$"
)
_TRAILING_PUNCT = re.compile(r"[\s,;:]+$")
_LONG_WORD_STOP = re.compile(r"(?:[^\W\d_]{5,}|\d+)\.$")
_STREET_ZIP = re.compile(r"[\s,]+(?P<zip>(?:E-)?\d{5})$")
ABBREVIATION = 4  # a word this long or shorter before a full stop is an abbreviation ("izq.", "dcha.")


def trim(text: str, span: Span) -> Span:
    """`span` without trailing separators, a trailing full stop after a long word, or the next field's cue."""
    end = span.end
    while True:
        value = text[span.start : end]
        cut = _TRAILING_CUE.search(value) or _TRAILING_PUNCT.search(value)
        if cut and cut.start() > 0:
            end = span.start + cut.start()
        elif _LONG_WORD_STOP.search(value) and end - span.start > 1:
            end -= 1
        else:
            break
    return span if end == span.end else Span(span.start, end, span.label, span.kind, span.source)


def _split_street(text: str, span: Span) -> list[Span]:
    """A street span that ends with a postal code: the street, then the code as a territory."""
    m = _STREET_ZIP.search(text[span.start : span.end])
    if span.kind != "CALLE" or m is None or m.start() == 0:
        return [span]
    street = Span(span.start, span.start + m.start(), span.label, span.kind, span.source)
    code = Span(span.start + m.start("zip"), span.end, span.label, span.kind, span.source)
    return [street, _with(code, "TERRITORIO")]


_HYPHENATED = re.compile(r"-[A-ZÁÉÍÓÚÑ][\w'’]*")
_JOINED = frozenset(
    {
        "TERRITORIO",
        "CALLE",
        "NOMBRE_SUJETO_ASISTENCIA",
        "NOMBRE_PERSONAL_SANITARIO",
        "FAMILIARES_SUJETO_ASISTENCIA",
        "HOSPITAL",
        "INSTITUCION",
        "CENTRO_SALUD",
    }
)


def join_hyphenated(text: str, span: Span) -> Span:
    """A place, street or name span that stops at a hyphen before a capitalised word goes on over it:
    "Vitoria-Gasteiz", "García-Lorca" (the model's tokenizer splits at hyphens)."""
    m = _HYPHENATED.match(text, span.end)
    if span.kind not in _JOINED or m is None:
        return span
    return Span(span.start, m.end(), span.label, span.kind, span.source)


def to_guidelines(text: str, spans: list[Span], gaz: Gazetteer) -> list[Span]:
    """Every span trimmed (`trim`) or joined over a hyphen (`join_hyphenated`), split when a street ends
    with its postal code, and relabelled (`relabel`); spans a join made overlap are dropped."""
    out: list[Span] = []
    for s in spans:
        for part in _split_street(text, join_hyphenated(text, trim(text, s))):
            if not out or out[-1].end <= part.start:
                out.append(_postal(text, relabel(text, part, gaz)))
    return out


_POSTAL = re.compile(r"(?:E-)?\d{4,5}(?:-\d{3,4})?")


def _postal(text: str, span: Span) -> Span:
    """A territory that is a postal code ("28016", MEDDOCAN's TERRITORIO) is radbank's ZIP, so that its
    surrogate is a postal code too."""
    if span.kind == "TERRITORIO" and span.label != "ZIP" and _POSTAL.fullmatch(text[span.start : span.end]):
        return Span(span.start, span.end, "ZIP", span.kind, span.source)
    return span
