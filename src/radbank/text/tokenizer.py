"""The tokenizer of radbank's own NER models: every punctuation mark is a token of its own.

Entity boundaries in de-identification corpora fall next to any punctuation ("NHC: nhc-150679",
"Sexo: H.", "CP:28029", "2014.El"); spaCy's default rules keep such strings whole, so a span could not be
learnt nor predicted. Here a token is a run of word characters, or one other character; e-mails and URLs
stay whole. The rules are saved with the pipeline (`nlp.to_disk`), so loading needs no code from here.
"""

from __future__ import annotations

import re
from typing import Any

PUNCT = r"[^\w\s]"
EMAIL_OR_URL = re.compile(r"^(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://|www\.)\S+)$")


def configure(nlp: Any) -> Any:
    """Set the punctuation-splitting rules on a spaCy `nlp` object (returned, for use as a callback)."""
    tokenizer = nlp.tokenizer
    tokenizer.rules = {}
    tokenizer.prefix_search = re.compile(rf"^{PUNCT}").search
    tokenizer.suffix_search = re.compile(rf"{PUNCT}$").search
    tokenizer.infix_finditer = re.compile(PUNCT).finditer
    tokenizer.token_match = EMAIL_OR_URL.match
    tokenizer.url_match = None
    return nlp
