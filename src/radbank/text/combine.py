"""Joining the model's spans and the rules' spans into one non-overlapping set, and naming them in MEDDOCAN's
labels.

Policy: the statistical model's entities come first (they follow the corpus conventions the model was
trained on); of a rule span that overlaps them, the parts outside them that hold a word are kept as spans
of their own (privacy first, and the model's offsets stay as they are), except that a structured
identifier's rule span (date, ID, e-mail, phone, URL) replaces the model spans it contains. Rule spans
that touch no model span are resolved among themselves (longest first). Spans that are only a
pre-redacted placeholder (XXXX, [** ... **], ***, [REDACTED]) are never kept: the placeholder stays.
"""

from __future__ import annotations

import re

from radbank.text.brat import MEDDOCAN_TO_RADBANK
from radbank.text.spans import Span, resolve_overlaps

PLACEHOLDER = re.compile(r"\[\*\*.*?\*\*\]|\[(?:REDACTED|redacted|Redacted)\]|\*{3,}|\b[Xx]{2,}\b|_{3,}")
_CORE = re.compile(r"\w(?:.*\w)?", re.S)  # from the first word character to the last
_ONLY_PLACEHOLDERS = re.compile(rf"(?:\s|[,.;:()\-]|{PLACEHOLDER.pattern})*")


def is_placeholder(text: str) -> bool:
    """True when `text` holds nothing but redaction placeholders (and spaces or punctuation)."""
    return bool(text.strip()) and _ONLY_PLACEHOLDERS.fullmatch(text) is not None


def combine(text: str, model: list[Span], rules: list[Span]) -> list[Span]:
    """One set of spans from the model's and the rules' candidates (see the module's policy)."""
    chosen = resolve_overlaps([s for s in model if not is_placeholder(text[s.start : s.end])])
    leftovers = []
    for r in sorted(rules, key=lambda s: s.start - s.end):
        if is_placeholder(text[r.start : r.end]):
            continue
        hits = [m for m in chosen if m.start < r.end and r.start < m.end]
        if r.kind in FULL_DATES and any(_crosses(m, r) for m in hits):  # "Rosa Vidal, 03/04/" + "03/04/2020"
            chosen = [m for m in chosen if m not in hits] + [p for m in hits for p in _outside(text, m, r)]
            hits = [m for m in chosen if m.start < r.end and r.start < m.end]
        if hits and r.label in STRUCTURED and all(r.start <= m.start and m.end <= r.end for m in hits):
            chosen = [m for m in chosen if m not in hits] + [_structured(r, hits)]  # the pattern knows better
        else:
            leftovers += _uncovered(text, r, hits) if hits else [r]
    return sorted(chosen + resolve_overlaps(leftovers), key=lambda s: s.start)


FULL_DATES = frozenset({"numeric", "iso"})
"""Dates written in full in digits ("03/04/2020", "2020-04-03"): their rule spans also win over a model span of
another label that runs into them."""


def _crosses(model: Span, rule: Span) -> bool:
    """A model span of another label that crosses a rule span's edge (one end in, one out)."""
    inside = (rule.start <= model.start < rule.end) != (rule.start < model.end <= rule.end)
    return model.label != rule.label and inside


def _outside(text: str, model: Span, rule: Span) -> list[Span]:
    """A model span cut back to its part outside a rule span it crosses, when that part holds a word; a span
    that does not cross it stays as it is."""
    if not _crosses(model, rule):
        return [model]
    start, end = (model.start, rule.start) if model.start < rule.start else (rule.end, model.end)
    core = _word_core(text, start, end)
    return [Span(*core, model.label, model.kind, model.source)] if core else []


def _structured(rule: Span, hits: list[Span]) -> Span:
    """A structured identifier's span covering model spans: its offsets and label; the model's finer kind
    when the model agreed on the label."""
    same = [m for m in hits if m.label == rule.label]
    return Span(rule.start, rule.end, rule.label, same[0].kind if same else rule.kind, "rules+ner" if same else "rules")


def _uncovered(text: str, rule: Span, hits: list[Span]) -> list[Span]:
    """The parts of a rule span outside the model's spans that hold a word: "Calle Mayor" found by the model
    and "Calle Mayor, 18" by a rule leave "18" to remove too."""
    out, cursor = [], rule.start
    for m in [*sorted(hits, key=lambda s: s.start), Span(rule.end, rule.end, rule.label)]:
        core = _word_core(text, cursor, m.start)
        if core and _identifying(text[core[0] : core[1]]):
            out.append(Span(*core, rule.label, rule.kind, rule.source))
        cursor = max(cursor, m.end)
    return out


def _word_core(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The offsets of `text[start:end]` from its first to its last word character; None when it holds none."""
    core = _CORE.search(text, start, end)
    return (core.start(), core.end()) if core else None


_DEPARTMENT = re.compile(r"(?i:servicio|departamento|unidad|secci[oó]n|[aá]rea|planta|consulta)s?\b")
_COMMON = frozenset(
    {
        "tras",
        "de",
        "del",
        "la",
        "el",
        "los",
        "las",
        "y",
        "en",
        "con",
        "por",
        "para",
        "edad",
        "años",
        "ciudad",
        "provincia",
        "the",
        "of",
        "and",
        "in",
        "at",
        "after",
    }
)


def _identifying(piece: str) -> bool:
    """Whether a leftover piece of a rule span can identify: a number, or a capitalised word that is not a
    common word; a department ("Servicio de Oftalmología") does not."""
    if any(ch.isdigit() for ch in piece):
        return True
    if _DEPARTMENT.match(piece):
        return False
    return any(w[:1].isupper() and w.lower() not in _COMMON for w in re.findall(r"[^\W\d_]+", piece))


STRUCTURED = frozenset({"DATE", "ID", "EMAIL", "PHONE", "URL", "COUNTRY"})
"""Labels whose rule spans (patterns with checks and cues, a country's whole name) win over model spans they
contain."""
_NAME_KINDS = {"professional": "NOMBRE_PERSONAL_SANITARIO", "relative": "FAMILIARES_SUJETO_ASISTENCIA"}
_ID_KINDS = {
    "mrn": "ID_SUJETO_ASISTENCIA",
    "dni": "ID_SUJETO_ASISTENCIA",
    "ssn": "ID_SUJETO_ASISTENCIA",
    "insurance": "ID_ASEGURAMIENTO",
    "accession": "ID_CONTACTO_ASISTENCIAL",
    "episode": "ID_CONTACTO_ASISTENCIAL",
    "licence": "ID_TITULACION_PERSONAL_SANITARIO",
    "bed": "ID_CONTACTO_ASISTENCIAL",
}
_BY_LABEL = {
    "DATE": "FECHAS",
    "AGE": "EDAD_SUJETO_ASISTENCIA",
    "SEX": "SEXO_SUJETO_ASISTENCIA",
    "ADDRESS": "CALLE",
    "ZIP": "TERRITORIO",
    "CITY": "TERRITORIO",
    "COUNTRY": "PAIS",
    "EMAIL": "CORREO_ELECTRONICO",
    "PHONE": "NUMERO_TELEFONO",
    "URL": "URL_WEB",
    "PROFESSION": "PROFESION",
    "OTHER": "OTROS_SUJETO_ASISTENCIA",
}


def meddocan_label(span: Span, text: str) -> str:
    """The MEDDOCAN label of a span: the model's own label, else one read from the rule's label and kind."""
    if span.kind in MEDDOCAN_TO_RADBANK:
        return span.kind
    by_kind = {
        "NAME": _NAME_KINDS.get(span.kind, "NOMBRE_SUJETO_ASISTENCIA"),
        "ID": _ID_KINDS.get(span.kind, "ID_SUJETO_ASISTENCIA"),
        "PHONE": "NUMERO_FAX" if span.kind == "fax" else "NUMERO_TELEFONO",
        "INSTITUTION": _institution_label(text[span.start : span.end].lower()),
    }
    return by_kind.get(span.label) or _BY_LABEL.get(span.label, "OTROS_SUJETO_ASISTENCIA")


def _institution_label(value: str) -> str:
    if "centro de salud" in value or value.startswith(("c.s.", "cap ", "consultorio")):
        return "CENTRO_SALUD"
    return "HOSPITAL" if re.search(r"hospital|hosp\.|cl[ií]nica|sanatorio", value) else "INSTITUCION"
