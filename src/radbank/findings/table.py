"""Labelling many reports into one table: a row per report (`report`, the identifier columns of the input,
`lang`), a column per finding in CheXpert's convention (1 present, 0 negated, -1 uncertain, blank not
mentioned), `No Finding` (1 when no finding is present or uncertain), and the UMLS CUIs of the present and of
the uncertain findings ('|'-separated). The table feeds `train --label-table` as it is (its key column:
path, SOPInstanceUID, AccessionNumber or StudyInstanceUID, carried from the input)."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from radbank.errors import RadbankError
from radbank.findings.inputs import read_reports
from radbank.findings.labeller import PRESENT, UNCERTAIN, label_report
from radbank.findings.labels import NO_FINDING, columns, cui_of
from radbank.fsutil import write_text
from radbank.parallel import batched, map_parallel
from radbank.text.batch import MAX_BYTES

BATCH = 64


@dataclass
class LabelSummary:
    """What a labelling run did."""

    out: str
    reports: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    langs: Counter[str] = field(default_factory=Counter)
    counts: dict[str, Counter[int]] = field(default_factory=dict)  # column -> value -> reports
    no_cui: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """A short account for the terminal."""
        langs = ", ".join(f"{k} {v}" for k, v in sorted(self.langs.items()))
        out = [
            f"{self.out}: {self.reports} report(s) labelled ({langs or 'none'}), {len(self.skipped)} skipped; "
            f"{self.seconds:.1f} s"
        ]
        for name, c in self.counts.items():
            if c:
                out.append(f"  {name:<32} present {c[1]:>6}  negated {c[0]:>6}  uncertain {c[-1]:>6}")
        if self.no_cui:
            out.append("findings without a UMLS code in the packaged table: " + ", ".join(self.no_cui))
        return out


def _label_batch(item: tuple[str, list[str]]) -> list[tuple[str, dict[str, int]]]:
    lang, texts = item
    return [(r.lang, r.values) for r in map(lambda t: label_report(t, lang), texts)]


def label_texts(texts: list[str], lang: str = "auto", workers: int = 1) -> list[tuple[str, dict[str, int]]]:
    """(language, finding -> value) of each text, in order, over `workers` processes (0 = all cores)."""
    items = [(lang, batch) for batch in batched(texts, BATCH)]
    return [row for rows in map_parallel(_label_batch, items, workers=workers) for row in rows]


@dataclass(frozen=True)
class LabelOptions:
    """How to read and label the reports."""

    lang: str = "auto"  # en, es or auto (per report)
    label_set: str = "nih"  # nih, padchest or all
    column: str | None = None  # tables: the text column(s), comma-separated
    id_column: str | None = None  # tables: the column naming each report
    workers: int = 0  # processes (0 = all cores)
    max_bytes: int = MAX_BYTES  # larger report files are skipped


def label_reports(src: str | Path, out: str | Path, options: LabelOptions | None = None) -> LabelSummary:
    """Label every report of `src` and write the table to `out` (.csv, or .tsv for tab-separated)."""
    opt = options or LabelOptions()
    lang = opt.lang
    if lang not in ("en", "es", "auto"):
        raise RadbankError(f"unsupported language {lang!r}; choose en, es or auto")
    target = Path(out)
    if target.is_dir():
        raise RadbankError(f"{target}: is a folder; the output is a table file (.csv or .tsv)")
    cols = columns(opt.label_set)
    started = time.perf_counter()
    reports = read_reports(src, opt.column, opt.id_column, opt.max_bytes)
    labelled = label_texts(reports.texts, lang, opt.workers)
    summary = LabelSummary(str(target), len(labelled), reports.skipped, seconds=time.perf_counter() - started)
    summary.counts = {name: Counter() for name, _ in cols}
    summary.no_cui = [name for name, finding in cols if not cui_of(finding)]
    rows = []
    for i, (r_lang, values) in enumerate(labelled):
        head = {"report": reports.ids[i], **{c: v[i] for c, v in reports.carried.items()}, "lang": r_lang}
        rows.append(_row(head, values, cols, summary))
    header = ["report", *reports.carried, "lang", *(n for n, _ in cols), NO_FINDING, "umls_cui", "umls_cui_uncertain"]
    write_text(target, _render(header, rows, "\t" if target.suffix.lower() in (".tsv", ".tab") else ","))
    skipped = target.with_name(target.stem + ".skipped.csv")
    skipped.unlink(missing_ok=True)  # a stale list from an earlier run
    if reports.skipped:
        write_text(
            skipped,
            _render(
                ["input", "reason"], [dict(zip(("input", "reason"), s, strict=True)) for s in reports.skipped], ","
            ),
        )
    summary.seconds = time.perf_counter() - started
    return summary


def _row(
    head: dict[str, str], values: dict[str, int], cols: list[tuple[str, str]], summary: LabelSummary
) -> dict[str, str]:
    row = dict(head)
    summary.langs[head["lang"]] += 1
    present, uncertain = [], []
    for name, finding in cols:
        value = values.get(finding)
        row[name] = "" if value is None else str(value)
        if value is not None:
            summary.counts[name][value] += 1
            cui = cui_of(finding)
            if cui and value == PRESENT and cui not in present:
                present.append(cui)
            elif cui and value == UNCERTAIN and cui not in uncertain:
                uncertain.append(cui)
    row[NO_FINDING] = "" if any(row[n] in ("1", "-1") for n, _ in cols) else "1"
    row["umls_cui"], row["umls_cui_uncertain"] = "|".join(present), "|".join(uncertain)
    return row


def _render(header: list[str], rows: list[dict[str, str]], sep: str) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, delimiter=sep, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
