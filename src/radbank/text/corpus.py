"""Annotated report corpora: the gold JSONL format, a markup to write one by hand, and a generator.

Gold JSONL: one object per line, {"id", "lang", "text", "spans": [{"start", "end", "label"}]}.
Markup: `[[LABEL:text]]` inside a report; blocks start with `=== ID LANG`; `#` lines are comments.
The generator writes synthetic reports (Spanish and English radiology phrasing, findings with eponyms,
vertebral levels and measurements) with fictitious PHI from Faker in varied formats, annotated.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from faker import Faker

from radbank.errors import RadbankError
from radbank.text.dates import MONTHS_EN, MONTHS_ES
from radbank.text.spans import LABELS

MARK = re.compile(r"\[\[([A-Z_]+):(.+?)\]\]", re.S)

P_SURNAMES2 = 0.7  # share of Spanish names with two surnames
P_NO_MIDDLE = 0.8  # share of English names without a middle name


def parse_markup(text: str) -> list[dict[str, Any]]:
    """Reports of a markup file as gold records."""
    records = []
    for block in re.split(r"^=== ", text, flags=re.M)[1:]:
        header, _, body = block.partition("\n")
        rid, lang = header.split()[:2]
        body = "\n".join(line for line in body.splitlines() if not line.startswith("#")).strip("\n")
        plain, spans, last = [], [], 0
        length = 0
        for m in MARK.finditer(body):
            plain.append(body[last : m.start()])
            length += m.start() - last
            spans.append({"start": length, "end": length + len(m.group(2)), "label": m.group(1)})
            plain.append(m.group(2))
            length += len(m.group(2))
            last = m.end()
        plain.append(body[last:])
        records.append({"id": rid, "lang": lang, "text": "".join(plain), "spans": spans})
    return records


def read_gold(path: str | Path) -> list[dict[str, Any]]:
    """Records of a gold JSONL file, checked (offsets inside the text, labels present)."""
    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise RadbankError(f"{path}: gold corpus not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RadbankError(f"{path}: not a UTF-8 JSONL file ({type(exc).__name__})") from None
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            text = rec["text"]
            for s in rec["spans"]:
                if not (0 <= s["start"] < s["end"] <= len(text)) or not s.get("label"):
                    raise ValueError(f"bad span {s}")
            records.append(
                {"id": str(rec.get("id", n)), "lang": rec.get("lang", "auto"), "text": text, "spans": rec["spans"]}
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise RadbankError(f"{path}:{n}: not a gold record ({exc})") from None
        unknown = sorted({s["label"] for s in rec["spans"]} - set(LABELS))
        if unknown:
            raise RadbankError(f"{path}:{n}: unknown label {unknown[0]!r} (labels: {', '.join(LABELS)})")
    if not records:
        raise RadbankError(f"{path}: no gold records (empty file)")
    return records


def write_gold(records: list[dict[str, Any]], path: str | Path) -> None:
    """Write records as gold JSONL (atomically)."""
    from radbank.fsutil import write_text

    write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


# --- generator ---------------------------------------------------------------------------------------------------

FINDINGS = {
    "es": [
        "No se observan condensaciones ni derrame pleural.",
        "Signo de Hampton en base izquierda.",
        "Líneas B de Kerley en ambas bases.",
        "Catéter de Swan-Ganz con extremo en arteria pulmonar.",
        "Fractura por aplastamiento de L{v} con pérdida de altura del {p}%.",
        "Nódulo de {mm} mm en LSI.",
        "Antecedente de linfoma de Hodgkin.",
        "Enfermedad de Crohn con engrosamiento ileal de {mm} mm.",
        "Neumotórax apical derecho de {cm} cm.",
        "Cardiomegalia. Pinzamiento del seno costofrénico izquierdo.",
        "Aplastamiento vertebral de T{t} sin cambios.",
        "Enfermedad de Parkinson conocida.",
        "Tratamiento con enoxaparina 40 mg.",
        "Índice cardiotorácico de 0,{p}.",
    ],
    "en": [
        "No focal consolidation or pleural effusion.",
        "Hampton hump at the left base.",
        "Kerley B lines at both bases.",
        "Swan-Ganz catheter tip in the pulmonary artery.",
        "Compression fracture of L{v} with {p}% height loss.",
        "A {mm} mm nodule in the left upper lobe.",
        "History of Hodgkin lymphoma.",
        "Crohn disease with ileal wall thickening of {mm} mm.",
        "Right apical pneumothorax measuring {cm} cm.",
        "Cardiomegaly. Blunting of the left costophrenic angle.",
        "Stable T{t} compression deformity.",
        "Known Parkinson disease.",
        "On warfarin 5 mg daily.",
        "Cardiothoracic ratio 0.{p}.",
    ],
}
TEMPLATES = {
    "es": [
        "{patient_cue} {NAME}. {id_cue} {ID}. Fecha: {DATE}.\n{finding} {finding2}\n{sign_cue} {title} {NAME2}.",
        "{INSTITUTION}\n{patient_cue} {NAME}, {AGE} años. {finding}\nComparado con estudio del {DATE}.",
        "{title} {NAME2} solicita Rx de tórax. {finding} {finding2}\nTeléfono de contacto: {PHONE}.",
        "{patient_cue} {NAME}, domicilio en {ADDRESS}, {ZIP} {CITY}. {finding}",
        "Informe del {DATE}. {finding} Se comenta con su hija {FIRST}.\n{sign_cue} {title} {NAME2}.",
        "DNI {DNI}. {patient_cue} {NAME}. {finding} Resultados a {EMAIL}.",
        "{finding} {finding2} Ver {URL}.\n{patient_cue} {NAME} ({id_cue} {ID}).",
        "La Sra. {SURNAME} refiere disnea desde el {DATE}. {finding}",
    ],
    "en": [
        "{patient_cue} {NAME}  {id_cue} {ID}  Date: {DATE}\n{finding} {finding2}\n{sign_cue} {NAME2}, MD.",
        "{INSTITUTION}\n{patient_cue} {NAME} is a {AGE}-year-old. {finding}\nComparison: {DATE}.",
        "Ordered by {title} {NAME2}. {finding} {finding2}\nCall back number {PHONE}.",
        "{patient_cue} {NAME}, {ADDRESS}, {CITY}, MA {ZIP}. {finding}",
        "Report date {DATE}. {finding} History from his daughter {FIRST}.\nRead by {title} {NAME2}.",
        "SSN {SSN}. {patient_cue} {NAME}. {finding} Copy to {EMAIL}.",
        "{finding} {finding2} Images: {URL}.\n{patient_cue} {NAME} ({id_cue} {ID}).",
        "Mrs. {SURNAME} reports dyspnea since {DATE}. {finding}",
    ],
}
CUES = {
    "es": {
        "patient_cue": ["Paciente:", "Paciente", "Nombre:", "Pte."],
        "id_cue": ["NHC", "NHC:", "SIP", "Nº historia"],
        "sign_cue": ["Fdo.", "Informado por", "Validado por", "Firmado:"],
        "title": ["Dr.", "Dra."],
    },
    "en": {
        "patient_cue": ["Patient:", "Patient", "Name:", "Pt"],
        "id_cue": ["MRN", "MRN:", "Accession", "Chart"],
        "sign_cue": ["Signed by", "Dictated by", "Electronically signed by", "Reported by"],
        "title": ["Dr.", "Dr"],
    },
}


def _date(rng: random.Random, fake: Faker, lang: str) -> str:
    d = fake.date_between(start_date="-8y", end_date="today")
    forms = {
        "es": [
            f"{d.day:02d}/{d.month:02d}/{d.year}",
            f"{d.day} de {MONTHS_ES[d.month - 1]} de {d.year}",
            d.isoformat(),
            f"{d.day}/{d.month}/{d.year}",
            f"{d.day:02d}-{d.month:02d}-{d.year}",
        ],
        "en": [
            f"{d.month:02d}/{d.day:02d}/{d.year}",
            f"{MONTHS_EN[d.month - 1].capitalize()} {d.day}, {d.year}",
            d.isoformat(),
            f"{d.day} {MONTHS_EN[d.month - 1].capitalize()[:3]} {d.year}",
        ],
    }
    return rng.choice(forms[lang])


def _institution(rng: random.Random, fake: Faker, lang: str) -> str:
    if lang == "es":
        return rng.choice(["Hospital {s}", "Hospital Universitario {s}", "Clínica {s}", "Centro de Salud {s}"]).format(
            s=fake.last_name()
        )
    return rng.choice(["{s} Memorial Hospital", "{s} Medical Center", "{s} Clinic", "St. {f}'s Hospital"]).format(
        s=fake.last_name(), f=fake.first_name()
    )


def generate(n: int, seed: int = 0, langs: tuple[str, ...] = ("es", "en")) -> Iterator[dict[str, Any]]:
    """`n` synthetic annotated reports, alternating languages; deterministic for a seed."""
    from radbank.text.gazetteer import load_gazetteer

    rng = random.Random(seed)
    fakers = {lang: Faker("es_ES" if lang == "es" else "en_US") for lang in langs}
    for lang, fake in fakers.items():
        fake.seed_instance(seed * 7919 + (1 if lang == "es" else 2))
    cities = load_gazetteer().cities
    for i in range(n):
        lang = langs[i % len(langs)]
        fake = fakers[lang]
        template = rng.choice(TEMPLATES[lang])

        def person(fake: Faker = fake, lang: str = lang) -> str:
            if lang == "es":
                return (
                    f"{fake.first_name()} {fake.last_name()} {fake.last_name()}"
                    if rng.random() < P_SURNAMES2
                    else f"{fake.first_name()} {fake.last_name()}"
                )
            return (
                f"{fake.first_name()} {fake.last_name()}"
                if rng.random() < P_NO_MIDDLE
                else f"{fake.first_name()} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {fake.last_name()}"
            )

        values: dict[str, tuple[str, str | None]] = {
            "NAME": (person(), "NAME"),
            "NAME2": (person(), "NAME"),
            "FIRST": (fake.first_name(), "NAME"),
            "SURNAME": (fake.last_name(), "NAME"),
            "DATE": (_date(rng, fake, lang), "DATE"),
            "ID": (str(rng.randint(100000, 99999999)), "ID"),
            "AGE": (str(rng.randint(90, 104)), "AGE"),
            "PHONE": (fake.phone_number(), "PHONE"),
            "EMAIL": (fake.email(), "EMAIL"),
            "URL": (f"https://pacs.{fake.domain_name()}/viewer/{rng.randint(1000, 99999)}", "URL"),
            "ADDRESS": (fake.street_address(), "ADDRESS"),
            "ZIP": (fake.postcode(), "ZIP"),
            "CITY": (rng.choice(cities[lang]), "CITY"),
            "INSTITUTION": (_institution(rng, fake, lang), "INSTITUTION"),
            "DNI": (fake.nif() if lang == "es" else "", "ID"),
            "SSN": (fake.ssn() if lang == "en" else "", "ID"),
        }
        for cue, options in CUES[lang].items():
            values[cue] = (rng.choice(options), None)
        findings = rng.sample(FINDINGS[lang], 2)
        for k, f in zip(("finding", "finding2"), findings, strict=True):
            values[k] = (
                f.format(
                    v=rng.randint(1, 5),
                    p=rng.randint(10, 60),
                    mm=rng.randint(3, 30),
                    cm=rng.randint(1, 4),
                    t=rng.randint(1, 12),
                ),
                None,
            )
        text, spans, last = [], [], 0
        length = 0
        for m in re.finditer(r"\{(\w+)\}", template):
            literal = template[last : m.start()]
            text.append(literal)
            length += len(literal)
            value, label = values[m.group(1)]
            if label:
                spans.append({"start": length, "end": length + len(value), "label": label})
            text.append(value)
            length += len(value)
            last = m.end()
        text.append(template[last:])
        yield {"id": f"gen-{seed}-{i:05d}", "lang": lang, "text": "".join(text), "spans": spans}
