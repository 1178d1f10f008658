"""Rules for structured identifiers in Spanish and English reports: IDs after their cue (records, health
cards, insurance, episodes, passports, professional licence numbers, bed/room/ward codes), DNI/NIE and
SSN with their checks, phones (Spanish, US, UK, Irish, any +international, with extensions), e-mails,
URLs, street addresses, postal codes (Spanish, US ZIP, UK postcodes, Irish Eircodes), institutions
(ALL-CAPS headers too), ages (over 89, or all of them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from radbank.text.ids import valid_dni_nie, valid_ssn
from radbank.text.spans import Span

UP = "A-ZÁÉÍÓÚÑÜÀÈÒÇÏ"
OLDEST_KEPT_AGE = 89  # HIPAA Safe Harbor: ages over 89 are identifiers
_LABELLED = r"\s*(?:n[ºo°]\.?|núm(?:ero)?\.?|number|no\.?|#|id)?\s*(?:de\s+)?[:.]?\s*"
ID_CUED = [
    (
        "licence",
        r"(?:(?<=[^\W\d_])N[ºo°]\s?Col\b\.?|"  # glued to the name before it: "Ana Ruiz GarcíaNºCol: ..."
        r"(?i:\b(?:n[ºo°]\.?\s*(?:de\s+)?col(?:egiad[oa])?\.?|colegiad[oa]|col\.|n[ºo°]\s*col|"
        r"licen[cs]e(?: number)?|GMC(?: number| no\.?)?|NMC(?: PIN)?|IMC(?: number| no\.?)?|NPI|DEA)))",
    ),
    (
        "mrn",
        r"(?i:\b(?:NHC|N\.H\.C\.|H\.?C\.|n[ºo°]\.?\s*h[ªa]\.?(?:\s*c[ll]?[ií]?n?\.?)?|historia(?: cl[ií]nica)?|"
        r"MRN|MR|medical record|record|chart|hospital number|hosp(?:ital)? no\.?|unit number|"
        r"expediente|CIP|SIP|TSI|tarjeta(?: sanitaria)?|patient id|ID paciente|ID|documento(?: de identidad)?|"
        r"NIF|c[eé]dula))",
    ),
    (
        "insurance",
        r"(?i:\b(?:NUSS|NASS|afiliaci[oó]n|seguridad social|n[ºo°]\s*SS|health card|NHS|CHI|PPSN?|"
        r"medicare|medicaid|insurance|member id|p[oó]liza|aseguradora))",
    ),
    ("episode", r"(?i:\b(?:episodio|episode|encounter|ingreso|admission|visit|CAS|contacto))"),
    (
        "accession",
        r"(?i:\b(?:n[ºo°]\s*de\s*acceso|acceso|accession|acc|petici[oó]n|solicitud|estudio|study|"
        r"exam(?:ination)?|order|orden|informe|report))",
    ),
    ("dni", r"(?i:\b(?:DNI|NIE|D\.N\.I\.|pasaporte|passport))"),
    ("ssn", r"(?i:\b(?:SSN|social security(?: number)?|SS#))"),
]
ID_VALUE = (
    r"(?P<value>(?:[A-Z]{2,4}[ ])?\d[\d./-]*(?:[ ]\d[\d./-]*\d){1,3}"  # grouped: "VAL 0923 1145", "28 28 70973"
    r"|(?=[A-Z0-9./-]*\d)[A-Z0-9][A-Z0-9./-]{2,24}[A-Z0-9])"
)
ID_PATTERNS = [(kind, re.compile(cue + _LABELLED + ID_VALUE, re.I)) for kind, cue in ID_CUED]
BED = re.compile(
    r"(?i:\b(?:cama|habitaci[oó]n|hab\.|box|boxes|planta|sala|bed|room|rm\.?|ward|bay|cubicle|"
    r"unidad)\s*(?:n[ºo°]\.?\s*|#\s*|no\.?\s*)?[:.]?\s*)"
    r"(?P<value>(?=[\w-]*\d)[A-Z0-9]{1,5}(?:[-/.][A-Z0-9]{1,4})?)\b"
)
DNI = re.compile(r"\b(?:\d{8}|\d{2}\.\d{3}\.\d{3})[-\s]?[A-Za-z]\b|\b[XYZxyz][-\s]?\d{7}[-\s]?[A-Za-z]\b")
SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
LONG_DIGITS = re.compile(r"(?<![\d.,])\d{7,}(?![\d.,]\d)")
GROUPED_DIGITS = re.compile(r"(?<![\w/.-])\d{2,}(?:-\d+){2,}(?![\w/-])")  # "560-40-78-5"
CODE = re.compile(r"\b[A-Z]{1,3}\d{3,}[/-]\d{3,}\b")  # "XW277/90683"
PAGER = re.compile(
    r"(?i:\b(?:pager|beeper|bleep|busca(?:personas)?|extensi[oó]n|ext\.?)\s*"
    r"(?:#|n[ºo°]\.?|no\.?)?[:\s]*)(?P<value>\d{3,6})\b"
)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:]")
_EXT = r"(?:[ \t]*(?:,[ \t]*)?(?:ext\.?|extn\.?|extensi[oó]n|x)[ \t]*\d{1,5})?"
PHONE = re.compile(
    r"(?<![\w+])(?:\+34[\s.-]?|0034[\s.-]?)?(?:[6789]\d{2}(?:[\s.-]?\d{3}[\s.-]?\d{3}|(?:[\s.-]\d{2}){3}|[\s.-]\d{6})"
    r"|[89]\d[\s.-]\d{3}(?:[\s.-]\d{2}){2})" + _EXT + r"\b"
    r"|(?<![\w+])(?:\+1[\s.-]?|001[\s.-]?|1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}" + _EXT + r"\b"
    r"|(?<![\w+])(?:\+|00)[1-9]\d{0,2}[\s.-]?(?:\(0?\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}" + _EXT + r"\b"
    r"|(?<![\w+])\(?0\d{1,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}" + _EXT + r"\b"  # UK/Irish trunk-prefixed numbers
)
FAX_CUE = re.compile(r"(?i:\bfax\b)[\s:.]*$")
STREET_ES = (
    r"Calle|CALLE|C/|c/|Cl\.|Avda\.?|AVDA\.?|Avenida|AVENIDA|Av\.?|Plaza|PLAZA|Pl\.|Pza\.?|Paseo|PASEO|"
    r"P[ºo]\.?|"
    r"Camino|Carretera|Ctra\.?|Ronda|Traves[ií]a|Glorieta|Urbanizaci[oó]n|Urb\.|Partida|Pasaje|Rambla|Carrer|"
    r"Avinguda|Pla[çc]a|Alameda|Callej[oó]n|Ca[ñn]ada|Cuesta|Pasadizo|V[ií]a|Vial"
)
_STREET_NUMBER = (
    r"(?:,?[ \t]*(?:n[ºo°]\.?[ \t]*)?\d+[A-Za-z]?(?:-\d+)?)?"
    r"(?:,?[ \t]*\d{1,2}[ºª]?[ \t]*-?[ \t]*[A-Za-z]\b|,?[ \t]*\d{1,2}[ºª])?"
    r"(?:,?[ \t]*(?:piso|puerta|pta\.?|esc\.?|bajo|Apt\.|Puerta|Piso|dcha\.?|izda\.?)[ \t]*\w*)*"
)
ADDRESS_ES = re.compile(
    rf"\b(?:{STREET_ES})[ \t]+(?:(?:de|del|la|las|los|el|dels|d')[ \t]+)*[{UP}0-9][\w'’.-]*(?:[ \t]+(?:(?:de|del|la|"
    rf"las|los|y|el)[ \t]+)*[{UP}][\w'’.-]*){{0,5}}"
    + _STREET_NUMBER
    + r"|\b(?i:calle|avenida|plaza|paseo|carrer|camino|avda\.|av\.|c/\.?)[ \t]*"
    + r"(?:(?!(?i:y|a|en|con|por|que|se|hace|desde|hasta|tras|durante|un|una|unos|unas|hacia|sin)\b)"
    + r"[\w'’.-]+[ \t]+){0,4}?"
    + r"(?:n[ºo°]\.?[ \t]*)?\d+"
    + _STREET_NUMBER
)

# a road and its kilometre: "A7, km. 187", "N-340 km 12,5", "Ctra. de Valencia km 3"
ROAD_KM = re.compile(
    r"\b(?:[A-Z]{1,3}-?\d{1,4}|(?:Ctra\.?|Carretera|Autov[ií]a|Autopista)[ \t]+[^\n,;]{1,40}?)"
    r",?[ \t]*(?:km|Km|KM|kil[oó]metro)\.?[ \t]*\d+(?:[.,]\d+)?"
)


def _usps_suffixes() -> str:
    """USPS street suffixes (as Faker's en_US data lists them), with the usual abbreviations and UK ones."""
    from faker.providers.address.en_US import Provider

    words = {
        *Provider.street_suffixes,
        "Street",
        "Avenue",
        "Road",
        "Boulevard",
        "Lane",
        "Drive",
        "Court",
        "Place",
        "Terrace",
        "Circle",
        "Highway",
        "Parkway",
        "Square",
        "Way",
        "St",
        "Ave",
        "Rd",
        "Blvd",
        "Ln",
        "Dr",
        "Ct",
        "Pl",
        "Hwy",
        "Pkwy",
        "Sq",
        "Ter",
        "Cir",
        "Close",
        "Crescent",
        "Gardens",
        "Grove",
        "Mews",
        "Row",
        "Walk",
        "Hill",
        "Green",
        "Park",
        "Quay",
    }
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


ADDRESS_EN = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?,?\s+(?:[NSEW]\.?\s+)?(?:[{UP}][\w'’.-]*\s+){{1,3}}(?:{_usps_suffixes()})\.?(?![\w])"
    r"(?:,?\s*(?:Apt\.?|Apartment|Suite|Unit|Flat|#)\s*[\w-]+)?"
)
UK_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[ABD-HJLNP-UW-Z]{2}|GIR[ \t]?0AA)\b")
EIRCODE = re.compile(r"\b(?:[AC-FHKNPRTV-Y]\d{2}|D6W)[ \t]?(?=[0-9AC-FHKNPRTV-Y]{0,3}\d)[0-9AC-FHKNPRTV-Y]{4}\b")
# a street named without its type ("Doctor Esquerdo, 46", "La Choupana s/n") right before a Spanish postal code
STREET_BEFORE_ZIP = re.compile(
    rf"(?:^|(?<=[.,;:]\s)|(?<=\n))"
    rf"(?P<value>[{UP}][\w'’-]+(?:[ \t]+(?:(?:de|del|la|las|los|y)[ \t]+)*[{UP}][\w'’-]*){{0,4}}"
    rf",?[ \t]+(?:s/n|(?:n[ºo°]\.?[ \t]*)?\d+[A-Za-z]?(?:[ \t]*[-,][ \t]*\d+[ºª]?(?:[ \t]*[A-Za-z]\b)?)*))"
    rf"(?=[.,]?[ \t]+(?:E-)?(?:0[1-9]|[1-4]\d|5[0-2])\d{{3}}[.,]?[ \t]+[{UP}])",
    re.M,
)
ZIP = re.compile(
    r"(?i:\b(?:C\.?P\.?|c[oó]digo postal|zip(?: code)?)[:\s]*)"
    r"(?P<value>\d{5}(?:-\d{3,4})?|[A-Z]?\d{3,4}(?:[A-Z]{3})?)\b"
    r"|\b(?P<v2>(?:0[1-9]|[1-4]\d|5[0-2])\d{3})(?=\s+[" + UP + r"])"
    r"|(?<=\b[A-Z]{2}\s)(?P<v3>\d{5}(?:-\d{4})?)\b"
)
_INST_ES = (
    r"Hospital|Hosp\.|Cl[ií]nica|Centro de Salud|Centro M[eé]dico|C\.S\.|Consultorio|Policl[ií]nica|"
    r"Complejo Hospitalario|Consorcio Hospital(?:ario)?|Consorci Hospital(?:ari)?|Instituto|Fundaci[oó]n?|"
    r"Sanatorio|Residencia|Mutua|Hospital Universitario|Departamento de Salud|Servicio de Urgencias del|"
    r"Centre de Salut|Hospital Universitari|Universidad|Universitat|Facultad|Laboratorios?|Asociaci[oó]n|"
    r"Sociedad|Fundaci[oó]|Instituci[oó]n|Centro(?! de Salud)|Escuela|Xarxa|Palacio|Juzgados?|"
    r"Complejo (?:Asistencial|Universitario)"
)
# hospital abbreviations ("H. U. Costa Azul")
_INST_ES_MORE = (
    r"H\.[ \t]?[UGC]\.(?:[ \t]?[UGC]\.)?"
    # "H. Clínico San Carlos"; a hospital's acronym before its name: "HU La Paz", "HGU Gregorio Marañón"
    r"|H\.(?=[ \t]+(?:Cl[ií]nico|General|Universitario|Provincial|Comarcal|Materno|Infantil)\b)"
    r"|(?:HU|HUV|HGU|HGUA|HCU|HCUV|HG|HC|CHU|HUC|HUP|HUS|HUM|HUN)"
    r"(?=[ \t]+(?:(?:de|del|la|el)[ \t]+)?[A-ZÁÉÍÓÚÑ][a-záéíóúñ])"
)
# lower-case words inside an institution's name ("Hospital universitario Costa Azul") and a quoted name
_INST_INSIDE = r"universitari[oa]|general|cl[ií]nico|provincial|comarcal|regional|militar|materno|infantil"
_STREET_TYPE = rf"(?:{STREET_ES})(?!\w)"  # a street's type ends an institution's name
# a full stop inside an institution's name only after an initial or a listed abbreviation: "Hospital Gral.
# Universitario", "Hospital Univ. Dr. Peset", not "Clínica San Juan. Presenta"
_INST_ABBREVIATION = (
    rf"(?:[{UP}]|Gral|Univ|Dr|Dra|Sr|Sra|Sta|Sto|Ntra|Nra|Sr[ao]|Hosp|Inst|Fund|Prof|Dpto|Serv|Cto|Cdad|Mª)\."
)
_QUOTED = rf"[\"“«][{UP}0-9][^\"”»\n]{{0,40}}[\"”»]"  # a quoted name: capitalised or a number first
_INST_EN = (
    r"Hospital|Medical Center|Medical Centre|Clinic|Health Center|Health Centre|Health System|Infirmary|"
    r"Memorial|Children's Hospital|Cancer Center|Health|Nursing Home|Care Home|Rehabilitation Center|"
    r"Hospice|Nursing Facility|Surgery Center|University Hospital|Teaching Hospital|Trust|Imaging Center|"
    r"Radiology|Surgery|Practice|NHS Foundation Trust"
)
_CONNECT = r"(?:de|del|la|las|los|el|y|i|d'|de la|DE|DEL|LA|LAS|LOS|EL|Y|I|D'|DE LA)"
INSTITUTION_ES = re.compile(
    rf"\b(?:{_INST_ES}|{_INST_ES.upper()}|{_INST_ES_MORE})"
    rf"(?:[ \t]+(?:(?:{_CONNECT}|{_INST_INSIDE})[ \t]+)*(?!{_STREET_TYPE})"
    rf"(?:{_INST_ABBREVIATION}|[{UP}][\w'’-]*|\d+)){{1,7}}"
    rf"(?:[ \t]+{_QUOTED})?"
    # a hospital's acronym before its quoted name: 'HGM "Costa Azul"'
    rf"|\bH[A-Z]{{1,4}}[ \t]+{_QUOTED}"
    # "el hospital Virgen del Mar": the lower-case word needs a capitalised name after it
    rf"|\bhospital(?:[ \t]+(?:(?:{_CONNECT}|{_INST_INSIDE})[ \t]+)*[{UP}][\w'’-]*){{1,7}}"
)
INSTITUTION_EN = re.compile(
    rf"\b(?:(?:St\.?|Saint|Mount|Mt\.?|ST\.?|SAINT)[ \t]+)?(?:[{UP}][\w'’.-]*[ \t]+){{1,4}}"
    rf"(?:{_INST_EN}|{_INST_EN.upper()})\b"
    rf"(?:[ \t]+(?:of|at|OF|AT)[ \t]+(?:[{UP}][\w'’.-]*[ \t]*){{1,3}})?"
)
INSTITUTION = re.compile(f"{INSTITUTION_ES.pattern}|{INSTITUTION_EN.pattern}")
AGE = re.compile(
    r"\b(?P<age>\d{1,3})\s*(?:años|año|a\.|years?[-\s]old|-year-old|year old|yo|y/o|y\.o\.|yrs?)\b"
    r"|(?i:\b(?:edad|aged?|age)\s*[:]?\s*(?:de\s+)?)(?P<age2>\d{1,3})(?:\s*(?:años|years))?\b"
)
# with ages='all': a person's age, not a duration ("hace 10 años")
AGE_OF_PERSON = re.compile(
    r"(?i:\b(?:de|aged?|edad:?|age:?)\s+)(?P<age>\d{1,3}\s*(?:años|a\.|years?))\b"
    r"|\b(?P<age2>\d{1,3}\s*(?:años\s+de\s+edad|años(?=,?\s+(?:de\s+edad|var[oó]n|mujer|sin|con|que))|"
    r"(?:d[ií]as|semanas|meses)(?=\s+de\s+(?:edad|vida))|"
    r"[-\s]?years?[-\s]old|[-\s]?year-old|yo\b|y/o|y\.o\.))"
)


_ZIP_ES = r"(?:0[1-9]|[1-4]\d|5[0-2])\d{3}"
_ZIP_BEFORE_TOWN = re.compile(rf"(?<![\d.,/-])\(?(?P<zip>{_ZIP_ES})\)?[ \t]*[,.-]?[ \t]*\(?$")
_ZIP_AFTER_TOWN = re.compile(
    rf"[ \t]*[,.(-]?[ \t]*(?P<zip>{_ZIP_ES})(?![\d,/]\d|\d)"
    r"|[ \t]*\((?P<zip4>[A-Z]?\d{4}(?:[A-Z]{3})?)\)"  # a four-digit code in brackets: "Córdoba (5000)" (Argentina)
)
_BESIDE = 12  # characters a postal code may stand from its town


def postal_beside_towns(text: str, towns: list[Span]) -> list[Span]:
    """Spanish postal codes written right before or after a found town ("28006, Madrid", "08005-Barcelona",
    "(27003) Lugo", "Barcelona 08017"): a five-digit number there is the town's code, not a lab value."""
    spans = []
    for town in towns:
        before = _ZIP_BEFORE_TOWN.search(text[max(0, town.start - _BESIDE) : town.start])
        if before:
            offset = max(0, town.start - _BESIDE)
            spans.append(Span(offset + before.start("zip"), offset + before.end("zip"), "ZIP", "postal"))
        after = _ZIP_AFTER_TOWN.match(text, town.end)
        if after:
            group = "zip" if after.group("zip") else "zip4"
            spans.append(Span(after.start(group), after.end(group), "ZIP", "postal"))
    return spans


def _geo_pattern(names: list[str]) -> re.Pattern[str]:
    return re.compile(
        r"(?<![\w.])(?:" + "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True)) + r")(?![\w])"
    )


def _spanish_geography() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Countries (Faker's es_ES list and the usual abbreviations) and regions (Spanish provinces and
    autonomous communities, US states), as Spanish clinical text names them."""
    from faker.providers.address.en_US import Provider as English
    from faker.providers.address.es_ES import Provider as Spanish

    countries = [
        *Spanish.countries,
        "EE.UU.",
        "EEUU",
        "EE. UU.",
        "USA",
        "U.S.A.",
        "Estados Unidos",
        "Reino Unido",
        "Inglaterra",
        "Escocia",
        "Gales",
        "Irlanda",
        "Holanda",
        "Países Bajos",
        "Rusia",
        "China",
    ]
    regions = [*Spanish.states, *Spanish.regions, *English.states, "Euskadi", "Catalunya", "Andalucía"]
    return _geo_pattern(countries), _geo_pattern(regions)


COUNTRY_ES, REGION_ES = _spanish_geography()


def geography_spans(text: str, lang: str) -> list[Span]:
    """Spanish text: countries (MEDDOCAN annotates them) and regions; English text follows HIPAA's Safe
    Harbor, for which a state or a country is not an identifier (cities are found from the city list)."""
    if lang != "es":
        return []
    spans = [Span(m.start(), m.end(), "COUNTRY", "country") for m in COUNTRY_ES.finditer(text)]
    return spans + [Span(m.start(), m.end(), "CITY", "region") for m in REGION_ES.finditer(text)]


def _value_spans(pattern: re.Pattern[str], text: str, label: str, kind: str, group: str = "value") -> Iterator[Span]:
    for m in pattern.finditer(text):
        yield Span(m.start(group), m.end(group), label, kind)


def id_spans(text: str) -> list[Span]:
    """Identifiers after a cue, bed/room/ward codes, DNI/NIE, SSN and long digit runs."""
    spans = []
    for kind, pattern in ID_PATTERNS:
        for m in pattern.finditer(text):
            value = m.group("value")
            if re.fullmatch(r"(?:19|20)\d\d", value) or re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", value):
                continue  # a year or a date after "estudio"/"study", not an identifier
            spans.append(Span(m.start("value"), m.end("value"), "ID", kind))
    spans += _value_spans(BED, text, "ID", "bed")
    for m in DNI.finditer(text):
        spans.append(Span(m.start(), m.end(), "ID", "dni" if valid_dni_nie(m.group(0)) else "id"))
    spans += [Span(m.start(), m.end(), "ID", "ssn") for m in SSN.finditer(text) if valid_ssn(m.group(0))]
    spans += [Span(m.start(), m.end(), "ID", "number") for m in LONG_DIGITS.finditer(text)]
    for pattern in (GROUPED_DIGITS, CODE):
        spans += [
            Span(m.start(), m.end(), "ID", "number")
            for m in pattern.finditer(text)
            if sum(ch.isdigit() for ch in m.group(0)) >= MIN_ID_DIGITS
        ]
    return spans


MIN_ID_DIGITS = 7
MIN_PHONE_DIGITS = 7


def contact_spans(text: str) -> list[Span]:
    """E-mails, URLs, phone and fax numbers, pager numbers and extensions after their cue."""
    spans = [Span(m.start(), m.end(), "EMAIL", "email") for m in EMAIL.finditer(text)]
    spans += [Span(m.start(), m.end(), "URL", "url") for m in URL.finditer(text)]
    for m in PHONE.finditer(text):
        if sum(ch.isdigit() for ch in m.group(0)) >= MIN_PHONE_DIGITS:
            fax = FAX_CUE.search(text[max(0, m.start() - 12) : m.start()])
            spans.append(Span(m.start(), m.end(), "PHONE", "fax" if fax else "phone"))
    spans += _value_spans(PAGER, text, "PHONE", "pager")
    return spans


def place_spans(text: str, lang: str) -> list[Span]:
    """Street addresses, postal codes and institutions (institution patterns of the language)."""
    spans: list[Span] = []
    street = ADDRESS_ES if lang == "es" else ADDRESS_EN
    spans += [Span(m.start(), m.end(), "ADDRESS", "street") for m in street.finditer(text)]
    if lang == "es":
        spans += list(_value_spans(STREET_BEFORE_ZIP, text, "ADDRESS", "street"))
        spans += [Span(m.start(), m.end(), "ADDRESS", "street") for m in ROAD_KM.finditer(text)]
    for m in ZIP.finditer(text):
        group = "value" if m.group("value") else "v2" if m.group("v2") else "v3"
        spans.append(Span(m.start(group), m.end(group), "ZIP", "postal"))
    for pattern in (UK_POSTCODE, EIRCODE):
        spans += [Span(m.start(), m.end(), "ZIP", "postal") for m in pattern.finditer(text)]
    pattern = INSTITUTION_ES if lang == "es" else INSTITUTION_EN
    spans += [Span(m.start(), m.end(), "INSTITUTION", "institution") for m in pattern.finditer(text)]
    return spans


# "de 20 años de evolución", "más de 2 años", "en un plazo de 2 años", "niños a partir de 2 años": durations
_DURATION_AFTER = re.compile(
    r"(?i:\s+de\s+(?:evoluci[oó]n|duraci[oó]n|antig[üu]edad|seguimiento|tratamiento|"
    r"diagn[oó]stico|latencia))"
)
_DURATION_BEFORE = re.compile(
    r"(?i:\b(?:m[aá]s|menos|plazo|hace|durante|partir|tras|despu[eé]s|cada|periodo|per[ií]odo|lapso|intervalo|"
    r"mayores|menores|niños|pacientes)\s+(?:de\s+)?)$"
)


def _duration(text: str, start: int, end: int) -> bool:
    """Whether the years matched at start:end are a span of time or a group's age, not the patient's age."""
    return bool(_DURATION_AFTER.match(text, end) or _DURATION_BEFORE.search(text[max(0, start - 24) : start]))


def age_spans(text: str, ages: str = "over89") -> list[Span]:
    """Ages: those over 89 (HIPAA Safe Harbor, the default; the number alone) or, with `ages='all'`, every
    age of a person (MEDDOCAN's guideline; the unit kept in the span, "70 años")."""
    if ages == "all":
        return [
            Span(m.start(g), m.end(g), "AGE", "age")
            for m in AGE_OF_PERSON.finditer(text)
            for g in ("age", "age2")
            if m.group(g) and not _duration(text, m.start(g), m.end(g))
        ]
    spans = []
    for m in AGE.finditer(text):
        group = "age" if m.group("age") else "age2"
        if int(m.group(group)) > OLDEST_KEPT_AGE:
            spans.append(Span(m.start(group), m.end(group), "AGE", "age"))
    return spans
