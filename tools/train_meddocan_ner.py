#!/usr/bin/env python3
"""Train radbank's Spanish de-identification NER (spaCy 3.8, MEDDOCAN's labels) and ship it in the package.

    python tools/train_meddocan_ner.py ../shared/data/meddocan/train [--max-epochs 10]

Reads the brat training partition, keeps every 10th case (by sorted file name) aside as the development
slice that picks the best checkpoint, trains `tools/meddocan_ner.cfg` on the other 90% with spaCy's trainer
(CPU, seed 0), and writes the best pipeline, with MEDDOCAN's licence and attribution, to
`src/radbank/text/models/meddocan_es/`. MEDDOCAN's dev and test partitions are never read here.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

import spacy
from spacy.about import __version__ as SPACY_VERSION
from spacy.cli.train import train
from spacy.tokens import Doc, DocBin
from spacy.util import filter_spans, registry

from radbank.text import tokenizer
from radbank.text.brat import read_brat

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tools" / "meddocan_ner.cfg"
TARGET = ROOT / "src" / "radbank" / "text" / "models" / "meddocan_es"
SLICE = 10  # every 10th case (by file name) is the development slice
ATTRIBUTION = """\
radbank Spanish de-identification NER (spaCy {spacy} pipeline: tok2vec + ner, MEDDOCAN labels).

Trained by radbank's tools/train_meddocan_ner.py on the training partition of SPACCC_MEDDOCAN, the Spanish
Clinical Case Corpus for Medical Document Anonymization (IberLEF 2019), by the Plan de Impulso de las
Tecnologías del Lenguaje, Secretaría de Estado para el Avance Digital, licensed under Creative Commons
Attribution 4.0 International (CC BY 4.0, https://creativecommons.org/licenses/by/4.0/). This model is a
derivative work of that corpus and is distributed under the same licence; changes: the corpus was
converted to spaCy's format and used to train a statistical model.

Marimon M, Gonzalez-Agirre A, Intxaurrondo A, Rodríguez H, Lopez Martin JA, Villegas M, Krallinger M.
Automatic De-identification of Medical Texts in Spanish: the MEDDOCAN Track, Corpus, Guidelines, Methods
and Evaluation of Results. IberLEF 2019, CEUR-WS vol. 2421, pp. 618-638.

Training: {train_docs} cases (90% of the training partition){augment}, checkpoint chosen on the other
{dev_docs} (every 10th case by file name); development-slice scores: {scores}.
"""


@registry.callbacks("radbank.deid_tokenizer.v1")  # type: ignore[untyped-decorator]
def _tokenizer_callback() -> Any:
    return tokenizer.configure


def to_docs(nlp: Any, records: list[dict[str, Any]]) -> tuple[list[Doc], int]:
    """spaCy Docs with MEDDOCAN entities; entities that no token boundary fits are counted and left out."""
    docs, dropped = [], 0
    for rec in records:
        doc = nlp.make_doc(rec["text"])
        spans = []
        for s in rec["spans"]:
            span = doc.char_span(s["start"], s["end"], label=s["meddocan"])
            if span is None:
                dropped += 1
            else:
                spans.append(span)
        doc.ents = filter_spans(spans)
        docs.append(doc)
    return docs, dropped


SWAPPED = (
    "NOMBRE_SUJETO_ASISTENCIA",
    "NOMBRE_PERSONAL_SANITARIO",
    "CALLE",
    "TERRITORIO",
    "PAIS",
    "HOSPITAL",
    "INSTITUCION",
    "CENTRO_SALUD",
    "ID_SUJETO_ASISTENCIA",
    "ID_ASEGURAMIENTO",
    "ID_CONTACTO_ASISTENCIAL",
    "ID_TITULACION_PERSONAL_SANITARIO",
    "CORREO_ELECTRONICO",
    "NUMERO_TELEFONO",
)


def _numeric(value: str) -> bool:
    return sum(ch.isdigit() for ch in value) > len(value) // 2


def swapped(records: list[dict[str, Any]], copies: int, seed: int = 0) -> list[dict[str, Any]]:
    """`copies` versions of every case where each entity of a `SWAPPED` label reads as another entity of that
    label from the same cases (entity-swap augmentation: the model learns the context, not the values)."""
    rng = random.Random(seed)
    pool: dict[tuple[str, bool], list[str]] = {}
    for rec in records:
        for s in rec["spans"]:
            value = rec["text"][s["start"] : s["end"]]
            pool.setdefault((s["meddocan"], _numeric(value)), []).append(value)
    out = []
    for _ in range(copies):
        for rec in records:
            text, spans, cursor, parts = rec["text"], [], 0, []
            same: dict[str, str] = {}
            for s in sorted(rec["spans"], key=lambda s: s["start"]):
                if s["start"] < cursor:
                    continue
                value = text[s["start"] : s["end"]]
                if s["meddocan"] in SWAPPED:  # the same value in a case gets the same new value, of its shape
                    value = same.setdefault(value, rng.choice(pool[(s["meddocan"], _numeric(value))]))
                parts.append(text[cursor : s["start"]])
                start = sum(len(p) for p in parts)
                parts.append(value)
                spans.append({**s, "start": start, "end": start + len(value)})
                cursor = s["end"]
            parts.append(text[cursor:])
            out.append({**rec, "text": "".join(parts), "spans": spans})
    return out


def package(best: Path, out: Path, train_docs: int, dev_docs: int, augment: int = 0) -> None:
    """Copy the chosen checkpoint to `out` with its metadata, licence and attribution."""
    meta = json.loads((best / "meta.json").read_text("utf-8"))
    meta.update(
        {
            "name": "meddocan_es",
            "version": "1.0.0",
            "license": "CC BY 4.0",
            "author": "radbank",
            "description": "Spanish clinical de-identification NER (MEDDOCAN labels)",
            "sources": [
                {
                    "name": "SPACCC_MEDDOCAN (train partition)",
                    "license": "CC BY 4.0",
                    "author": "Plan TL, Secretaría de Estado para el Avance Digital",
                }
            ],
        }
    )
    scores = {k: round(v, 4) for k, v in meta.get("performance", {}).items() if k in ("ents_p", "ents_r", "ents_f")}
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(best, out)
    (out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), "utf-8")
    copies = f" and {augment} entity-swapped cop{'y' if augment == 1 else 'ies'} of each" if augment else ""
    (out / "LICENSE.txt").write_text(
        ATTRIBUTION.format(
            spacy=SPACY_VERSION, train_docs=train_docs, augment=copies, dev_docs=dev_docs, scores=scores
        ),
        "utf-8",
    )
    print(f"{out}: written ({sum(f.stat().st_size for f in out.rglob('*') if f.is_file()) / 1e6:.1f} MB); {scores}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("train_dir", help="MEDDOCAN's brat training partition (train/)")
    parser.add_argument("--out", default=str(TARGET), help="where the pipeline is written")
    parser.add_argument("--work", help="keep the corpora and checkpoints here (default: a temporary folder)")
    parser.add_argument("--config", default=str(CONFIG), help="spaCy training config (default: %(default)s)")
    parser.add_argument("--max-epochs", type=int, help="override the config's training.max_epochs")
    parser.add_argument(
        "--augment",
        type=int,
        default=0,
        help="add this many entity-swapped copies of every training case (default: none)",
    )
    parser.add_argument(
        "--package-only",
        action="store_true",
        help="skip training: package WORK/output/model-best (after an interrupted run)",
    )
    args = parser.parse_args()
    records = read_brat(args.train_dir)
    train_records = [r for i, r in enumerate(records) if i % SLICE != SLICE - 1]
    dev_records = [r for i, r in enumerate(records) if i % SLICE == SLICE - 1]
    nlp = tokenizer.configure(spacy.blank("es"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work or tmp)
        if not args.package_only:
            work.mkdir(parents=True, exist_ok=True)
            for name, part in (("train", train_records + swapped(train_records, args.augment)), ("dev", dev_records)):
                docs, dropped = to_docs(nlp, part)
                DocBin(docs=docs).to_disk(work / f"{name}.spacy")
                print(
                    f"{name}: {len(docs)} cases, {sum(len(d.ents) for d in docs)} entities "
                    f"({dropped} unaligned left out)"
                )
            overrides: dict[str, Any] = {"paths.train": str(work / "train.spacy"), "paths.dev": str(work / "dev.spacy")}
            if args.max_epochs:
                overrides["training.max_epochs"] = args.max_epochs
            train(Path(args.config), work / "output", use_gpu=-1, overrides=overrides)
        package(work / "output" / "model-best", Path(args.out), len(train_records), len(dev_records), args.augment)


if __name__ == "__main__":
    main()
