"""How tests/test_readme.py runs the README's commands: the ONE table to extend when the README changes.

Every command line of the README's shell code blocks, of its Commands table and of inline code spans that
start with `radbank ` and carry arguments is run through `radbank.cli.main`, in README order, in one
working folder (so a block's later lines see what its earlier lines wrote, as a reader's shell would).

- `PLACEHOLDERS`: a token of a documented command -> a builder that makes a small fixture in the working
  folder and returns what to type instead (often the same name). `COMMAND_PLACEHOLDERS` overrides a token
  for one command (`OUT` of `phantom` is not `OUT` of `anonymize dicom`), or for a command with a given
  argument (`RUN` of `train NIH_ROOT ...` is not `RUN` of `train DATA ...`). An UPPER-CASE token (DATA, RUN,
  GOLD.jsonl, IMAGES...) that neither table maps makes the test FAIL: a new command needs its mapping.
- `REDUCE`: options appended to a command (argparse keeps the last value) so that it runs in seconds:
  fewer images, one epoch, one worker process. They change sizes, never what the command does.
- `NOT_RUN`: shell lines the README shows that are not radbank commands, with the reason they are not run
  here. Any other non-radbank line makes the test FAIL.
- `[--opt VALUE]` optional parts are run included, with the first alternative of `a|b|c`; `| less` and
  other pipes run the radbank side only.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
Builder = Callable[[Path], str]

NOT_RUN: dict[str, str] = {
    "python3 -m venv .venv": "sets up a fresh machine; .ci/run does exactly this before the tests",
    ".venv/bin/pip install": "installs from the package registry; .ci/run does exactly this before the tests",
    ".venv/bin/python check.py": "runs this very test suite (and format, lint, types); CI runs it",
    ".venv/bin/python benchmarks/": "benchmarks take minutes; benchmarks/README.md has their figures",
}

# UPPER-CASE words that are real values, not placeholders (View Position).
LITERALS = {"PA", "AP"}

REDUCE: dict[tuple[str, ...], list[str]] = {
    ("demo",): ["--n", "60", "--epochs", "1", "--workers", "1"],
    ("phantom",): ["--n", "40", "--workers", "1"],
    ("train",): ["--size", "32", "--epochs", "1", "--workers", "1"],
    ("anonymize", "dicom"): ["--workers", "1"],
    ("mids", "export"): ["--workers", "1"],
    ("predict",): ["--workers", "1"],
}


def _phantom(name: str, n: int, layout: str = "folders") -> Builder:
    def build(work: Path) -> str:
        from radbank.phantom import PhantomSpec, generate

        generate(work / name, PhantomSpec(n=n, seed=5, layout=layout), workers=1)
        return name

    return build


def _dicom_export(name: str) -> Builder:
    """A PHI-laden DICOM export (10 patients x 2 studies, CR/DX) as a hospital would hand it over."""

    def build(work: Path) -> str:
        from radbank.phantom.dicom import write_phi_set

        if not (work / name).exists():
            write_phi_set(work / name, patients=10, studies=2, images=1, seed=8)
        return name

    return build


def _key(name: str) -> Builder:
    def build(work: Path) -> str:
        from radbank.anonymize.keys import keygen

        if not (work / name).exists():
            keygen(work / name)
        return name

    return build


def _text_reports(name: str) -> Builder:
    """A folder of free-text reports with names, dates and IDs to pseudonymise."""

    def build(work: Path) -> str:
        folder = work / name
        folder.mkdir(exist_ok=True)
        (folder / "r1.txt").write_text(
            "Paciente: María García López, NHC 4455667. Fecha: 12/03/2021. Neumotórax apical derecho.\n"
        )
        (folder / "r2.txt").write_text("Patient John Smith, seen on March 3, 2020 by Dr. Brown. No pneumothorax.\n")
        return name

    return build


def _report_table(name: str) -> Builder:
    """`anonymize text reports.csv out.csv --column informe --patient-column nhc`'s table."""

    def build(work: Path) -> str:
        import pandas as pd

        pd.DataFrame(
            {
                "nhc": ["NHC-4455667", "NHC-1112223"],
                "informe": [
                    "Paciente María García, 12/03/2021: neumotórax.",
                    "Dr. Pérez: sin hallazgos el 01/02/2020.",
                ],
            }
        ).to_csv(work / name, index=False)
        return name

    return build


def _deid_labels(name: str, deid: str) -> Builder:
    """A label table keyed by path for the de-identified tree `deid` (classes alternate by file)."""

    def build(work: Path) -> str:
        import pandas as pd

        files = sorted(p.relative_to(work / deid).as_posix() for p in (work / deid).rglob("*.dcm"))
        labels = ["Pneumothorax" if i % 2 else "No Finding" for i in range(len(files))]
        pd.DataFrame({"path": files, "label": labels}).to_csv(work / name, index=False)
        return name

    return build


def _deid_reports(name: str, deid: str) -> Builder:
    """Reports keyed by the de-identified files' names, for `mids export --reports`."""

    def build(work: Path) -> str:
        import pandas as pd

        files = sorted(p.name for p in (work / deid).rglob("*.dcm"))
        texts = ["Right apical pneumothorax." if i % 2 else "No acute findings." for i in range(len(files))]
        pd.DataFrame({"path": files, "report": texts}).to_csv(work / name, index=False)
        return name

    return build


def _phantom_metadata(name: str, phantom: str) -> Builder:
    """`mids export --metadata M.csv` for the phantom: per-image patient, study, view, age, sex."""

    def build(work: Path) -> str:
        import pandas as pd

        meta = pd.read_csv(work / phantom / "phantom.csv", dtype=str)
        meta["study"] = meta["patient"] + "_" + meta["followup"]
        meta[["path", "patient", "study", "view", "age", "sex"]].to_csv(work / name, index=False)
        return name

    return build


def _phantom_reports(name: str, phantom: str) -> Builder:
    """`mids export --reports R.csv` for the phantom: a report per image, keyed by path."""

    def build(work: Path) -> str:
        import pandas as pd

        meta = pd.read_csv(work / phantom / "phantom.csv", dtype=str)
        texts = ["Pneumothorax." if f == "Pneumothorax" else "No finding." for f in meta["finding"]]
        pd.DataFrame({"path": meta["path"], "report": texts}).to_csv(work / name, index=False)
        return name

    return build


def _nifti_head(name: str) -> Builder:
    """A T1-weighted head with a face as one NIfTI file (the averaged head radbank ships, 2 mm)."""

    def build(work: Path) -> str:
        from deface_data import template_head, write_head

        if not (work / name).exists():
            write_head(work / name, *template_head())
        return name

    return build


def _bids_tree(name: str) -> Builder:
    """A BIDS tree with one subject's T1w head and a file that is copied through."""

    def build(work: Path) -> str:
        import json

        from deface_data import template_head, write_head

        root = work / name
        if not root.exists():
            write_head(root / "sub-01" / "anat" / "sub-01_T1w.nii.gz", *template_head())
            (root / "dataset_description.json").write_text(json.dumps({"Name": "heads", "BIDSVersion": "1.8.0"}))
        return name

    return build


def _mr_series(name: str) -> Builder:
    """A head MR series (one DICOM file per axial slice) as a scanner exports it."""

    def build(work: Path) -> str:
        from test_deface_dicom import write_series

        if not (work / name).exists():
            write_series(work / name)
        return name

    return build


def _brat(name: str) -> Builder:
    """A two-document brat folder with MEDDOCAN's labels (.txt + .ann)."""

    def build(work: Path) -> str:
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        docs = {
            "caso1": (
                "Paciente: Juan Pérez García. Fecha de ingreso: 12/03/2019. Hospital La Fe, Valencia.",
                [
                    ("NOMBRE_SUJETO_ASISTENCIA", "Juan Pérez García"),
                    ("FECHAS", "12/03/2019"),
                    ("HOSPITAL", "Hospital La Fe"),
                    ("TERRITORIO", "Valencia"),
                ],
            ),
            "caso2": (
                "Mujer de 45 años remitida por la Dra. Ana López. Neumotórax apical derecho.",
                [
                    ("EDAD_SUJETO_ASISTENCIA", "45 años"),
                    ("SEXO_SUJETO_ASISTENCIA", "Mujer"),
                    ("NOMBRE_PERSONAL_SANITARIO", "Ana López"),
                ],
            ),
        }
        for stem, (text, spans) in docs.items():
            (folder / f"{stem}.txt").write_text(text, encoding="utf-8")
            ann = [
                f"T{k}\t{label} {text.index(t)} {text.index(t) + len(t)}\t{t}" for k, (label, t) in enumerate(spans, 1)
            ]
            (folder / f"{stem}.ann").write_text("\n".join(ann) + "\n", encoding="utf-8")
        return name

    return build


def _informes(name: str) -> Builder:
    """Spanish reports in a CSV column `informe`."""

    def build(work: Path) -> str:
        import pandas as pd

        pd.DataFrame(
            {
                "AccessionNumber": ["A1", "A2", "A3"],
                "informe": [
                    "Neumotórax apical derecho.",
                    "No se observa derrame pleural.",
                    "Posible condensación en base izquierda, no se descarta neumonía.",
                ],
            }
        ).to_csv(work / name, index=False)
        return name

    return build


def _reports_jsonl(name: str) -> Builder:
    """English reports as JSON lines with `findings` and `impression` fields."""

    def build(work: Path) -> str:
        import json

        rows = [
            {
                "id": "r1",
                "findings": "The lungs are clear of focal airspace disease, pneumothorax, or effusion.",
                "impression": "No acute cardiopulmonary abnormality.",
            },
            {"id": "r2", "findings": "Heart size is enlarged.", "impression": "Cardiomegaly. Cannot exclude edema."},
        ]
        (work / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return name

    return build


def _finding_table(name: str, tree: str) -> Builder:
    """`label-reports`-style labels for the DICOM files of `tree`, keyed by path: 1, 0, -1 (uncertain), blank."""

    def build(work: Path) -> str:
        import pandas as pd

        files = sorted(p.relative_to(work / tree).as_posix() for p in (work / tree).rglob("*.dcm"))
        cells = ["1", "0", "-1", ""]
        table = {
            "path": files,
            "Pneumothorax": [cells[i % 4] for i in range(len(files))],
            "Effusion": [cells[(i + 1) % 4] for i in range(len(files))],
        }
        pd.DataFrame(table).to_csv(work / name, index=False)
        return name

    return build


def _readme_block(name: str) -> Builder:
    """A file whose content the README shows in a code block that starts with `# NAME`."""

    def build(work: Path) -> str:
        import re

        text = (REPO / "README.md").read_text(encoding="utf-8")
        block = re.search(rf"```\w*\n# {re.escape(name)}\n(.*?)```", text, re.S)
        assert block, f"README.md shows no block for {name}"
        (work / name).write_text(block.group(1), encoding="utf-8")
        return name

    return build


def _same(name: str) -> Builder:
    """A name made by an earlier command: typed as is."""
    return lambda work: name


def _repo_file(rel: str) -> Builder:
    """A file of this repository (the README runs from its root)."""
    return lambda work: str(REPO / rel)


def _nothing(work: Path) -> str:
    return ""


PLACEHOLDERS: dict[str, Builder] = {
    "DATA": _phantom("fx-phantom", 40),
    "RUN": _same("run-table"),
    "NIH_ROOT": _phantom("fx-nih", 60, layout="nih"),
    "F": _same("Pneumothorax"),
    "DIR": _same("out-dir"),
    "IMAGES...": _phantom("fx-phantom", 40),
    "IMAGES": _phantom("fx-phantom", 40),
    "KEYFILE": _same("table.key"),
    "IN": _dicom_export("export"),
    "OUT": _same("out"),
    "GOLD.jsonl": _repo_file("tests/data/reports_dev.jsonl"),
    "SRC": _phantom("fx-phantom", 40),
    "M.csv": _phantom_metadata("fx-meta.csv", "fx-phantom"),
    "R.csv": _phantom_reports("fx-reports.csv", "fx-phantom"),
    "TABLE": _same("mids-table/participants.tsv"),
    "ROOT": _phantom("fx-nih", 60, layout="nih"),
    "COLUMN": _same("participant_id"),
    "options": _nothing,  # `[options]`: any of the training options; the reductions stand in for them
    # literal names the README's blocks type, made here because no earlier line of theirs makes them
    "export/": _dicom_export("export"),
    "reports/": _text_reports("reports"),
    "site.key": _key("site.key"),
    "sub-01_T1w.nii.gz": _nifti_head("sub-01_T1w.nii.gz"),
    "bids/": _bids_tree("bids"),
    "mr-series/": _mr_series("mr-series"),
    "dicom/": _dicom_export("export"),
    "meddocan/dev": _brat("meddocan/dev"),
    "informes.csv": _informes("informes.csv"),
    "reports.jsonl": _reports_jsonl("reports.jsonl"),
    "site-policy.yaml": _readme_block("site-policy.yaml"),
    "tests/data/reports_dev.jsonl": _repo_file("tests/data/reports_dev.jsonl"),
}

COMMAND_PLACEHOLDERS: dict[tuple[str, ...], dict[str, Builder]] = {
    ("demo",): {"DIR": _same("radbank-demo")},
    ("phantom",): {"OUT": _same("phantom-out")},
    ("subset",): {"DIR": _same("subset-out")},
    ("predict",): {"DIR": _same("cams")},
    ("anonymize", "dicom"): {"OUT": _same("anon-table")},
    ("audit",): {"OUT": _same("anon-table")},
    ("anonymize", "text"): {
        "IN": _text_reports("reports"),
        "OUT": _same("text-table"),
        "reports.csv": _report_table("reports.csv"),
    },
    ("mids", "export"): {
        "OUT": _same("mids-table"),
        "labels.csv": _deid_labels("labels.csv", "deid"),
        "reports.csv": _deid_reports("deid-reports.csv", "deid"),
    },
    ("mids", "validate"): {"DIR": _same("mids-table")},
    ("train", "NIH_ROOT"): {"RUN": _same("run-nih")},  # another dataset: another run folder
    ("train", "dicom/"): {
        "labels.csv": _finding_table("dicom-labels.csv", "export"),
        "run/": _same("run-dicom"),
    },
    ("train", "--split"): {"RUN": _same("run-split")},
    # a second policy (or the defacer's options) needs its own output folder: OUT refuses a mix
    ("anonymize", "dicom", "site-policy.yaml"): {"published/": _same("published-policy")},
    ("deface", "mr-series/"): {"published/": _same("published-mr")},
    ("deface",): {"IN": _nifti_head("head_T1w.nii.gz"), "OUT": _same("head_defaced.nii.gz")},
    ("label-reports",): {"IN": _text_reports("reports")},
}


def resolve(command: tuple[str, ...], token: str, work: Path, line: tuple[str, ...] = ()) -> str | None:
    """What to type for `token` of `command` (building its fixture), or None when it is typed as is.

    Overrides are looked up for the command with one of the line's other tokens (`("train", "NIH_ROOT")`),
    then for the command, then globally.
    """
    keys = [(*command, other) for other in line if other != token] + [command]
    builder = next((COMMAND_PLACEHOLDERS[k][token] for k in keys if token in COMMAND_PLACEHOLDERS.get(k, {})), None)
    builder = builder or PLACEHOLDERS.get(token)
    return None if builder is None else builder(work)


def clean(work: Path) -> None:
    """Remove the working folder."""
    shutil.rmtree(work, ignore_errors=True)
