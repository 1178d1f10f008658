"""Dates as reports write them, in Spanish, Catalan/Valencian and English: find, parse, shift, write back alike.

Numeric forms follow the language: 03/12/2021 is 3 December in Spanish (day first) and March 12 in
English (month first, as US reports write it), unless the first number is over 12. Also: year first
("2021/03/12", ISO "2021-03-12", with a time "2021-03-12T14:30"), months abbreviated ("12-ago-2022",
"12-Mar-2021"), written ("12 de marzo de 2021", "12 de març de 2023", "March 12th, 2021", "the 5th of
April 2021"), month and year ("marzo de 2021", "03/2021"), no year ("el pasado 3 de marzo", "March 3rd",
"the 5th of April"), and weekdays (lunes, dimarts, Monday). A shifted date is written in the form it was
found in (ordinal suffixes recomputed: "15th", not "15rd"), so the text reads the same and the intervals
between a patient's dates survive.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS_ES = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]
MONTHS_EN = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
MONTHS_CA = [
    "gener",
    "febrer",
    "març",
    "abril",
    "maig",
    "juny",
    "juliol",
    "agost",
    "setembre",
    "octubre",
    "novembre",
    "desembre",
]
WEEKDAYS = {
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
    "ca": ["dilluns", "dimarts", "dimecres", "dijous", "divendres", "dissabte", "diumenge"],
    "en": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
}
_MONTH_NUMBER = {name: i + 1 for names in (MONTHS_CA, MONTHS_ES, MONTHS_EN) for i, name in enumerate(names)}
_MONTH_NUMBER.update({"marc": 3, "sept": 9, "setiembre": 9, "ene": 1, "abr": 4, "ago": 8, "dic": 12, "gen": 1})
_MONTH_NUMBER.update({name[:3]: i + 1 for i, name in enumerate(MONTHS_EN)})
_MONTH_NUMBER.update({name[:3]: i + 1 for i, name in enumerate(MONTHS_ES) if name[:3] not in _MONTH_NUMBER})
_ES_ONLY_ABBREVS = {n[:3] for n in MONTHS_ES} - {n[:3] for n in MONTHS_EN}
_MONTH_WORD = "|".join(sorted(_MONTH_NUMBER, key=len, reverse=True))
_FULL_MONTH = "|".join(sorted({*MONTHS_ES, *MONTHS_EN, *MONTHS_CA, "setiembre"}, key=len, reverse=True))
_M = rf"(?P<month>{_MONTH_WORD})\.?"
_MF = rf"(?P<month>{_FULL_MONTH}|(?-i:[A-Z][a-z]{{2}})\.)"  # a yearless date needs a full or capitalised month
_Y = r"(?P<year>(?:19|20)\d{2})"
_D = r"(?P<d>[0-3]?\d)(?P<suf>st|nd|rd|th|º)?"
_DE = r"\s+(?:de\s+|d['’]\s*)"
_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_MONTH_SLASH_DAY = r"(?P<m>0?[1-9]|1[0-2])/(?P<d>\d{2})"  # "2/03", "8/79": a day or a two-digit year
_WEEKDAY = "|".join(w for names in WEEKDAYS.values() for w in names)
# a month named alone is a date element too: English months capitalised (not the verbs May and March), Spanish
# and Catalan months in any case
_MONTH_ALONE = "|".join(
    [m.capitalize() for m in MONTHS_EN if m not in ("may", "march")]
    + [f"{m}|{m.capitalize()}" for m in {*MONTHS_ES, *MONTHS_CA} - set(MONTHS_EN) - {"mayo", "marzo", "març"}]
    + ["mayo", "marzo"]
)

PATTERNS = [
    ("iso", re.compile(rf"\b{_Y}(?P<sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=sep)(?P<d>0?[1-9]|[12]\d|3[01])(?!\d){_TIME}")),
    ("numeric", re.compile(r"\b(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>(?:19|20)?\d{2})\b")),
    ("d_mon_y", re.compile(rf"\b(?P<d>[0-3]?\d)(?P<sep>[-/. ]){_M}(?P=sep)(?P<year>(?:19|20)?\d{{2}})\b", re.I)),
    ("d_de_m_de_y", re.compile(rf"\b{_D}{_DE}{_M}\s+(?:de(?:l)?\s+)?{_Y}\b", re.I)),
    ("d_m_y", re.compile(rf"\b{_D}\s+(?:of\s+)?{_M},?\s+{_Y}\b", re.I)),
    ("m_d_y", re.compile(rf"\b{_M}\s+{_D},?\s+{_Y}\b", re.I)),
    ("m_de_y", re.compile(rf"\b{_M}\s+(?:de(?:l)?\s+|d['’]\s*)?{_Y}\b", re.I)),
    ("m_y_numeric", re.compile(r"(?<![\d/.-])(?P<m>0?[1-9]|1[0-2])/(?P<year>(?:19|20)\d{2})\b(?![/.-]\d)")),
    ("d_de_m", re.compile(rf"\b{_D}{_DE}{_MF}\b", re.I)),
    ("d_m", re.compile(rf"\b(?:the\s+)?{_D}\s+(?:of\s+)?{_MF}\b", re.I)),
    ("m_d", re.compile(rf"\b{_MF}\s+{_D}\b(?![.,]?\d)", re.I)),
    (
        "m_d_numeric",
        re.compile(
            r"(?i:\b(?:on|in|since|from|until|dated|compared\s+(?:with|to)|versus|vs\.?|el|del|desde|hasta)\s+)"
            rf"{_MONTH_SLASH_DAY}\b(?![/.-]?\d)"
        ),
    ),
    ("weekday", re.compile(rf"\b(?P<weekday>{_WEEKDAY})\b", re.I)),
    ("month", re.compile(rf"(?<![\w.])(?P<month>(?-i:{_MONTH_ALONE}))(?![\w])")),
]
_NO_YEAR = {"d_de_m", "d_m", "m_d", "weekday", "month"}
_NEEDS = {
    form: "month" for form in ("d_mon_y", "d_de_m_de_y", "d_m_y", "m_d_y", "m_de_y", "d_de_m", "d_m", "m_d", "month")
} | {"weekday": "weekday"}
_DIGIT = re.compile(r"\d")
_LETTERS = re.compile(r"[^\W\d_]+")
_MONTH_WORDS = frozenset(_MONTH_NUMBER)
_WEEKDAY_WORDS = frozenset(w for names in WEEKDAYS.values() for w in names)
_LEAP = 2000  # the year a yearless date is read in (so 29 February parses)
FULL_YEAR, CENTURY_PIVOT, MONTHS, MAX_DAY = 4, 50, 12, 31  # two-digit years below the pivot are 20xx


@dataclass(frozen=True)
class FoundDate:
    """A date in a text: where, what day (the 1st for month-only forms), and how it was written."""

    start: int
    end: int
    date: dt.date
    form: str
    match: re.Match[str]


def find_dates(text: str, lang: str) -> list[FoundDate]:
    """Every parseable date in `text` (forms tried in order; overlapping candidates dropped)."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    words = set(_LETTERS.findall(text.lower()))  # a cheap scan first: most reports name no month nor weekday
    has = {
        "digit": _DIGIT.search(text) is not None,
        "month": not words.isdisjoint(_MONTH_WORDS),
        "weekday": not words.isdisjoint(_WEEKDAY_WORDS),
    }
    for form, pattern in PATTERNS:
        if not has[_NEEDS.get(form, "digit")]:
            continue
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            day = _parse(m, form, lang)
            if day is not None:  # the date without the preposition that cues a numeric month/day ("on 2/03")
                found.append(FoundDate(m.start("m") if form == "m_d_numeric" else m.start(), m.end(), day, form, m))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


_BARE_MONTH_DAY = re.compile(_MONTH_SLASH_DAY)


def dates_in_span(value: str, form: str, lang: str) -> list[FoundDate]:
    """The dates of a found date's text alone; a numeric month/day was found after its cue ("on 2/03"), which
    the span leaves out, so it is read bare."""
    m = _BARE_MONTH_DAY.fullmatch(value) if form == "m_d_numeric" else None
    day = _parse(m, form, lang) if m else None
    if m and day:
        return [FoundDate(0, len(value), day, form, m)]
    return find_dates(value, lang)


def _year(text: str) -> int:
    y = int(text)
    return y if len(text) == FULL_YEAR else (2000 + y if y < CENTURY_PIVOT else 1900 + y)


def _numeric(g: dict[str, str], lang: str) -> dt.date:
    a, b = int(g["a"]), int(g["b"])
    day, month = (b, a) if lang == "en" and a <= MONTHS else (a, b)
    if month > MONTHS:  # written the other way round
        day, month = month, day
    return dt.date(_year(g["year"]), month, day)


def _weekday(g: dict[str, str]) -> dt.date:
    """A day of the week: Monday 3 January 2000 plus its index."""
    name = g["weekday"].lower()
    return dt.date(2000, 1, 3 + next(names.index(name) for names in WEEKDAYS.values() if name in names))


def _month_day(g: dict[str, str]) -> dt.date:
    """ "on 2/03": a day when the number can be one, else a two-digit year."""
    day = int(g["d"])
    return dt.date(_LEAP, int(g["m"]), day) if day <= MAX_DAY else dt.date(_year(g["d"]), int(g["m"]), 1)


def _named_month(g: dict[str, str], form: str) -> dt.date | None:
    if form in _NO_YEAR and g["month"] in ("may", "mar"):  # the verb, the sea
        return None
    month = _MONTH_NUMBER[g["month"].lower().rstrip(".")]
    year = _LEAP if form in _NO_YEAR else _year(g["year"])
    return dt.date(year, month, int(g["d"]) if g.get("d") else 1)


_PARSERS = {
    "weekday": lambda g, lang: _weekday(g),
    "iso": lambda g, lang: dt.date(int(g["year"]), int(g["m"]), int(g["d"])),
    "m_y_numeric": lambda g, lang: dt.date(int(g["year"]), int(g["m"]), 1),
    "m_d_numeric": lambda g, lang: _month_day(g),
    "numeric": _numeric,
}


def _parse(m: re.Match[str], form: str, lang: str) -> dt.date | None:
    try:
        g = m.groupdict()
        parser = _PARSERS.get(form)
        return parser(g, lang) if parser else _named_month(g, form)
    except (ValueError, KeyError, StopIteration):
        return None


def ordinal(day: int) -> str:
    """English ordinal suffix of a day number: st, nd, rd or th."""
    return "th" if day % 100 in range(10, 21) else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def write_like(found: FoundDate, day: dt.date, lang: str) -> str:
    """`day` written the way `found` was (same separators, order, padding, month language and case)."""
    m, g = found.match, found.match.groupdict()
    if found.form == "weekday":
        return _weekday_like(g["weekday"], day.weekday())
    if found.form == "numeric":
        a_is_day = int(g["a"]) == found.date.day and int(g["b"]) == found.date.month
        first, second = (day.day, day.month) if a_is_day else (day.month, day.day)
        values = {"a": first, "b": second}
    elif found.form == "m_d_numeric" and int(g["d"]) > MAX_DAY:  # month / two-digit year ("with 8/79")
        values = {"d": day.year % 100, "m": day.month}
    else:
        values = {"d": day.day, "m": day.month}
    replacements = []
    for name, value in values.items():
        if g.get(name):
            replacements.append((m.start(name), m.end(name), f"{value:0{len(g[name])}d}"))
    if g.get("suf") and g["suf"] != "º":
        replacements.append((m.start("suf"), m.end("suf"), _same_case(g["suf"], ordinal(day.day))))
    if g.get("year"):
        year = f"{day.year:04d}" if len(g["year"]) == FULL_YEAR else f"{day.year % 100:02d}"
        replacements.append((m.start("year"), m.end("year"), year))
    if g.get("month"):
        replacements.append((m.start("month"), m.end("month"), _month_like(g["month"], day.month, lang)))
    text, offset = m.string[found.start : found.end], found.start
    for start, end, new in sorted(replacements, reverse=True):
        text = text[: start - offset] + new + text[end - offset :]
    return text


def _weekday_like(word: str, weekday: int) -> str:
    low = word.lower()
    names = next(names for names in WEEKDAYS.values() if low in names)
    return _same_case(word, names[weekday])


def _month_like(word: str, month: int, lang: str) -> str:
    """Month `month` named in the language, length (full or 3-letter) and case of `word`."""
    low = word.lower().rstrip(".")
    if low in MONTHS_CA and low not in MONTHS_ES and low not in MONTHS_EN:
        names = MONTHS_CA
    else:
        spanish = low in MONTHS_ES or low in _ES_ONLY_ABBREVS or (lang == "es" and low not in MONTHS_EN)
        names = MONTHS_ES if spanish else MONTHS_EN
    name = names[month - 1]
    if low not in MONTHS_ES and low not in MONTHS_EN and low not in MONTHS_CA:  # an abbreviation
        name = name[:3] + ("." if word.endswith(".") else "")
    return _same_case(word, name)


def _same_case(model: str, word: str) -> str:
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model[:1].isupper():
        return word.capitalize()
    return word
