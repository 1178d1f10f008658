"""Kinship words ("su madre", "dos hermanos", "Hijo de una prima"): family history, not identifiers.

MEDDOCAN labels a relative's mention FAMILIARES_SUJETO_ASISTENCIA whether or not it holds a name, so the
Spanish model finds "madre" alone. radbank keeps such a span in the text (label KINSHIP, one of the kept
labels, scored as FAMILIARES_SUJETO_ASISTENCIA) and, in a relative's span that goes on to a name ("madre
Teresa Ruiz"), replaces only the name.
"""

from __future__ import annotations

import re

from radbank.text.spans import Span

KINSHIP_LABEL = "KINSHIP"
FAMILIARES = "FAMILIARES_SUJETO_ASISTENCIA"
_STEMS = (
    # Spanish (with gender and number endings added below), Catalan/Valencian, English
    "hij|herman|espos|abuel|biabuel|bisabuel|niet|bisniet|t[ií]|prim|sobrin|cuñad|suegr|gemel|mellic|"
    "hermanastr|padrastr|madrastr|novi|ahijad|padrin|madrin"
)
KINSHIP_WORD = re.compile(
    rf"(?i:(?:{_STEMS})(?:o|a|os|as)|padres?|madres?|pap[aá]s?|mam[aá]s?|marido|maridos|yerno|nuera|pareja|"
    r"c[oó]nyuges?|progenitor(?:a|es|as)?|familiar(?:es)?|familia|pare|mare|germ[àa]|germanes|fill|filla|"
    r"mother|father|parents?|brothers?|sisters?|siblings?|sons?|daughters?|husband|wife|spouse|grand"
    r"(?:mother|father|parents?|son|daughter|child(?:ren)?)|aunt|uncle|cousins?|niece|nephew|family|relatives?|"
    r"twins?|step(?:mother|father|son|daughter))"
)
# the words a relatives' mention holds besides kinship words: function words, counts, sides and ranks
_AROUND = frozenset(
    re.findall(
        r"\w+",
        "de del la el los las lo un una unos unas su sus mi mis tu y e o u con sin por para a al en otro otra otros "
        "otras ambos ambas sendos sendas dos tres cuatro cinco seis siete ocho nueve diez once doce primer primera "
        "primero segundo segunda tercer tercera mayor menor mayores menores materno materna maternos maternas paterno "
        "paterna paternos paternas político política políticos políticas gemelo gemela gemelos gemelas mellizo melliza "
        "varón varones mujer mujeres sano sana sanos sanas fallecido fallecida biológico biológica adoptivo adoptiva "
        "rama línea paciente the a an his her their my our your of and or both two three four five older younger elder "
        "eldest maternal paternal twin other another late deceased",
    )
)
_MISREAD = ("NAME", "EMAIL", "INSTITUTION", "OTHER")  # labels a model gives kinship words
_WORD = re.compile(r"[^\W\d_]+")
_PREFIX = re.compile(rf"(?:{KINSHIP_WORD.pattern}\b[ \t]*(?:de[ \t]+)?)+")


def kinship_words(value: str) -> bool:
    """True when `value` names a relative without a name: kinship words and nothing but function words,
    counts and sides around them ("Hijo de una prima hermana", "dos hermanos", "abuelo materno"). Any other word
    ("madre Teresa", "madre maría lópez" written in lower case) leaves the span a name, replaced."""
    words = [w.lower() for w in _WORD.findall(value)]
    kin = [bool(KINSHIP_WORD.fullmatch(w)) for w in words]
    return any(kin) and all(k or w in _AROUND for w, k in zip(words, kin, strict=True))


def kinship_prefix(value: str) -> int:
    """The length of the kinship words that open a relative's span before a name ("madre " in "madre Teresa
    Ruiz"); 0 when the span does not open with a kinship word or holds nothing else."""
    m = _PREFIX.match(value)
    return m.end() if m is not None and value[m.end() : m.end() + 1].isupper() else 0


def keep_kinship(text: str, spans: list[Span]) -> list[Span]:
    """Spans of kinship words alone become kept KINSHIP spans (scored as FAMILIARES); one right before a
    relative's name joins it ("madre" + "Teresa Ruiz": one relative's span, MEDDOCAN's extent)."""
    out: list[Span] = []
    for span in spans:
        if span.label in _MISREAD and kinship_words(text[span.start : span.end]):
            span = Span(span.start, span.end, KINSHIP_LABEL, FAMILIARES, span.source)
        before = out[-1] if out else None
        if (
            before is not None
            and before.label == KINSHIP_LABEL
            and span.label == "NAME"
            and span.kind in ("relative", FAMILIARES)
            and not text[before.end : span.start].strip()
        ):
            out[-1] = Span(before.start, span.end, "NAME", FAMILIARES, span.source)
        else:
            out.append(span)
    return out


def replaced(text: str, span: Span) -> Span:
    """The part of a span that is replaced: a name's span without the kinship words that open it."""
    prefix = kinship_prefix(text[span.start : span.end]) if span.label == "NAME" else 0
    return Span(span.start + prefix, span.end, span.label, span.kind, span.source) if prefix else span
