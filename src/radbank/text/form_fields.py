"""Values of a form's one-line fields, whatever the word lists and the street patterns say of them:

- a name field: a line that is only "Nombre: Itziar." or "Apellidos:Bravo Quiles" holds a name (one word, a
  name of any origin, no space after the colon);
- an address field: "Domicilio: av. de la ermita 12, 3B" holds a street when it holds a number or "s/n".
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


ADDRESS_FIELD = re.compile(
    r"^[ \t\ufeff]*(?i:domicilio|direcci[oó]n|direccion postal|address)[ \t]*:[ \t]*"
    r"(?P<value>[^\n]*?(?:\d|s/n)[^\n]*?)[ \t.]*$",
    re.M,
)


def field_addresses(text: str) -> list[tuple[int, int]]:
    """(start, end) of every value of an address field that fills the rest of its line and holds a number."""
    return [(m.start("value"), m.end("value")) for m in ADDRESS_FIELD.finditer(text)]
