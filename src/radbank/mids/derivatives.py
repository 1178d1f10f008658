"""Labels and reports of an export, under `derivatives/labels/` as BIMCV keeps them.

- `findings.tsv`: one row per image and curated label (participant_id, session_id, filename as in scans.tsv,
  label, umls_cui, umls_name, source = curated), plus one row per finding coded from the session's report
  (filename n/a, source report-nlp): per image, because a session may hold images with different labels;
- `labels.tsv`: one row per session in BIMCV's format (BIMCV-COVID19+'s `labels_covid19_posi.tsv`):
  PatientID, ReportID, Report, Labels, Localizations, labelCUIS, LocalizationsCUIS, list cells written as
  PadChest writes them (`['pleural effusion', 'cardiomegaly']`, CUIs as `['C2073625' 'C0018800']`);
- `sub-<s>/ses-<e>/sub-<s>_ses-<e>_report.txt`: the report, line breaks kept;
- `dataset_description.json` (a BIDS derivative) and JSON files describing the two tables' columns.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radbank import __version__
from radbank.fsutil import write_json, write_text_if_changed
from radbank.mids.label_tables import BIMCV_COLUMNS, FINDINGS, LABELS_DIR
from radbank.mids.report_findings import report_findings
from radbank.mids.tsv import write_tsv
from radbank.mids.umls import lookup, lookup_localization
from radbank.sources.cells import format_list
from radbank.sources.records import is_healthy_name

if TYPE_CHECKING:
    from radbank.mids.export_tables import ImageRow

FINDING_COLUMNS = ["participant_id", "session_id", "filename", "label", "umls_cui", "umls_name", "source"]
BIDS_VERSION = "1.10.0"


def coded(name: str, source: str, unknown: Counter[str]) -> dict[str, str]:
    """A findings-table row for a label; unknown labels are kept with n/a codes and counted."""
    concept = lookup(name)
    if concept is None:
        unknown[name] += 1
        return {"label": name, "umls_cui": "n/a", "umls_name": "n/a", "source": source}
    text = "No Finding" if is_healthy_name(name) else name
    return {"label": text, "umls_cui": concept.cui, "umls_name": concept.name, "source": source}


def padchest_term(name: str) -> str:
    """The PadChest term of a label ('normal' for healthy names; the label itself when the table lacks it)."""
    if is_healthy_name(name):
        return "normal"
    concept = lookup(name)
    return concept.padchest if concept is not None and concept.padchest else name


def _numpy_list(items: list[str]) -> str:
    """CUIs as PadChest's labelCUIS cells print them: `['C0034069' 'C0742362']`."""
    return "[" + " ".join(f"'{i}'" for i in items) + "]"


def write_labels(root: Path, rows: list[ImageRow], unknown: Counter[str]) -> int:
    """Write derivatives/labels/; return how many findings were coded from reports."""
    base = root / LABELS_DIR
    sessions: dict[tuple[str, str], list[ImageRow]] = defaultdict(list)
    for r in rows:
        sessions[(r.name.sub, r.name.ses)].append(r)
    findings: list[dict[str, str]] = []
    table: list[dict[str, str]] = []
    nlp_count = 0
    for (sub, ses), images in sorted(sessions.items()):
        ids = {"participant_id": f"sub-{sub}", "session_id": f"ses-{ses}"}
        for r in images:
            findings += [{**ids, **coded(n, "curated", unknown), "filename": r.scan_path()} for n in r.labels]
        report = next((r.report for r in images if r.report), "")
        if report:
            write_text_if_changed(
                base / f"sub-{sub}" / f"ses-{ses}" / f"sub-{sub}_ses-{ses}_report.txt", report.rstrip() + "\n"
            )
            nlp = report_findings(report)
            nlp_count += len(nlp)
            names = [f.concept.label for f in nlp] or ["No Finding"]
            findings += [{**ids, **coded(n, "report-nlp", unknown), "filename": "n/a"} for n in names]
        table.append(_bimcv_row(sub, ses, images, report))
    write_tsv(base / FINDINGS, FINDING_COLUMNS, findings)
    write_tsv(base / "labels.tsv", BIMCV_COLUMNS, table)
    write_json(base / "findings.json", FINDINGS_JSON)
    write_json(base / "labels.json", LABELS_JSON)
    write_json(
        base / "dataset_description.json",
        {
            "Name": "Labels and reports",
            "BIDSVersion": BIDS_VERSION,
            "DatasetType": "derivative",
            "GeneratedBy": [{"Name": "radbank", "Version": __version__, "Description": "radbank mids export"}],
        },
    )
    return nlp_count


def _bimcv_row(sub: str, ses: str, images: list[ImageRow], report: str) -> dict[str, str]:
    terms: list[str] = []
    for r in images:
        terms += [t for t in (padchest_term(x) for x in r.labels) if t not in terms]
    if len(terms) > 1 and "normal" in terms:
        terms.remove("normal")
    places: list[str] = []
    for r in images:
        places += [p for p in r.localizations if p not in places]
    coded_terms = [lookup(t) for t in terms if not is_healthy_name(t)]
    cuis = [c.cui for c in coded_terms if c is not None and c.cui]
    loc_cuis = [c.cui for c in (lookup_localization(p) for p in places) if c is not None]
    return {
        "PatientID": f"sub-{sub}",
        "ReportID": f"ses-{ses}",
        "Report": report or "n/a",
        "Labels": format_list(terms),
        "Localizations": format_list(places),
        "labelCUIS": _numpy_list(list(dict.fromkeys(cuis))),
        "LocalizationsCUIS": _numpy_list(list(dict.fromkeys(loc_cuis))),
    }


FINDINGS_JSON: dict[str, Any] = {
    "participant_id": {"Description": "The participant (sub-<label>)"},
    "session_id": {"Description": "The session (ses-<label>)"},
    "filename": {
        "Description": "The image a curated label belongs to, as in the session's scans.tsv; n/a: the session"
    },
    "label": {"Description": "Finding label, in the source dataset's spelling (NIH, CheXpert, PadChest...)"},
    "umls_cui": {"Description": "UMLS Concept Unique Identifier, C followed by seven digits; n/a when unknown"},
    "umls_name": {"Description": "UMLS name of the concept as BIMCV published it"},
    "source": {
        "Description": "Where the finding comes from",
        "Levels": {"curated": "the dataset's label table or class folders", "report-nlp": "coded from the report"},
    },
}
LABELS_JSON: dict[str, Any] = {
    "PatientID": {"Description": "The participant (sub-<label>), as in BIMCV-COVID19+'s labels table"},
    "ReportID": {"Description": "The session (ses-<label>) the report belongs to"},
    "Report": {"Description": "The report text (de-identified), whitespace collapsed; n/a when none"},
    "Labels": {"Description": "Curated findings as PadChest terms, a list written as PadChest writes it"},
    "Localizations": {"Description": "PadChest localizations ('loc <term>') of the findings"},
    "labelCUIS": {"Description": "UMLS CUIs of the Labels (terms without a published concept have none)"},
    "LocalizationsCUIS": {"Description": "UMLS CUIs of the Localizations"},
}
