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
            {"nhc": ["NHC-4455667", "NHC-1112223"],
             "informe": ["Paciente María García, 12/03/2021: neumotórax.", "Dr. Pérez: sin hallazgos el 01/02/2020."]}
        ).to_csv(work / name, index=False)  # fmt: skip
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


def _brat_folder(name: str) -> Builder:
    """A MEDDOCAN-style brat folder (one case written here, with its .ann) for `eval-deid` on brat."""

    def build(work: Path) -> str:
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        text = "Nombre: Lucía.\nApellidos: Ferrer Soler.\nNHC: 5512093.\nFecha de Ingreso: 03/04/2019.\n"
        entities = [("NOMBRE_SUJETO_ASISTENCIA", "Lucía"), ("NOMBRE_SUJETO_ASISTENCIA", "Ferrer Soler"),
                    ("ID_SUJETO_ASISTENCIA", "5512093"), ("FECHAS", "03/04/2019")]  # fmt: skip
        lines = [
            f"T{i}\t{label} {text.index(v)} {text.index(v) + len(v)}\t{v}" for i, (label, v) in enumerate(entities, 1)
        ]
        (folder / "caso-1.txt").write_text(text, "utf-8")
        (folder / "caso-1.ann").write_text("\n".join(lines) + "\n", "utf-8")
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
    "options": _nothing,  # `[options]`: any of the training options; the reductions stand in for them
    # literal names the README's blocks type, made here because no earlier line of theirs makes them
    "export/": _dicom_export("export"),
    "reports/": _text_reports("reports"),
    "site.key": _key("site.key"),
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
    ("eval-deid",): {"meddocan/dev": _brat_folder("meddocan/dev")},
    ("train", "NIH_ROOT"): {"RUN": _same("run-nih")},  # another dataset: another run folder
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
