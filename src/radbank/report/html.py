"""report.html: one self-explaining page per run (every string HTML-escaped)."""

from __future__ import annotations

import html
from typing import Any

from radbank.config import load_config
from radbank.fsutil import write_text
from radbank.runs import RunPaths

CSS = """
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em} h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd}
h2.split{font-size:1.3em;background:#f4f7fb;padding:.2em .4em}
table{border-collapse:collapse;margin:.6em 0} td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3} td.l,th.l{text-align:left} img{max-width:100%;border:1px solid #eee}
.figs{display:flex;flex-wrap:wrap;gap:1em} .note{color:#555;font-size:.9em}
"""


def esc(value: Any) -> str:
    """HTML-escape anything (numbers formatted, None as an en dash)."""
    if value is None:
        return "&ndash;"
    if isinstance(value, float):
        return html.escape(f"{value:.4g}")
    return html.escape(str(value))


def _val(value: float | None) -> str:
    return "&ndash;" if value is None else f"{value:.3f}"


def _ci(interval: dict[str, Any] | None) -> str:
    """'lo&ndash;hi' of a figure's `ci95` (image) or of its `by_patient` entry; an en dash when undefined."""
    if not interval or interval.get("ci95", [None])[0] is None:
        return "&ndash;"
    lo, hi = interval["ci95"]
    return f"{lo:.3f}&ndash;{hi:.3f}"


def _units_note(m: dict[str, Any], image_method: str) -> str:
    """Which interval counts what: the page says it under every table of figures."""
    by_patient = (
        f" <b>By patient</b>: a cluster bootstrap over the {esc(m['patients'])} patients (each resample draws "
        "patients with replacement, every one with all of its images), which allows for one patient's images "
        "being alike."
        if "patients" in m
        else ""
    )
    return (
        f"<p class=note>95% intervals. <b>By image</b>: {image_method}; these count every image as "
        f"independent.{by_patient}</p>"
    )


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p class=note>none</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{esc(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{esc(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _binary_section(m: dict[str, Any]) -> str:
    pos, neg = esc(m["positive"]), esc(m["negative"])
    (tp, fp), (fn, tn) = m["confusion_matrix"]["matrix"]
    figures = [
        ("Accuracy", m["accuracy"]),
        ("Sensitivity (recall)", m["sensitivity"]),
        ("Specificity", m["specificity"]),
        ("PPV (precision)", m["ppv"]),
        ("NPV", m["npv"]),
        ("ROC AUC", m["roc_auc"]),
    ]
    rows = "".join(
        f"<tr><td class=l>{esc(k)}</td><td>{_val(v['value'])}</td><td>{_ci(v)}</td>"
        f"<td>{_ci(v.get('by_patient'))}</td></tr>"
        for k, v in figures
    )
    tut = m.get("tutorial", {})
    tut_row = ""
    if tut:
        tut_row = (
            f"<p class=note>The tutorial this reproduces ({esc(tut['source'])}) reported accuracy "
            f"{esc(tut['accuracy'])} with the matrix 81 13 / 12 91 on 197 validation images. "
            "Figures on radbank's synthetic phantom are not comparable to figures on real radiographs.</p>"
        )
    return f"""
<h3>Figures</h3>
<p class=note>{esc(m["n"])} images{_patients(m)}, threshold {esc(m["threshold"])}.</p>
<table><tr><th class=l>metric</th><th>value</th><th>95% CI by image</th><th>95% CI by patient</th></tr>{rows}</table>
{_units_note(m, f"Wilson score for proportions, {esc(m['roc_auc'].get('method'))} for the AUC")}
<h3>Confusion matrix</h3>
<table><tr><th></th><th colspan=2>truth</th></tr>
<tr><th></th><th>{pos}</th><th>{neg}</th></tr>
<tr><th class=l>predicted {pos}</th><td>{esc(tp)}</td><td>{esc(fp)}</td></tr>
<tr><th class=l>predicted {neg}</th><td>{esc(fn)}</td><td>{esc(tn)}</td></tr></table>{tut_row}"""


def _patients(m: dict[str, Any]) -> str:
    return f" of {esc(m['patients'])} patients" if "patients" in m else ""


def _multiclass_section(m: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td class=l>{esc(k)}</td><td>{esc(v['sensitivity']['value'])}</td>"
        f"<td>{esc(v['specificity']['value'])}</td><td>{esc(v['roc_auc']['value'])}</td>"
        f"<td>{_ci(v['roc_auc'])}</td><td>{_ci(v['roc_auc'].get('by_patient'))}</td></tr>"
        for k, v in m["per_class"].items()
    )
    acc = m["accuracy"]
    matrix = m["confusion_matrix"]["matrix"]
    names = m["classes"]
    head = "".join(f"<th>{esc(n)}</th>" for n in names)
    body = "".join(
        f"<tr><th class=l>predicted {esc(n)}</th>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>"
        for n, row in zip(names, matrix, strict=True)
    )
    return (
        f"<h3>Figures</h3><p>{esc(m['n'])} images{_patients(m)}. Accuracy {esc(acc['value'])}, 95% CI "
        f"{_ci(acc)} by image, {_ci(acc.get('by_patient'))} by patient; macro ROC AUC {esc(m['macro_roc_auc'])}</p>"
        "<table><tr><th class=l>class</th><th>sensitivity</th><th>specificity</th><th>ROC AUC</th>"
        f"<th>AUC 95% CI by image</th><th>AUC 95% CI by patient</th></tr>{rows}</table>"
        f"{_units_note(m, 'Wilson score for accuracy, a stratified bootstrap for the AUCs')}"
        f"<h3>Confusion matrix</h3><table><tr><th></th>{head}</tr>{body}</table><p class=note>columns = truth</p>"
    )


def _multilabel_section(m: dict[str, Any]) -> str:
    from radbank.report.published import published_rows

    rows = []
    for name, v in m["per_label"].items():
        auc = v["roc_auc"]
        rows.append(
            f"<tr><td class=l>{esc(name)}</td><td>{esc(v['n'])}</td><td>{esc(v['positives'])}</td>"
            f"<td>{esc(auc['value'])}</td><td>{_ci(auc)}</td><td>{_ci(auc.get('by_patient'))}</td></tr>"
        )
    return (
        f"<h3>Per-finding ROC AUC</h3><p>{esc(m['n'])} images{_patients(m)}. Mean AUC {esc(m['mean_roc_auc'])}</p>"
        "<table><tr><th class=l>finding</th><th>n</th><th>positives</th><th>AUC</th><th>95% CI by image</th>"
        f"<th>95% CI by patient</th></tr>{''.join(rows)}</table>"
        + _units_note(m, "a stratified bootstrap (positives and negatives resampled separately)")
        + published_rows(m)
    )


def write_report(run: RunPaths, results: dict[str, dict[str, Any]]) -> None:
    """Write run/report.html: one section per evaluated split, the plots, the split and the config."""
    first = next(iter(results.values()))
    sections = []
    for split, metrics in results.items():
        name = {"val": "Validation", "test": "Test"}.get(split, split)
        files = run.of_split(split)
        body = {"binary": _binary_section, "multiclass": _multiclass_section, "multilabel": _multilabel_section}[
            metrics["task"]
        ](metrics)
        figs = "".join(
            f'<figure><img src="{esc(p.name)}" alt="{esc(alt)}"></figure>'
            for p, alt in ((files.confusion, f"confusion matrix, {name}"), (files.roc, f"ROC, {name}"))
            if p.exists()
        )
        sections.append(f"<h2 class=split>{esc(name)} split</h2>{body}<div class=figs>{figs}</div>")
    try:
        config_rows = "".join(
            f"<tr><td class=l>{esc(k)}</td><td class=l>{esc(v)}</td></tr>"
            for k, v in load_config(run.config).to_dict().items()
        )
    except Exception:
        config_rows = "<tr><td class=l colspan=2>config.yaml unreadable</td></tr>"
    figs = "".join(
        f'<figure><img src="{esc(p.name)}" alt="{esc(alt)}"></figure>'
        for p, alt in ((run.curves, "training curves"), (run.preview, "loaded images"))
        if p.exists()
    )
    trained = first.get("trained", {})
    env = first.get("environment", {})
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>radbank run {esc(run.root.name)}</title>
<style>{CSS}</style></head><body>
<h1>radbank run: {esc(run.root.name)}</h1>
<p>Model <b>{esc(first.get("model"))}</b>, trained on {esc(trained.get("images"))} images of
{esc(trained.get("patients"))} patients from <code>{esc(trained.get("data"))}</code>
({esc(trained.get("source"))}), finished {esc(trained.get("finished"))}.</p>
{"".join(sections)}
<h2>Split (patient-grouped, stratified)</h2>{_table(first.get("split", []))}
<h2>Training</h2><div class=figs>{figs}</div>
<h2>Configuration</h2><table>{config_rows}</table>
<p class=note>radbank {esc(env.get("radbank"))}, torch {esc(env.get("torch"))},
Python {esc(env.get("python"))}. Files: metrics*.json, predictions*.csv, history.csv, split.csv, skipped.csv.</p>
</body></html>
"""
    write_text(run.report, page)
