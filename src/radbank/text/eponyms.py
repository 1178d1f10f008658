"""Eponyms in their clinical context, so that a name is never taken from, nor spread into, "Murphy sign",
"signo de Murphy", "sonda Foley", "Greenfield filter", "nódulo de la hermana María José" or "Ann Arbor".

Protected: any capitalised word right before an English head noun (sign, catheter, filter, nodule,
disease, fracture...; "Murphy's sign" too) or right after a Spanish one ("signo de", "sonda", "filtro de",
"enfermedad de"...), and every multi-word eponym of the packaged list wherever it stands. A word of the
list (resources/text_eponyms.txt) alone is not a name unless a title or a cue says so.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

UP = "A-ZÁÉÍÓÚÑÜÀÈÒÇÏÖ"
_CAP = rf"[{UP}][\wÀ-ÿ'’]*(?:-[{UP}][\wÀ-ÿ'’]*)*"
HEADS_EN = (
    r"signs?|catheters?|tubes?|filters?|nodules?|nodes?|disease|syndrome|fractures?|lesions?|lines?|"
    r"scores?|scales?|classification|criteria|stage|staging|views?|maneuver|manoeuvre|procedure|operation|"
    r"shunt|valve|pouch|space|ring|stents?|drains?|clips?|needle|nail|plate|pins?|wires?|rods?|screws?|"
    r"prosthesis|hump|sulcus|angle|index|grade|grading|type|category|test|effect|phenomenon|bod(?:y|ies)|"
    r"cysts?|cells?|tumou?r|sarcoma|lymphoma|ligament|canal|foramen|hernia|diverticulum|triangle|fossa|duct|"
    r"gland|capsule|fascia|artery|aneurysm|malformation|anomaly|deformity|ratio|law|technique|repair|"
    r"arthroplasty|hemiarthroplasty|palsy|ulcer|port|line|system|units?|HU|reflex|circle|fat pad|"
    r"mask"
)
HEADS_ES = (
    r"signos?|sondas?|cat[eé]ter(?:es)?|filtros?|n[oó]dulos?|ganglios?|enfermedad|s[ií]ndrome|fracturas?|"
    r"lesi[oó]n|l[ií]neas?|escalas?|clasificaci[oó]n|criterios|estadio|estadiaje|proyecci[oó]n|maniobra|"
    r"procedimiento|intervenci[oó]n|derivaci[oó]n|v[aá]lvula|bolsa|espacio|anillo|stent|drenajes?|clips?|"
    r"aguja|clavos?|placas?|pr[oó]tesis|joroba|surco|[aá]ngulo|[ií]ndice|grado|tipo|categor[ií]a|prueba|test|"
    r"efecto|fen[oó]meno|cuerpos?|quistes?|c[eé]lulas?|tumor|sarcoma|linfoma|ligamento|conducto|agujero|"
    r"hernia|divert[ií]culo|tri[aá]ngulo|fosa|gl[aá]ndula|c[aá]psula|fascia|arteria|aneurisma|malformaci[oó]n|"
    r"anomal[ií]a|deformidad|ley|t[eé]cnica|tubos?|c[aá]nula|[uú]lcera|par[aá]lisis|reflejo|pol[ií]gono|"
    r"unidades|UH|mascarilla|material de osteos[ií]ntesis"
)
_AFTER_EN = re.compile(rf"(?P<w>{_CAP}(?:[ \t]+{_CAP}){{0,2}})(?:'s|’s)?[ \t]+(?i:{HEADS_EN})\b")
_BEFORE_ES = re.compile(
    rf"(?i:\b(?:{HEADS_ES}))[ \t]+(?:(?:de|del|de la|tipo)[ \t]+)?(?P<w>{_CAP}(?:[ \t]+{_CAP}){{0,2}})"
)


@cache
def eponym_words() -> tuple[frozenset[str], tuple[str, ...]]:
    """(lower-cased single words of the list, multi-word eponyms as written)."""
    text = resources.files("radbank.resources").joinpath("text_eponyms.txt").read_text("utf-8")
    entries = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    words = frozenset(w.lower() for e in entries for w in re.split(r"[\s-]+", e) if w)
    phrases = tuple(sorted((e for e in entries if " " in e), key=len, reverse=True))
    return words, phrases


@cache
def _phrase_pattern() -> re.Pattern[str]:
    _, phrases = eponym_words()
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b", re.I)


# clinical scores named after a place or a person, with their value or scale: "un Glasgow de 8", "Glasgow 15"
_SCORE = re.compile(
    r"\b(?:Glasgow|Apgar|Karnofsky|Ranson|Child(?:-Pugh)?|Gleason|Breslow|Clark|Hunt|Fisher)"
    r"(?=\s*(?:de\s+|of\s+|[:=]\s*)?\d|\s+(?i:coma|score|scale))"
)


def protected_spans(text: str) -> list[tuple[int, int]]:
    """Where eponyms stand in their clinical context (name and place spans must not overlap these)."""
    out = [(m.start("w"), m.end("w")) for pattern in (_AFTER_EN, _BEFORE_ES) for m in pattern.finditer(text)]
    out += [(m.start(), m.end()) for m in _SCORE.finditer(text)]
    out += [(m.start(), m.end()) for m in _phrase_pattern().finditer(text)]
    return out


def only_eponym_words(value: str) -> bool:
    """True when every word of `value` is a listed eponym word (so alone it is not a name)."""
    words, _ = eponym_words()
    tokens = [t.lower() for t in re.findall(r"[^\W\d_]+", value)]
    return bool(tokens) and all(t in words for t in tokens)
