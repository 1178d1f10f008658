"""ConText (Harkema et al. 2009, as medspacy implements it) over one sentence: each cue modifies the mentions
in its scope; a forward cue's scope runs to the end of the sentence, a backward cue's back to its start, both
cut short by a terminating cue of its category or of any ("but", "however", "which", "pero", "aunque"...; as
in medspacy, "secondary to" or "with" end only a negation's scope) and by the end of a list.

Commas delimit clauses. A forward cue's scope goes on across a comma only while the next clause is an item of
a list (it names a finding or is at most three words, and does not open a new clause with "the", "there", "el",
"se"...): "No focal consolidation, suspicious opacity, large pleural effusion, or pneumothorax" negates all
four. A backward cue's scope crosses a comma when the cue opens its clause (", resolved", ", resuelta"), or
when its clause closes a list ("and", "or", "y", "o", "ni" at its start, or with a mention after it):
"Pneumothorax, effusion and consolidation are not seen".
A mention takes the category of the nearest cue whose scope covers it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

OPENERS = frozenset(
    {
        "the",
        "there",
        "this",
        "these",
        "it",
        "its",
        "which",
        "that",
        "otherwise",
        "also",
        "however",
        "el",
        "la",
        "los",
        "las",
        "lo",
        "se",
        "hay",
        "que",
        "con",
        "resto",
        "esto",
        "este",
        "esta",
        "existe",
    }
)
COORDINATORS = frozenset({"and", "or", "nor", "y", "o", "ni", "e", "u"})
LIST_ITEM_WORDS = 3
_COORDINATOR = re.compile(r"\b(?:and|or|nor|y|o|ni|e|u)\b")
_FIRST_WORD = re.compile(r"\s*(\w+)")


@dataclass(frozen=True)
class Cue:
    """A cue in the folded text."""

    start: int
    end: int
    category: str  # negated | possible | hypothetical
    direction: str  # forward | backward | bidirectional


@dataclass(frozen=True)
class Sentence:
    """A sentence's clauses (comma-separated) and what the scopes need to know about them."""

    start: int
    end: int
    seg_starts: list[int]  # first offset of each clause
    has_mention: list[bool]  # the clause names a finding
    short: list[bool]  # the clause is at most LIST_ITEM_WORDS words
    opens: list[bool]  # the clause starts with an opener word
    coordinated: list[bool]  # the clause holds "and", "or", "y", "o", "ni"...
    leads: list[bool]  # the clause starts with one of those
    terminates: list[tuple[int, int, str]]  # start, end, category ("any" for all)
    cues: list[Cue]
    folded: str

    @classmethod
    def build(
        cls,
        folded: str,
        span: tuple[int, int],
        anchors: list[int],
        terminates: list[tuple[int, int, str]],
        cues: list[Cue],
    ) -> Sentence:
        """Split folded[start:end] at commas; `anchors` are the mentions' offsets."""
        start, end = span
        seg_starts = [start]
        i = folded.find(",", start, end)
        while i >= 0:
            seg_starts.append(i + 1)
            i = folded.find(",", i + 1, end)
        bounds = [*seg_starts[1:], end]
        has_mention = [False] * len(seg_starts)
        for a in anchors:
            has_mention[bisect_right(seg_starts, a) - 1] = True
        short, opens, coordinated, leads = [], [], [], []
        for s, e in zip(seg_starts, bounds, strict=True):
            first = _FIRST_WORD.match(folded, s, e)
            word = first.group(1) if first else ""
            short.append(len(folded[s:e].split()) <= LIST_ITEM_WORDS)
            opens.append(word in OPENERS)
            coordinated.append(_COORDINATOR.search(folded, s, e) is not None)
            leads.append(word in COORDINATORS)
        return cls(start, end, seg_starts, has_mention, short, opens, coordinated, leads, terminates, cues, folded)

    def _seg(self, pos: int) -> int:
        return bisect_right(self.seg_starts, pos) - 1

    def forward_limit(self, cue: Cue) -> int:
        """Where a forward cue's scope ends."""
        limit = min(
            (t[0] for t in self.terminates if t[0] >= cue.end and t[2] in (cue.category, "any")), default=self.end
        )
        j = self._seg(cue.end) + 1
        while j < len(self.seg_starts) and self.seg_starts[j] < limit:
            if not (self.has_mention[j] or self.short[j]) or self.opens[j]:
                return self.seg_starts[j] - 1
            j += 1
        return limit

    def backward_limit(self, cue: Cue) -> int:
        """Where a backward cue's scope begins."""
        limit = max(
            (t[1] for t in self.terminates if t[1] <= cue.start and t[2] in (cue.category, "any")), default=self.start
        )
        k = self._seg(cue.start)
        if (
            k > 0 and not self.folded[self.seg_starts[k] : cue.start].strip()
        ):  # the cue opens its clause: ", resolved", ", resuelta"
            return max(limit, self.seg_starts[k - 1])
        if not (self.leads[k] or (self.coordinated[k] and self.has_mention[k])):
            return max(limit, self.seg_starts[k])
        while (
            k > 0
            and self.seg_starts[k] > limit
            and (self.has_mention[k - 1] or self.short[k - 1])
            and not self.opens[k]
        ):
            k -= 1
        return max(limit, self.seg_starts[k])


def deciding_cue(sentence: Sentence, start: int, end: int) -> Cue | None:
    """The cue that decides a mention at [start, end): the nearest one whose scope covers it, or None."""
    best: Cue | None = None
    best_distance = 1 << 30
    for cue in sentence.cues:
        if cue.direction != "backward" and cue.end <= start < sentence.forward_limit(cue):
            distance = start - cue.end
        elif cue.direction != "forward" and end <= cue.start and start >= sentence.backward_limit(cue):
            distance = cue.start - end
        else:
            continue
        if distance < best_distance:
            best, best_distance = cue, distance
    return best
