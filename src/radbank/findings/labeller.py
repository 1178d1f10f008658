"""Labelling one report: mentions of findings, each present (1), negated (0) or uncertain (-1), and the
report's value per finding in CheXpert's convention (a finding named present anywhere is 1; else uncertain
anywhere is -1; else negated is 0; never named: absent from the result).

Steps: fold the text (lower case, no accents), split it into sentences, find phrases (mentions, heart and
mediastinum words with their state words, ConText cues) in one automaton pass, then apply ConText per
sentence (see context.py). "Heart size is normal" is a negated Cardiomegaly, "enlarged cardiac silhouette"
a present one, "heart size at the upper limits of normal" an uncertain one; hypothetical mentions ("if",
"should there be") are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from radbank.findings.context import Cue, Sentence, deciding_cue
from radbank.findings.fold import fold
from radbank.findings.lexicon import Entry, Match, find
from radbank.findings.segment import sentences

PRESENT, NEGATED, UNCERTAIN = 1, 0, -1
CUE_VALUE = {"negated": NEGATED, "possible": UNCERTAIN}
STATE_WINDOW = 4  # words between a heart/mediastinum word and its state word


@dataclass(frozen=True)
class Mention:
    """A finding named in a report, with what decided its value."""

    finding: str
    start: int
    end: int
    value: int  # PRESENT, NEGATED or UNCERTAIN
    cue: str  # the cue or state words that decided it ("" when stated plainly)


@dataclass
class ReportLabels:
    """One report's labels: finding -> 1 / 0 / -1 for the findings it names, and the mentions behind them."""

    lang: str
    values: dict[str, int] = field(default_factory=dict)
    mentions: list[Mention] = field(default_factory=list)


def _guess(text: str, folded: str) -> tuple[str, list[Match]]:
    """The language whose phrase lists match more of the report (on a tie, the report de-identifier's guess
    from function words), and its matches."""
    from radbank.text.language import guess_language

    en, es = find(folded, "en"), find(folded, "es")
    n_en, n_es = (sum(len(m.entries) for m in found) for found in (en, es))
    lang = guess_language(text) if n_en == n_es else "en" if n_en > n_es else "es"
    return lang, en if lang == "en" else es


def guess_lang(text: str) -> str:
    """'es' or 'en' for a report (see label_report's lang='auto')."""
    return _guess(text, fold(text))[0]


def label_report(text: str, lang: str = "auto") -> ReportLabels:
    """Label one report written in `lang` ('en', 'es' or 'auto': the language whose phrase lists match more)."""
    folded = fold(text)
    lang, matches = _guess(text, folded) if lang == "auto" else (lang, find(folded, lang))
    out = ReportLabels(lang)
    i = 0
    for s_start, s_end in sentences(text):
        while i < len(matches) and matches[i].start < s_start:
            i += 1
        j = i
        while j < len(matches) and matches[j].start < s_end:
            j += 1
        out.mentions += _sentence_mentions(folded, s_start, s_end, matches[i:j])
        i = j
    for m in out.mentions:
        old = out.values.get(m.finding)
        if old is None or old == NEGATED or (old == UNCERTAIN and m.value == PRESENT):
            out.values[m.finding] = m.value
    return out


def _first(match: Match, kind: str) -> Entry | None:
    return next((e for e in match.entries if e.kind == kind), None)


def _sentence_mentions(folded: str, start: int, end: int, matches: list[Match]) -> list[Mention]:
    plain: list[tuple[Match, str]] = []
    anatomy: list[tuple[Match, str]] = []
    states: list[tuple[Match, Entry]] = []
    cues: list[Cue] = []
    terminates: list[tuple[int, int, str]] = []
    for m in matches:
        for e in m.entries:
            if e.kind == "mention":
                plain.append((m, e.name))
            elif e.kind == "anatomy":
                anatomy.append((m, e.name))
            elif e.kind.startswith("state"):
                states.append((m, e))
            elif e.kind == "cue" and e.detail == "terminate":
                terminates.append((m.start, m.end, e.name))
            elif e.kind == "cue" and e.name in ("negated", "possible", "hypothetical"):
                cues.append(Cue(m.start, m.end, e.name, e.detail))
    named = [m.start for m, _ in plain]
    qualified = [q for a, finding in anatomy if (q := _qualify(folded, a, finding, states, named)) is not None]
    anchors = [m.start for m, _ in plain] + [q[0].start for q in qualified]
    if not anchors:
        return []
    sentence = Sentence.build(folded, (start, end), anchors, terminates, cues)
    out = [
        _decide(sentence, folded, Mention(finding, m.start, m.end, PRESENT, ""), (m.start, m.end))
        for m, finding in plain
    ]
    for state, finding, value in qualified:
        how = folded[state.start : state.end]
        out.append(
            _decide(sentence, folded, Mention(finding, state.start, state.end, value, how), (state.start, state.end))
        )
    return [m for m in out if m is not None]


def _decide(sentence: Sentence, folded: str, mention: Mention, anchor: tuple[int, int]) -> Mention | None:
    """The mention with the value its deciding cue gives it; None when hypothetical."""
    if mention.value != PRESENT:  # "normal" and "borderline" state words decide on their own
        return mention
    cue = deciding_cue(sentence, *anchor)
    if cue is None:
        return mention
    if cue.category == "hypothetical":
        return None
    return replace(mention, value=CUE_VALUE[cue.category], cue=folded[cue.start : cue.end])


def _qualify(
    folded: str, anatomy: Match, finding: str, states: list[tuple[Match, Entry]], named: list[int]
) -> tuple[Match, str, int] | None:
    """The state word that goes with a heart/mediastinum word (within STATE_WINDOW words, no comma or other
    finding between them: "large hiatal hernia posterior to the heart" is not a large heart): (state match,
    finding, value) or None."""
    best = None
    best_gap = STATE_WINDOW + 1
    for state, entry in states:
        if state.end <= anatomy.start:
            between = folded[state.end : anatomy.start]
        elif state.start >= anatomy.end and entry.detail != "pre":
            between = folded[anatomy.end : state.start]
        else:
            continue
        lo, hi = min(state.end, anatomy.end), max(state.start, anatomy.start)
        gap = len(between.split())
        if gap < best_gap and "," not in between and not any(lo <= n < hi for n in named):
            best, best_gap = (state, entry), gap
    if best is None:
        return None
    state, entry = best
    value = {"state-enlarged": PRESENT, "state-normal": NEGATED, "state-borderline": UNCERTAIN}[entry.kind]
    return state, finding, value
