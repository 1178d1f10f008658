"""Names in a form's name fields: a line that is only "Nombre: Itziar." or "Apellidos:Bravo Quiles" holds a
name, whatever the word lists say of it (one word, a name of any origin, no space after the colon).

The field must start its line and the value must end it (a full stop may close it), so that a sentence
after "Paciente:" ("Paciente: Mujer de 40 años con ...") is not taken.
"""

from __future__ import annotations

import re

from radbank.text.names import PARTICLE, WORD

NAME_FIELDS = (
    r"nombre(?: y apellidos| completo)?|apellidos(?: y nombre)?|primer apellido|segundo apellido|"
    r"nom|cognoms|patient(?:'s)? name|name|surname|first name|last name|given names?|family name"
)
_VALUE = rf"(?:{WORD})(?:[ \t]+(?:{PARTICLE}[ \t]+)?(?:{WORD})){{0,5}}"
FIELD_NAME = re.compile(
    rf"^[ \t\ufeff]*(?i:{NAME_FIELDS})[ \t]*:[ \t]*(?P<name>{_VALUE})[ \t]*(?:\.[ \t]*)?$",
    re.M,
)


def field_names(text: str) -> list[tuple[int, int]]:
    """(start, end) of every value of a name field that fills the rest of its line."""
    return [(m.start("name"), m.end("name")) for m in FIELD_NAME.finditer(text)]
