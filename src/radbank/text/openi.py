"""The Indiana University chest X-ray reports (Open-i's `ecgen-radiology/*.xml`, as torchxrayvision ships them in
`data/NLMCXR_reports.tgz`; CC BY-NC-ND 4.0, so they are read where they lie and never copied into a repository).

Each report becomes one text: its labelled sections (COMPARISON, INDICATION, FINDINGS, IMPRESSION) as
"LABEL: text" lines. The reports were de-identified by their publisher (names, dates and numbers became
XXXX), so whatever a de-identifier changes in them, beyond the placeholders, is clinical text it damaged.
"""

from __future__ import annotations

import re
import tarfile
from pathlib import Path
from xml.etree import ElementTree

from radbank.errors import RadbankError
from radbank.text.combine import is_placeholder
from radbank.text.spans import Span

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def read_openi_reports(archive: str | Path) -> list[tuple[str, str]]:
    """(report id, text) of every report with some text in the .tgz, in archive order."""
    out = []
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if not member.isfile() or not member.name.endswith(".xml"):
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                root = ElementTree.fromstring(handle.read())
                sections = [
                    f"{a.get('Label', '')}: {a.text.strip()}"
                    for a in root.iter("AbstractText")
                    if a.text and a.text.strip()
                ]
                if sections:
                    out.append((Path(member.name).stem, "\n".join(sections)))
    except (OSError, tarfile.TarError, ElementTree.ParseError) as exc:
        raise RadbankError(f"{archive}: not an Open-i reports archive ({exc})") from None
    return out


def changed_words(text: str, spans: list[Span], kept: frozenset[str] = frozenset()) -> list[str]:
    """The words a de-identifier replaces in `text` that are not redaction placeholders."""
    words = []
    for s in spans:
        if s.label in kept:
            continue
        words += [w for w in _WORD.findall(text[s.start : s.end]) if not is_placeholder(w)]
    return words
