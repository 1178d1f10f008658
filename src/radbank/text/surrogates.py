"""Synthetic replacements of the same kind and format, consistent under one key and one patient.

Every choice is drawn from a Faker generator (es_ES or en_US) seeded with HMAC-SHA256(key, patient, kind,
value): the same real value of the same patient always gets the same surrogate, in every report and run,
and nobody without the key can tell which real value a surrogate stands for. Names are replaced word by
word (a first name by a first name of the same sex, a surname by a surname), so "Sr. García" and
"Juan García López" keep meaning the same person. Dates move by the patient's date offset, the one the
DICOM step uses (`Keyed.date_offset_days`), and are written in the form they were found in.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from functools import cache

from faker import Faker

from radbank.anonymize.keys import Keyed
from radbank.text.dates import dates_in_span, write_like
from radbank.text.gazetteer import load_gazetteer
from radbank.text.ids import make_dni, make_ssn
from radbank.text.spans import Span

PARTICLES = {"de", "del", "la", "las", "los", "y", "i", "van", "von", "da", "di", "du", "le", "dos", "das"}
ZIP_DIGITS = 5
OLDEST_KEPT_AGE = 89  # HIPAA Safe Harbor aggregates older ages as 90
AGE_BAND = 5


@cache
def _faker(lang: str) -> Faker:
    return Faker("es_ES" if lang == "es" else "en_US")


class Surrogates:
    """Surrogate values for one patient under one key (the patient is never stored in outputs)."""

    def __init__(self, keyed: Keyed, patient: str, lang: str) -> None:
        self.keyed, self.patient, self.lang = keyed, patient, lang
        self.offset_days = keyed.date_offset_days(patient)  # the DICOM step's offset for the same patient ID
        self.gaz = load_gazetteer()

    def _rng(self, kind: str, value: str) -> Faker:
        fake = _faker(self.lang)
        digest = self.keyed.digest(f"surrogate:{kind}", f"{self.patient}\x00{value.strip().lower()}")
        fake.seed_instance(int.from_bytes(digest[:8], "big"))
        return fake

    def _number(self, kind: str, value: str) -> int:
        return int.from_bytes(self.keyed.digest(f"surrogate:{kind}", f"{self.patient}\x00{value}")[:8], "big")

    def replace(self, text: str, span: Span) -> str:
        """The surrogate for `text[span.start:span.end]`."""
        value = text[span.start : span.end]
        method = getattr(self, f"_{span.label.lower()}", None)
        out = method(value, span) if method else self._shape(value, span.label)
        return str(out)

    # --- per label ----------------------------------------------------------------------------------------------

    def _name(self, value: str, span: Span) -> str:
        several_words = " " in value.strip()

        def word(m: re.Match[str]) -> str:
            token = m.group(0)
            low = token.lower()
            # a listed first name; one that is also a surname counts as given only leading a multi-word name
            given = low in self.gaz.first and (low not in self.gaz.last or (m.start() == 0 and several_words))
            if low in PARTICLES:
                return token
            if re.fullmatch(r"[A-ZÁÉÍÓÚÑ]\.?", token):  # an initial
                return self._rng("initial", low).random_uppercase_letter() + ("." if token.endswith(".") else "")
            fake = self._rng("name", low)
            if given and low in self.gaz.first_female:
                new = fake.first_name_female()
            elif given:
                new = fake.first_name_male()
            else:
                new = fake.last_name()
            new = new.split()[0]
            if token.isupper() and len(token) > 1:
                return new.upper()
            return new.lower() if token.islower() else new

        return re.sub(r"[^\W\d_]+(?:['’-][^\W\d_]+)*\.?", word, value)

    def _date(self, value: str, span: Span) -> str:
        found = dates_in_span(value, span.kind, self.lang)
        if not found:
            return self._shape(value, "DATE")
        f = found[0]
        shifted = f.date + dt.timedelta(days=self.offset_days)
        if f.form in ("m_de_y", "m_y_numeric"):  # month precision: shift the month the day 15 would fall in
            shifted = (f.date.replace(day=15) + dt.timedelta(days=self.offset_days)).replace(day=1)
        return value[: f.start] + write_like(f, shifted, self.lang) + value[f.end :]

    def _id(self, value: str, span: Span) -> str:
        n = self._number("id", value)
        if span.kind == "dni" or re.fullmatch(r"(?:\d{8}|[XYZ]\d{7})[A-Z]", re.sub(r"[\s.-]", "", value.upper())):
            return make_dni(n, value)
        if span.kind == "ssn":
            return make_ssn(n, value)
        return self._shape(value, "ID")

    def _phone(self, value: str, span: Span) -> str:
        """Same layout; the country code and the first digit kept, every other digit keyed, letters
        (ext., x) kept."""
        prefix = re.match(r"(?:\+\d{1,3}|00\d{2,3})?[\s.-]?\(?\d", value)
        keep = len(prefix.group(0)) if prefix else 0
        fake = self._rng("shape:PHONE", value)
        new = value[:keep] + "".join(str(fake.random_digit()) if c.isdigit() else c for c in value[keep:])
        return new if new != value else self._shape(value, "PHONE")

    def _email(self, value: str, span: Span) -> str:
        fake = self._rng("email", value)
        return f"{fake.user_name()}@example.{'es' if self.lang == 'es' else 'com'}"

    def _url(self, value: str, span: Span) -> str:
        fake = self._rng("url", value)
        return f"https://www.example.org/{fake.lexify('????????').lower()}"

    def _address(self, value: str, span: Span) -> str:
        fake = self._rng("address", value)
        return fake.street_address()

    def _zip(self, value: str, span: Span) -> str:
        return (
            self._rng("zip", value).postcode()[: len(value)] if len(value) == ZIP_DIGITS else self._shape(value, "ZIP")
        )

    def _city(self, value: str, span: Span) -> str:
        cities = [c for c in self.gaz.cities[self.lang if self.lang in self.gaz.cities else "en"] if c != value]
        return cities[self._number("city", value.lower()) % len(cities)]

    def _institution(self, value: str, span: Span) -> str:
        fake = self._rng("institution", value)
        m = re.match(
            r"(Hospital Universitario|Hospital|Hosp\.|Cl[ií]nica|Centro de Salud|Centro M[eé]dico|"
            r"Policl[ií]nica|Instituto|Fundaci[oó]n|Sanatorio|Residencia|Consorcio Hospital\w*)\b",
            value,
            re.I,
        )
        if m:
            new = f"{m.group(0)} {fake.last_name()}"
            return new.upper() if value.isupper() else new
        tail = re.search(
            r"(Hospital|Medical Cent(?:er|re)|Clinic|Health Center|Health System|Infirmary|Health|"
            r"Memorial|Cancer Center)\b.*$",
            value,
        )
        return f"{fake.last_name()} {tail.group(1) if tail else 'Hospital'}"

    def _age(self, value: str, span: Span) -> str:
        """Over 89: 90 (HIPAA Safe Harbor's aggregation); younger (with ages='all'): the five-year band's
        lower bound, the unit kept ("72 años" -> "70 años")."""
        m = re.search(r"\d+", value)
        if not m:
            return self._shape(value, "AGE")
        n = int(m.group(0))
        new = "90" if n > OLDEST_KEPT_AGE else str(n - n % AGE_BAND) if n >= AGE_BAND else m.group(0)
        return value[: m.start()] + new + value[m.end() :]

    def _sex(self, value: str, span: Span) -> str:
        return value  # kept: sex is published with the images (participants.tsv) and matters clinically

    def _country(self, value: str, span: Span) -> str:
        return str(self._rng("country", value).country())

    def _profession(self, value: str, span: Span) -> str:
        return str(self._rng("profession", value).job()).split(",")[0].lower()

    def _other(self, value: str, span: Span) -> str:
        return "[...]"

    def _shape(self, value: str, kind: str, keep_prefix: tuple[str, ...] = ()) -> str:
        """Same shape: each digit a keyed digit, each letter a keyed letter of the same case; separators and
        a known prefix (country code) kept. Never equal to the input."""
        fake = self._rng(f"shape:{kind}", value)
        prefix = next((p for p in keep_prefix if value.startswith(p)), "")
        out = [prefix]
        for ch in value[len(prefix) :]:
            if ch.isdigit():
                out.append(str(fake.random_digit()))
            elif ch.isalpha() and ch.isascii():
                letter = fake.random_element(string.ascii_uppercase)
                out.append(letter if ch.isupper() else letter.lower())
            else:
                out.append(ch)
        new = "".join(out)
        if new == value:  # astronomically rare; never give back the original
            new = new[:-1] + ("1" if new[-1:] != "1" else "2")
        return new
