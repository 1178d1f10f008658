"""Person names by rule: after a title, a cue or a role word (capitalised, ALL-CAPS, with initials,
nicknames, surname-first "GARCÍA LÓPEZ, MARÍA", or lower case when the words are listed names), runs of
listed first names and surnames, then every other occurrence of a found name's words in the report.

Role and header words (Adjunto, PETICIONARIO, CLINICIAN...) are never part of a name, and the words of
an eponym in its clinical context (see eponyms.py) are never taken nor spread to.
"""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS as _EN_STOP
from spacy.lang.es.stop_words import STOP_WORDS as _ES_STOP

from radbank.text.gazetteer import Gazetteer

UP = "A-ZÁÉÍÓÚÑÜÀÈÒÇÏ"
LOW = "a-záéíóúñüàèòçï"
MIN_WORDS = 2  # a name of listed words, or after a cue, has this many words at least
MIN_LETTERS = 3  # shorter words are initials or particles
CAP_WORD = rf"[{UP}][{LOW}'’]+(?:-[{UP}]?[{LOW}'’]+)?"
WORD = (
    rf"(?:[{UP}]['’][{UP}](?:[{LOW}]+|[{UP}]+)|{CAP_WORD}|[{UP}]{{2,}}(?:[-'’][{UP}]+)?|"
    rf"[{UP}]\.(?:[ ]?[{UP}]\.)*)"
)
NICK = r"[\"“‘'(][A-Z][a-z]+[\"”’')]"
INITIAL = rf"[{UP}](?=[ \t]+[{UP}])"
PARTICLE = r"(?:de|del|de la|de las|de los|la|y|i|van|von|da|di|du|le|dos|das|Mc|O'|d')"
NAME_RUN = rf"{WORD}(?:[ \t]+(?:{PARTICLE}[ \t]+)?(?:{WORD}|{NICK})){{0,4}}"
CUED_RUN = rf"(?:{INITIAL}[ \t]+)*{NAME_RUN}(?:,[ \t]*{NAME_RUN})?"
LOW_RUN = rf"[{LOW}]{{3,}}(?:[ \t]+(?:{PARTICLE}[ \t]+)?[{LOW}]{{3,}}){{0,3}}"
STOP_WORDS = {
    "mrn",
    "dob",
    "dni",
    "nie",
    "nhc",
    "sip",
    "cip",
    "tsi",
    "ssn",
    "id",
    "md",
    "rx",
    "tc",
    "tac",
    "rm",
    "pa",
    "ap",
    "ct",
    "mri",
    "us",
    "eco",
    "fdo",
    "tel",
    "telf",
    "email",
    "fax",
    "nº",
    "cp",
    "acc",
    "do",
    "phd",
    "frcr",
    "rn",
    "informe",
    "report",
    "exam",
    "fecha",
    "date",
    "edad",
    "age",
    "sexo",
    "sex",
    "servicio",
    "hospital",
    "calle",
    "avda",
    "av",
    "c/",
    "plaza",
    "street",
    "road",
    "the",
    "and",
    "was",
    "were",
    "who",
    "with",
    "con",
    "que",
    "por",
    "para",
    "sin",
    "ha",
    "se",
    "le",
    "al",
    "el",
    "en",
    "is",
    "at",
    "on",
    "to",
}
ROLE_WORDS = {
    "adjunto",
    "adjunta",
    "peticionario",
    "peticionaria",
    "solicitante",
    "clinician",
    "radiologist",
    "radiólogo",
    "radióloga",
    "médico",
    "médica",
    "facultativo",
    "facultativa",
    "servicio",
    "radiología",
    "radiodiagnóstico",
    "resident",
    "residente",
    "consultant",
    "technologist",
    "nurse",
    "enfermero",
    "enfermera",
    "patient",
    "paciente",
    "doctor",
    "doctora",
    "físico",
    "referring",
    "attending",
    "interpreter",
    "intérprete",
    "traductor",
    "traductora",
    "surgeon",
    "cirujano",
    "cirujana",
    "tech",
    "technician",
    "registrar",
    "sonographer",
    "radiographer",
    "staff",
    "jefe",
    "jefa",
    "sección",
    "unidad",
    "urgencias",
    "guardia",
    "department",
    "dept",
    "history",
    "indication",
    "findings",
    "impression",
    "comparison",
    "technique",
    "hallazgos",
    "conclusión",
    "impresión",
    "exploración",
    "informe",
    "firmado",
    "signed",
    "electronically",
    "dictated",
    "reviewed",
    "read",
    "correo",
    "e-mail",
    "teléfono",
    "tfno",
    "dirección",
    "domicilio",
    "localidad",
    "provincia",
    "nacimiento",
    "país",
    "historia",
    "actual",
    "presentamos",
    "presenta",
    "acude",
    "refiere",
    "ingresa",
    "remitido",
    "datos",
    "asistenciales",
    "clínico",
    "clínica",
    "antecedentes",
    "motivo",
    "consulta",
}
# Spanish and English function words ("una", "hasta", "the"...), some of them also listed names somewhere: never a
# name in lower case, nor alone before a lower-case word ("paciente: Una mujer de 50 años")
FUNCTION_WORDS = frozenset(_ES_STOP | _EN_STOP) - {
    "de",
    "del",
    "la",
    "las",
    "los",
    "y",
    "i",
    "van",
    "von",
    "da",
    "di",
    "du",
    "le",
    "dos",
    "das",
}
# medical specialties and services after "Médico:" or "Servicio de" are no names ("Endocrinología", "Cirugía")
SPECIALTY = re.compile(
    r"(?i:.*(?:log[ií]a|iatr[ií]a|cirug[ií]a|medicina|nutrici[oó]n|maxilofacial|forense|"
    r"polic[ií]a|cient[ií]fica|pediatr[ií]a|urgencias|intensiva|interna|oral))"
)
TITLES = r"Dr|Dra|Dres|Drs|Prof|Profa|D|Dña|Dª|Don|Doña|Sr|Sra|Srta|Mr|Mrs|Ms|Miss|Mx|DR|DRA|MR|MRS|MS|SR|SRA|PROF"
CUES = (
    r"paciente|pte|nombre(?: y apellidos)?|apellidos(?: y nombre| , nombre)?|firmado(?: electrónicamente)? por|fdo|"
    r"informado por|validado por|revisado por|dictado por|remitid[oa] por|derivad[oa] por|solicitado por|"
    r"solicitante|peticionario|médic[oa](?: responsable| solicitante| remitente| peticionario)?|radiólog[oa]|"
    r"facultativ[oa]|atendid[oa] por|acompañad[oa] (?:por|de)|su (?:hij[oa]|espos[oa]|marido|madre|padre|"
    r"herman[oa])|hij[oa]|espos[oa]|marido|madre|padre|herman[oa]|familiar|cuidador[a]?|traductor[a]?|"
    r"int[eé]rprete|cirujan[oa]|enfermer[oa]|matr[oó]n[a]?|t[eé]cnic[oa](?: de rayos| TER)?|auxiliar|"
    r"anestesista|residente|tutor[a]?|comentado con|avisad[oa] (?:a|al|la)|"
    r"patient(?: name)?|pt|name|signed by|electronically signed by|dictated by|read by|reported by|"
    r"reviewed by|attending(?: physician)?|referring(?: physician| doctor| clinician)?|ordering(?: physician)?|"
    r"ordered by|requested by|referred by|physician|radiologist|resident|fellow|registrar|consultant|"
    r"technologist|technician|tech|radiographer|sonographer|interpreter|translator|nurse|surgeon|midwife|"
    r"seen by|discussed with|d/w|spoke with|notified|called to|his (?:wife|son|daughter|mother|father|brother|"
    r"sister)|her (?:husband|son|daughter|mother|father|brother|sister)|wife|husband|son|daughter|mother|"
    r"father|brother|sister|caregiver|cc|c/c"
)
CUED_NAME = re.compile(
    rf"(?:(?P<title>\b(?:{TITLES})\.?)|(?i:\b(?:{CUES}))[ \t]*[:\-,]?)[ \t]+(?!(?:{TITLES})\.?\s)(?P<name>{CUED_RUN})"
    rf"|(?P<name2>{NAME_RUN}),?[ \t]+(?:MD|M\.D\.|DO|PhD|FRCR|FRCP|FRCPI|MRCP|RN|MBBS)\b"
)
LOWER_CUED = re.compile(
    rf"(?:\b(?:{TITLES})\.?|(?i:\b(?:dr|dra|sr|sra|mr|mrs|ms)\.)|(?i:\b(?:{CUES}))[ \t]*:?)[ \t]+"
    rf"(?P<name>{LOW_RUN})"
)
GAZ_RUN = re.compile(rf"(?<![\w.]){NAME_RUN}(?:,[ \t]*{WORD}(?:[ \t]+{WORD})?)?")
# a dictation line's initials and the typist's or doctors' user names: "XGT:holmes", "GPP/church/olinger"
TYPIST = re.compile(r"^[ \t]*[A-Z]{2,4}[:/](?P<names>[a-z]{3,}(?:/[a-z]{3,})*)[ \t]*$", re.M)
PROFESSIONAL_CUE = re.compile(
    r"(?i:\b(?:dr|dra|dres|drs|prof|profa|m[eé]dic[oa]|radi[oó]log[oa]|facultativ[oa]|firmado|fdo|informado|"
    r"validado|revisado|dictado|solicit\w*|peticionari[oa]|remitid[oa] por|derivad[oa] por|signed|dictated|"
    r"read by|reported by|reviewed by|attending|referring|ordering|ordered by|requested by|referred by|"
    r"physician|radiologist|resident|fellow|registrar|consultant|technologist|technician|tech|radiographer|"
    r"sonographer|nurse|surgeon|midwife|enfermer[oa]|cirujan[oa]|t[eé]cnic[oa]|matr[oó]n[a]?|anestesista|"
    r"residente|tutor[a]?|auxiliar)\b)"
)
RELATIVE_CUE = re.compile(
    r"(?i:\b(?:hij[oa]|espos[oa]|marido|madre|padre|herman[oa]|familiar|cuidador[a]?|wife|"
    r"husband|son|daughter|mother|father|brother|sister|caregiver)\b)"
)


def _determiner(text: str, start: int, end: int) -> bool:
    """A lone function word before a lower-case word: "Una mujer", "Los valores" (not "Apellidos: Bueno.")."""
    return text[start:end].lower() in FUNCTION_WORDS and re.match(rf"[ \t]+[{LOW}]", text[end : end + 3]) is not None


class NameRules:
    """Name spans of a text as (start, end, kind, source) tuples; kind: professional, relative or person."""

    def __init__(self, gaz: Gazetteer) -> None:
        self.gaz = gaz

    def find(self, text: str) -> list[tuple[int, int, str, str]]:
        out = []
        for m in CUED_NAME.finditer(text):
            group = "name" if m.group("name") else "name2"
            start, end = self.trim(text, m.start(group), m.end(group))
            kind = self._kind(text, m.start(), m.start(group), group)
            cue_ok = m.group("title") or group == "name2" or self._name_like(text[start:end], kind == "professional")
            cue_ok = cue_ok and not _determiner(text, start, end)
            if end > start and cue_ok:
                out.append((start, end, kind, "cue"))
        for m in LOWER_CUED.finditer(text):
            start, end = self._listed_prefix(text, m.start("name"), m.end("name"))
            if end > start:
                out.append((start, end, self._kind(text, m.start(), m.start("name"), "name"), "cue"))
        for m in TYPIST.finditer(text):
            offset = m.start("names")
            for w in re.finditer(r"[a-z]+", m.group("names")):
                out.append((offset + w.start(), offset + w.end(), "professional", "cue"))
        for m in GAZ_RUN.finditer(text):
            start, end = self._gazetteer_run(text, m.start(), m.end())
            if end > start:
                out.append((start, end, "person", "gazetteer"))
        return out

    @staticmethod
    def _kind(text: str, cue_start: int, name_start: int, group: str) -> str:
        cue = text[cue_start:name_start] if group == "name" else text[name_start : name_start + 200]
        if group == "name2" or PROFESSIONAL_CUE.search(cue):
            return "professional"
        return "relative" if RELATIVE_CUE.search(cue) else "person"

    def _name_like(self, value: str, professional: bool) -> bool:
        """After a cue that is not a title: two words or more, one listed name, or after a professional's role
        ("Attending: YBARRA") one word in capitals."""
        words = re.findall(rf"{WORD}", value)
        if len(words) >= MIN_WORDS or any(self.gaz.is_world_name(w) for w in words):
            return True
        return professional and len(words) == 1 and words[0].isupper() and len(words[0]) >= MIN_LETTERS

    def _bad_word(self, word: str, cued: bool) -> bool:
        low = word.lower().rstrip(".")
        return (
            low in STOP_WORDS
            or low in ROLE_WORDS
            or (low in self.gaz.clinical and not cued)
            or SPECIALTY.fullmatch(low) is not None
        )

    def trim(self, text: str, start: int, end: int, cued: bool = True) -> tuple[int, int]:
        """Drop leading role words and anything from the first word that is clearly not a name."""
        words = list(re.finditer(rf"{WORD}|{NICK}|{PARTICLE}|[{UP}]\b|,", text[start:end]))
        while words and (self._bad_word(words[0].group(0), cued) or re.fullmatch(PARTICLE, words[0].group(0))):
            words.pop(0)
        keep = []
        for w in words:
            if self._bad_word(w.group(0), cued):
                break
            keep.append(w)
        while keep and (re.fullmatch(PARTICLE, keep[-1].group(0)) or keep[-1].group(0) == ","):
            keep.pop()
        if not keep:
            return start, start
        return start + keep[0].start(), start + keep[-1].end()

    def _listed_prefix(self, text: str, start: int, end: int) -> tuple[int, int]:
        """The leading lower-case words that are listed names (particles inside kept)."""
        last = start
        for w in re.finditer(rf"{PARTICLE}\b|[{LOW}]+", text[start:end]):
            token = w.group(0)
            if re.fullmatch(PARTICLE, token):
                continue
            bad = token in STOP_WORDS or token in ROLE_WORDS or token in self.gaz.clinical or token in FUNCTION_WORDS
            # the first word a listed name; after it, a listed name of any origin or another unknown word
            if bad or (last == start and not self.gaz.is_world_name(token)):
                break
            last = start + w.end()
        return start, last

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
            enough = len(names) >= MIN_WORDS or (len(names) == 1 and bool(firsts) and len(run) >= MIN_WORDS)
            places = any(self.gaz.is_place(w.group(0)) for w in run)
            if enough and not places and not all(w.group(0).lower() in self.gaz.clinical for w in names):
                s, e = start + run[0].start(), start + run[-1].end()
                if e - s > best[1] - best[0]:
                    best = (s, e)
            run.clear()

        for w in words:
            token = w.group(0).strip(",")
            token.lower()
            is_initial = bool(re.fullmatch(rf"[{UP}]\.(?:[ ]?[{UP}]\.)*", token))
            after_first = bool(run) and run[-1].group(0).lower() in self.gaz.first and len(run) <= MIN_WORDS
            if re.fullmatch(PARTICLE, token) and run:
                run.append(w)
            elif after_first and len(token) >= MIN_LETTERS and not self._bad_word(token, False):
                run.append(w)  # a first name, then a surname the lists do not have
            elif (self.gaz.is_name_word(token) and not self._bad_word(token, False)) or is_initial:
                run.append(w)
            else:
                close()
        close()
        return best

    def propagate(self, text: str, names: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Other occurrences of the words of found names: as written, capitalised or in capitals (lower-case
        occurrences only of a name that was itself found in lower case)."""
        forms = set()
        for s, e in names:
            for w in re.findall(rf"{CAP_WORD}|[{UP}]{{2,}}|[{LOW}]{{3,}}", text[s:e]):
                low = w.lower()
                if (
                    len(w) < MIN_LETTERS
                    or low in self.gaz.clinical
                    or low in STOP_WORDS
                    or low in ROLE_WORDS
                    or (w.islower() and low in FUNCTION_WORDS)
                    or SPECIALTY.fullmatch(low)
                    or self.gaz.is_place(w)
                ):
                    continue
                if re.fullmatch(PARTICLE, w) or re.fullmatch(r"[Xx]+", w):
                    continue
                forms |= {w, w.upper(), w[0].upper() + w[1:].lower() if w.isupper() else w[0].upper() + w[1:]}
        if not forms:
            return []
        pattern = re.compile(
            r"(?<![\w])(?:" + "|".join(re.escape(w) for w in sorted(forms, key=len, reverse=True)) + r")(?![\w])"
        )
        return [(m.start(), m.end()) for m in pattern.finditer(text)]
