"""Finding the names of a long town list in a text by their first word (a dictionary look-up per capitalised
word), as fast as a list of a few hundred names in one regular expression and as exact: a name is taken only
where it stands as whole words ("Elda", not "Eldana"), the longest name first where several begin there.

Also where a place and a name made of listed names meet: a listed town is no name ("Talavera de la Reina"), a
name stops before a listed place, and a name from the lists where an address puts a town is a town."""

from __future__ import annotations

import re
from collections.abc import Iterable

from radbank.text.spans import Span

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


_AFTER_ZIP = re.compile(r"[ \t]*[,.\-]?[ \t]*")
_BEFORE_COUNTRY = re.compile(r"[ \t]*[,(][ \t]*")


def places_in_addresses(text: str, spans: list[Span]) -> list[Span]:
    """A name found only because its words are listed names is a place where an address puts one: right after
    a postal code ("40140 Heredia") or right before a country ("Heredia, Costa Rica")."""
    out = list(spans)
    for i, span in enumerate(spans):
        if span.label != "NAME" or span.source != "gazetteer":
            continue
        before, after = spans[i - 1] if i else None, spans[i + 1] if i + 1 < len(spans) else None
        after_zip = before is not None and before.label == "ZIP" and _AFTER_ZIP.fullmatch(text[before.end : span.start])
        before_country = (
            after is not None and after.label == "COUNTRY" and _BEFORE_COUNTRY.fullmatch(text[span.end : after.start])
        )
        if after_zip or before_country:
            out[i] = Span(span.start, span.end, "CITY", "city", span.source)
    return out


def outside_places(text: str, start: int, end: int, places: list[Span]) -> tuple[int, int]:
    """The part of a name found from listed names that no listed place covers: "Heredia" of "Heredia, Costa"
    ("Costa Rica" follows), nothing of "Talavera de la Reina" (a town), "Martínez Ruiz" of "Elda Martínez Ruiz"
    when "Elda" is a listed town (the rest of the name stays a name)."""
    for p in sorted(places, key=lambda p: p.start):
        if p.end <= start or p.start >= end:
            continue
        if p.start <= start:  # a place opens the name: the name starts after it
            rest = text[p.end : end]
            start = min(end, p.end + len(rest) - len(rest.lstrip(" \t,;()")))
        else:  # a place inside the name: the name ends before it
            end = start + len(text[start : p.start].rstrip(" \t,;("))
    return (start, end) if start < end and text[start].isupper() else (start, start)
