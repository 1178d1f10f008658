"""The packaged phrase lists (resources/findings_mentions.tsv, findings_context.tsv), compiled per language
into one Aho-Corasick automaton that finds mentions, heart/mediastinum words, state words and ConText cues
in a single pass over the folded report; overlapping matches are resolved longest first."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import ahocorasick

from radbank.errors import RadbankError
from radbank.findings.fold import fold_phrase

LANGS = ("en", "es")
KINDS = ("mention", "ignore", "anatomy", "state-enlarged", "state-normal", "state-borderline", "cue")
CATEGORIES = ("negated", "possible", "hypothetical", "terminate", "pseudo")
DIRECTIONS = ("forward", "backward", "bidirectional", "terminate", "pseudo")


@dataclass(frozen=True)
class Entry:
    """One row of a phrase list: what a matched phrase means."""

    kind: str  # one of KINDS
    name: str  # the finding (mention, anatomy), the cue's category, or "" (ignore, states)
    detail: str  # the cue's direction, or where a state word may stand (any | pre)
    prefix: bool  # the phrase's last word may go on ("atelecta*")


@dataclass(frozen=True)
class Match:
    """A phrase found in the folded text, and every list entry it stands for."""

    start: int
    end: int
    entries: tuple[Entry, ...]


def _rows(name: str, width: int) -> list[list[str]]:
    text = resources.files("radbank.resources").joinpath(name).read_text("utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    rows = [line.split("\t") for line in lines[1:]]
    bad = [r for r in rows if len(r) != width]
    if bad:
        raise RadbankError(f"{name}: {len(bad)} row(s) without {width} tab-separated cells, e.g. {bad[0]}")
    return rows


@cache
def entries(lang: str) -> dict[str, tuple[Entry, ...]]:
    """Folded phrase -> its entries, for one language ('en' or 'es')."""
    if lang not in LANGS:
        raise RadbankError(f"no phrase lists for language {lang!r}; choose one of {', '.join(LANGS)}")
    table: dict[str, list[Entry]] = {}
    for row_lang, kind, finding, phrase, _source in _rows("findings_mentions.tsv", 5):
        if row_lang == lang:
            name = "" if kind.startswith("state") or kind == "ignore" else finding
            detail = finding if kind.startswith("state") else ""
            _add(table, phrase, kind, name, detail)
    for row_lang, category, direction, phrase, _source in _rows("findings_context.tsv", 5):
        if row_lang == lang:
            _add(table, phrase, "cue", category, direction)
    return {k: tuple(v) for k, v in table.items()}


def _add(table: dict[str, list[Entry]], phrase: str, kind: str, name: str, detail: str) -> None:
    prefix = phrase.endswith("*")
    key = fold_phrase(phrase.rstrip("*"))
    entry = Entry(kind, name, detail, prefix)
    if entry not in table.setdefault(key, []):
        table[key].append(entry)


@cache
def automaton(lang: str) -> ahocorasick.Automaton:
    """The compiled automaton of a language's phrases (value: (phrase length, entries))."""
    auto = ahocorasick.Automaton()
    for phrase, found in entries(lang).items():
        auto.add_word(phrase, (len(phrase), found))
    auto.make_automaton()
    return auto


def _word_end(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i].isalnum():
        i += 1
    return i


def find(folded: str, lang: str) -> list[Match]:
    """Whole-word matches of the language's phrases in `folded`, without overlaps (longest wins), in order."""
    found: list[Match] = []
    n = len(folded)
    for last, (length, group) in automaton(lang).iter(folded):
        start, end = last - length + 1, last + 1
        if start > 0 and folded[start - 1].isalnum():
            continue
        if end < n and folded[end].isalnum():
            prefixed = tuple(e for e in group if e.prefix)
            if not prefixed:
                continue
            found.append(Match(start, _word_end(folded, end), prefixed))
        else:
            found.append(Match(start, end, group))
    found.sort(key=lambda m: (m.start - m.end, m.start))
    taken = bytearray(n + 1)
    kept = []
    for m in found:
        if taken.find(1, m.start, m.end) < 0:
            taken[m.start : m.end] = b"\x01" * (m.end - m.start)
            kept.append(m)
    kept.sort(key=lambda m: m.start)
    return kept


def findings_of(lang: str) -> list[str]:
    """The findings the language's mention list can name, in file order."""
    seen: dict[str, None] = {}
    for row_lang, kind, finding, _phrase, _source in _rows("findings_mentions.tsv", 5):
        if row_lang == lang and kind in ("mention", "anatomy"):
            seen.setdefault(finding, None)
    return list(seen)
