"""Finding identifiers in Spanish and English radiology reports: rules, context cues, gazetteers, NER.

Each detector returns candidate spans; overlaps are resolved (longest, then label priority):
- patterns: e-mails, URLs, phone numbers, DNI/NIE with their check letter, SSNs, record, health-card and
  accession numbers after their cue ("NHC", "SIP", "MRN", "Nº de acceso"...), long digit runs, street
  addresses, postal codes, hospitals and institutions, ages over 89, dates (see dates.py);
- names: a run of capitalised words after a title or a cue (Dr., Dra., D./Dña., Sr./Sra., Mr./Mrs.,
  "paciente", "firmado por", "signed by"..., or followed by MD); or a run of two or more words from the
  first-name and surname lists (Faker's es_ES/en_US data) with a first name in it or all surnames; then
  every other capitalised occurrence of a found name word in the same report (so "Sr. García" makes the
  later "García" a name too). Clinical words (eponyms such as Hampton, Kerley, Hodgkin, Parkinson, Crohn)
  are never a name on their own;
- cities from a packaged list;
- an optional NER model (spaCy or Hugging Face at a local path; see ner.py), whose spans join the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from radbank.text.dates import find_dates
from radbank.text.gazetteer import Gazetteer, load_gazetteer
from radbank.text.ids import valid_dni_nie, valid_ssn
from radbank.text.spans import Span, resolve_overlaps

UP = "A-ZÁÉÍÓÚÑÜÀÈÒÇÏ"
LOW = "a-záéíóúñüàèòçï"
WORD = rf"(?:[{UP}][{LOW}'’]+(?:-[{UP}]?[{LOW}'’]+)?|[{UP}]{{2,}}(?:[-'’][{UP}]+)?|[{UP}]\.(?:[{UP}]\.)*)"
PARTICLE = r"(?:de|del|de la|de las|de los|la|y|i|van|von|da|di|du|le|dos|das|Mc|O'|d')"
NAME_RUN = rf"{WORD}(?:[ \t]+(?:{PARTICLE}[ \t]+)?{WORD}){{0,4}}"
STOP_WORDS = {"mrn", "dob", "dni", "nie", "nhc", "sip", "cip", "tsi", "ssn", "id", "md", "rx", "tc", "tac", "rm", "pa",
              "ap", "ct", "mri", "us", "eco", "fdo", "tel", "telf", "email", "fax", "nº", "cp", "acc", "do", "phd",
              "frcr", "rn", "informe", "report", "exam", "fecha", "date", "edad", "age", "sexo", "sex", "servicio",
              "hospital", "calle", "avda", "av", "c/", "plaza", "street", "road"}  # fmt: skip

TITLES = r"Dr|Dra|Dres|Drs|Prof|Profa|D|Dña|Dª|Don|Doña|Sr|Sra|Srta|Mr|Mrs|Ms|Miss|Mx"
CUES = (
    r"paciente|pte|nombre(?: y apellidos)?|apellidos|firmado(?: electrónicamente)? por|fdo|informado por|"
    r"validado por|revisado por|dictado por|remitid[oa] por|derivad[oa] por|solicitado por|solicitante|"
    r"médic[oa](?: responsable| solicitante| remitente)?|radiólog[oa]|facultativ[oa]|atendid[oa] por|"
    r"acompañad[oa] (?:por|de)|su (?:hij[oa]|espos[oa]|marido|madre|padre|herman[oa])|hij[oa]|espos[oa]|"
    r"marido|madre|padre|herman[oa]|familiar|cuidador[a]?|"
    r"patient(?: name)?|pt|name|signed by|electronically signed by|dictated by|read by|reported by|"
    r"reviewed by|attending(?: physician)?|referring(?: physician| doctor)?|ordering(?: physician)?|ordered by|"
    r"requested by|referred by|physician|radiologist|resident|technologist|his (?:wife|son|daughter|mother|"
    r"father|brother|sister)|her (?:husband|son|daughter|mother|father|brother|sister)|wife|husband|son|"
    r"daughter|mother|father|brother|sister|caregiver|cc|c/c"
)
CUED_NAME = re.compile(
    rf"(?:\b(?:{TITLES})\.?|(?i:\b(?:{CUES}))[ \t]*[:\-,]?)[ \t]+(?!(?:{TITLES})\.?\s)(?P<name>{NAME_RUN})"
    rf"|(?P<name2>{NAME_RUN}),?[ \t]+(?:MD|M\.D\.|DO|PhD|FRCR|FRCP|RN)\b"
)
GAZ_RUN = re.compile(rf"(?<![\w.]){NAME_RUN}(?:,[ \t]+{WORD}(?:[ \t]+{WORD})?)?")

_LABELLED = r"\s*(?:n[ºo°]\.?|núm(?:ero)?\.?|number|no\.?|#)?\s*(?:de\s+)?[:.]?\s*"
ID_CUED = [
    ("mrn", r"(?i:\b(?:NHC|N\.H\.C\.|H\.?C\.|historia(?: cl[ií]nica)?|MRN|MR|medical record|record|chart|"
            r"expediente|CIP|SIP|TSI|tarjeta(?: sanitaria)?|NUSS|NASS|afiliaci[oó]n|seguridad social|"
            r"health card|NHS|medicare|medicaid|insurance|member id|p[oó]liza|episodio|episode|encounter|"
            r"ingreso|admission|patient id|ID paciente|ID))"),
    ("accession", r"(?i:\b(?:n[ºo°]\s*de\s*acceso|acceso|accession|acc|petici[oó]n|solicitud|estudio|study|"
                  r"exam(?:ination)?|order|orden|informe|report))"),
    ("dni", r"(?i:\b(?:DNI|NIE|NIF|D\.N\.I\.|pasaporte|passport))"),
    ("ssn", r"(?i:\b(?:SSN|social security(?: number)?|SS#))"),
]  # fmt: skip
ID_VALUE = (
    r"(?P<value>(?:[A-Z]{2,4}[ ])?\d[\d./-]*(?:[ ]\d[\d./-]*\d){1,3}"  # grouped: "VAL 0923 1145"
    r"|(?=[A-Z0-9./-]*\d)[A-Z0-9][A-Z0-9./-]{2,24}[A-Z0-9])"
)
ID_PATTERNS = [(kind, re.compile(cue + _LABELLED + ID_VALUE, re.I)) for kind, cue in ID_CUED]
DNI = re.compile(r"\b(?:\d{8}|\d{2}\.\d{3}\.\d{3})[-\s]?[A-Za-z]\b|\b[XYZxyz][-\s]?\d{7}[-\s]?[A-Za-z]\b")
SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
LONG_DIGITS = re.compile(r"(?<![\d.,])\d{7,}(?![\d.,]\d)")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:]")
PHONE = re.compile(
    r"(?<![\w+])(?:\+34[\s.-]?|0034[\s.-]?)?[6789]\d{2}(?:[\s.-]?\d{3}[\s.-]?\d{3}|(?:[\s.-]\d{2}){3})\b"
    r"|(?<![\w+])(?:\+1[\s.-]?|001[\s.-]?|1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
    r"(?:\s*(?:ext\.?|x)\s*\d{1,5})?\b"
)
STREET_ES = (r"Calle|C/|Cl\.|Avda\.?|Avenida|Av\.|Plaza|Pl\.|Pza\.?|Paseo|P[ºo]\.?|Camino|Carretera|Ctra\.?|"
             r"Ronda|Traves[ií]a|Glorieta|Urbanizaci[oó]n|Urb\.|Partida|Pasaje|Rambla|Carrer|Avinguda|Pla[çc]a|Acceso|"
             r"Alameda|Callej[oó]n|Ca[ñn]ada|Cuesta|Pasadizo|V[ií]a|Vial|C\.")  # fmt: skip
ADDRESS_ES = re.compile(
    rf"\b(?:{STREET_ES})\s+(?:(?:de|del|la|las|los|el|dels|d')\s+)*[{UP}0-9][\w'’.-]*(?:\s+(?:(?:de|del|la|las|los|"
    rf"y|el)\s+)*[{UP}][\w'’.-]*){{0,5}}(?:,?\s*(?:n[ºo°]\.?\s*)?\d+[A-Za-z]?)?(?:,?\s*\d+[ºª]\s*-?\s*[A-Z]?\b)?"
    rf"(?:,?\s*(?:piso|puerta|pta\.?|esc\.?|bajo|Apt\.|Puerta|Piso)\s*\w+)*"
)


def _usps_suffixes() -> str:
    """USPS street suffixes (as Faker's en_US data lists them), with the usual abbreviations."""
    from faker.providers.address.en_US import Provider

    words = {*Provider.street_suffixes, "Street", "Avenue", "Road", "Boulevard", "Lane", "Drive", "Court", "Place",
             "Terrace", "Circle", "Highway", "Parkway", "Square", "Way", "St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct",
             "Pl", "Hwy", "Pkwy", "Sq", "Ter", "Cir"}  # fmt: skip
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


ADDRESS_EN = re.compile(
    rf"\b\d{{1,6}}\s+(?:[NSEW]\.?\s+)?(?:[{UP}][\w'’.-]*\s+){{1,3}}(?:{_usps_suffixes()})\.?(?![\w])"
    r"(?:,?\s*(?:Apt\.?|Apartment|Suite|Unit|#)\s*[\w-]+)?"
)
ZIP = re.compile(r"(?i:\b(?:C\.?P\.?|c[oó]digo postal|zip(?: code)?)[:\s]*)(?P<value>\d{5}(?:-\d{4})?)\b"
                 r"|\b(?P<v2>(?:0[1-9]|[1-4]\d|5[0-2])\d{3})(?=\s+[" + UP + r"])"
                 r"|(?<=\b[A-Z]{2}\s)(?P<v3>\d{5}(?:-\d{4})?)\b")  # fmt: skip
INSTITUTION = re.compile(
    rf"\b(?:Hospital|Hosp\.|Cl[ií]nica|Centro de Salud|Centro M[eé]dico|C\.S\.|Consultorio|Policl[ií]nica|"
    rf"Complejo Hospitalario|Consorcio Hospital(?:ario)?|Instituto|Fundaci[oó]n|Sanatorio|Residencia|"
    rf"Mutua|Hospital Universitario|Departamento de Salud|Servicio de Urgencias del)"
    rf"(?:[ \t]+(?:(?:de|del|la|las|los|el|y|i|d')[ \t]+)*(?:[{UP}][\w'’.-]*|\d+)){{1,7}}"
    rf"|\b(?:(?:St\.?|Saint|Mount|Mt\.?)[ \t]+)?(?:[{UP}][\w'’.-]*[ \t]+){{1,4}}"
    rf"(?:Hospital|Medical Center|Medical Centre|Clinic|Health Center|Health System|Infirmary|Memorial|"
    rf"Children's Hospital|Cancer Center|Health|"
    rf"Nursing Home|Care Home|Rehabilitation Center|Hospice|Nursing Facility|Surgery Center)\b"
    rf"(?:[ \t]+(?:of|at)[ \t]+(?:[{UP}][\w'’.-]*[ \t]*){{1,3}})?"
)
AGE = re.compile(r"\b(?P<age>\d{2,3})\s*(?:años|año|a\.|years?[-\s]old|-year-old|year old|yo|y/o|y\.o\.|yrs?)\b"
                 r"|(?i:\b(?:edad|aged?|age)\s*[:]?\s*(?:de\s+)?)(?P<age2>\d{2,3})\b")  # fmt: skip

NerFn = Callable[[str, str], list[Span]]


class Detector:
    """Rules + gazetteers (+ an optional NER model). `detect(text, lang)` -> resolved spans."""

    def __init__(self, ner: NerFn | None = None, gazetteer: Gazetteer | None = None) -> None:
        self.ner = ner
        self.gaz = gazetteer or load_gazetteer()
        self._city = {lang: re.compile(r"\b(?:" + "|".join(re.escape(c) for c in sorted(cities, key=len,
                                                                                         reverse=True)) + r")\b")
                      for lang, cities in self.gaz.cities.items()}  # fmt: skip

    def detect(self, text: str, lang: str) -> list[Span]:
        spans = self.candidates(text, lang)
        return resolve_overlaps(spans)

    def candidates(self, text: str, lang: str) -> list[Span]:
        """Every candidate span, before overlaps are resolved."""
        spans: list[Span] = []
        spans += [Span(m.start(), m.end(), "EMAIL", "email") for m in EMAIL.finditer(text)]
        spans += [Span(m.start(), m.end(), "URL", "url") for m in URL.finditer(text)]
        spans += self._ids(text)
        spans += [Span(m.start(), m.end(), "PHONE", "phone") for m in PHONE.finditer(text)]
        spans += [Span(d.start, d.end, "DATE", d.form) for d in find_dates(text, lang)]
        for pattern in (ADDRESS_ES, ADDRESS_EN):
            spans += [Span(m.start(), m.end(), "ADDRESS", "street") for m in pattern.finditer(text)]
        for m in ZIP.finditer(text):
            group = "value" if m.group("value") else "v2" if m.group("v2") else "v3"
            spans.append(Span(m.start(group), m.end(group), "ZIP", "postal"))
        spans += [Span(m.start(), m.end(), "INSTITUTION", "institution") for m in INSTITUTION.finditer(text)]
        for m in AGE.finditer(text):
            group = "age" if m.group("age") else "age2"
            if int(m.group(group)) > 89:
                spans.append(Span(m.start(group), m.end(group), "AGE", "age"))
        for pattern in self._city.values():
            spans += [Span(m.start(), m.end(), "CITY", "city") for m in pattern.finditer(text)]
        spans += self._names(text, spans)
        if self.ner is not None:
            spans += self.ner(text, lang)
        return spans

    # --- identifiers ------------------------------------------------------------------------------------------

    def _ids(self, text: str) -> list[Span]:
        spans = []
        for kind, pattern in ID_PATTERNS:
            for m in pattern.finditer(text):
                value = m.group("value")
                if re.fullmatch(r"(?:19|20)\d\d", value) or re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", value):
                    continue  # a year or a date after "estudio"/"study", not an identifier
                spans.append(Span(m.start("value"), m.end("value"), "ID", kind))
        for m in DNI.finditer(text):
            spans.append(Span(m.start(), m.end(), "ID", "dni" if valid_dni_nie(m.group(0)) else "id"))
        spans += [Span(m.start(), m.end(), "ID", "ssn") for m in SSN.finditer(text) if valid_ssn(m.group(0))]
        spans += [Span(m.start(), m.end(), "ID", "number") for m in LONG_DIGITS.finditer(text)]
        return spans

    # --- names ------------------------------------------------------------------------------------------------

    def _names(self, text: str, others: list[Span]) -> list[Span]:
        spans: list[Span] = []
        for m in CUED_NAME.finditer(text):
            group = "name" if m.group("name") else "name2"
            start, end = self._trim_run(text, m.start(group), m.end(group), cued=True)
            if end > start:
                spans.append(Span(start, end, "NAME", "person", "cue"))
        for m in GAZ_RUN.finditer(text):
            start, end = self._gazetteer_run(text, m.start(), m.end())
            if end > start:
                spans.append(Span(start, end, "NAME", "person", "gazetteer"))
        taken = [(s.start, s.end) for s in others if s.label in ("INSTITUTION", "ADDRESS", "EMAIL", "URL")]
        spans = [s for s in spans if not any(a <= s.start and s.end <= b for a, b in taken)]
        return spans + self._propagate(text, spans)

    def _trim_run(self, text: str, start: int, end: int, cued: bool) -> tuple[int, int]:
        """Drop trailing particles and words that are clearly not names (clinical words, months)."""
        words = list(re.finditer(rf"{WORD}|{PARTICLE}", text[start:end]))
        keep = []
        for w in words:
            low = w.group(0).lower().rstrip(".")
            if (low in self.gaz.clinical and not cued) or low in STOP_WORDS:
                break
            keep.append(w)
        while keep and re.fullmatch(PARTICLE, keep[-1].group(0)):
            keep.pop()
        if not keep:
            return start, start
        return start + keep[0].start(), start + keep[-1].end()

    def _gazetteer_run(self, text: str, start: int, end: int) -> tuple[int, int]:
        """The longest stretch of a capitalised run that is made of list names (2+ words, one a first name
        or all surnames; initials count beside a name)."""
        words = list(re.finditer(rf"{WORD}|{PARTICLE}", text[start:end]))
        best: tuple[int, int] = (start, start)
        run: list[re.Match[str]] = []

        def close() -> None:
            nonlocal best
            while run and re.fullmatch(PARTICLE, run[-1].group(0)):
                run.pop()
            names = [w for w in run if self.gaz.is_name_word(w.group(0).strip(".,"))]
            firsts = [w for w in names if w.group(0).lower() in self.gaz.first]
            enough = len(names) >= 2 or (len(names) == 1 and bool(firsts) and len(run) >= 2)
            if enough and not all(w.group(0).lower() in self.gaz.clinical for w in names):
                s, e = start + run[0].start(), start + run[-1].end()
                if e - s > best[1] - best[0]:
                    best = (s, e)
            run.clear()

        for w in words:
            token = w.group(0).strip(",")
            low = token.lower()
            is_initial = bool(re.fullmatch(rf"[{UP}]\.(?:[{UP}]\.)*", token))
            after_first = bool(run) and run[-1].group(0).lower() in self.gaz.first and len(run) <= 2
            if re.fullmatch(PARTICLE, token) and run:
                run.append(w)
            elif after_first and len(token) > 2 and low not in self.gaz.clinical and low not in STOP_WORDS:
                run.append(w)  # a first name, then a surname the lists do not have
            elif (
                self.gaz.is_name_word(token) and low not in self.gaz.clinical and low not in STOP_WORDS
            ) or is_initial:
                run.append(w)
            else:
                close()
        close()
        return best

    def _propagate(self, text: str, names: list[Span]) -> list[Span]:
        """Other capitalised occurrences of the words of found names."""
        words = set()
        for s in names:
            for w in re.findall(WORD, text[s.start : s.end]):
                if len(w) >= 3 and "." not in w and w.lower() not in self.gaz.clinical:
                    words.add(w)
        if not words:
            return []
        pattern = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                             + r")(?![\w])", re.I)  # fmt: skip
        out = []
        for m in pattern.finditer(text):
            if m.group(0)[:1].isupper():
                out.append(Span(m.start(), m.end(), "NAME", "person", "propagated"))
        return out
