"""Which language a report is in ('es' or 'en'): light, for every command that reads reports."""

from __future__ import annotations

import re

_ES_HINTS = re.compile(
    r"\b(?:el|la|los|las|de|del|con|sin|que|se|y|en|por|para|paciente|hallazgos|derrame|"
    r"pulmonar|tórax|izquierd[oa]|derech[oa]|informe)\b",
    re.I,
)
_EN_HINTS = re.compile(
    r"\b(?:the|of|and|with|without|is|are|no|in|for|patient|findings|effusion|lung|chest|"
    r"left|right|impression|report)\b",
    re.I,
)


def guess_language(text: str) -> str:
    """'es' or 'en', by counting frequent function and radiology words of each."""
    return "es" if len(_ES_HINTS.findall(text)) >= len(_EN_HINTS.findall(text)) else "en"
