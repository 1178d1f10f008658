"""Finding the names of a long town list in a text by their first word (a dictionary look-up per capitalised
word), as fast as a list of a few hundred names in one regular expression and as exact: a name is taken only
where it stands as whole words ("Elda", not "Eldana"), the longest name first where several begin there."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"(?<![\w.])[^\W\d_][\w'’]*")


class TownFinder:
    """`find(text)` -> (start, end) of every listed name in `text`."""

    def __init__(self, names: Iterable[str]) -> None:
        self.by_first: dict[str, list[str]] = {}
        for name in sorted(set(names), key=len, reverse=True):
            first = _WORD.match(name)
            if first:
                self.by_first.setdefault(first.group(0), []).append(name)

    def find(self, text: str) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for m in _WORD.finditer(text):
            if out and m.start() < out[-1][1]:
                continue
            for name in self.by_first.get(m.group(0), ()):
                end = m.start() + len(name)
                if text.startswith(name, m.start()) and not (
                    end < len(text) and (text[end].isalnum() or text[end] == "_")
                ):
                    out.append((m.start(), end))
                    break
        return out
