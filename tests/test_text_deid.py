"""Report pseudonymisation: recall/precision on annotated corpora, surrogates, consistency, batch inputs."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from radbank.anonymize.keys import Keyed
from radbank.cli import main
from radbank.errors import RadbankError
from radbank.text.corpus import generate, parse_markup, read_gold, write_gold
from radbank.text.dates import find_dates
from radbank.text.evaluate import evaluate
from radbank.text.ids import valid_dni_nie, valid_ssn
from radbank.text.pseudonymize import pseudonymize

DATA = Path(__file__).parent / "data"
KEY = Keyed(bytes(range(32)))


def test_dev_corpus_is_the_markup_and_is_big_enough() -> None:
    gold = read_gold(DATA / "reports_dev.jsonl")
    assert gold == parse_markup((DATA / "reports_dev.markup").read_text("utf-8"))
    langs = [r["lang"] for r in gold]
    assert langs.count("es") >= 30
    assert langs.count("en") >= 30


@pytest.mark.parametrize("corpus", ["dev", "generated"])
def test_recall_and_precision_targets(corpus: str) -> None:
    records = read_gold(DATA / "reports_dev.jsonl") if corpus == "dev" else list(generate(300, seed=99))
    ev = evaluate(records)
    for label in ("NAME", "ID", "DATE"):
        assert ev.overlap[label].recall >= 0.98, (label, ev.missed)
    assert ev.overlap["ALL"].precision >= 0.90, ev.spurious
    assert ev.token["ALL"].recall >= 0.95


SPANISH = (
    "Paciente: María José Ferrer Soler, DNI 12345678Z, NHC 4455667. Estudio del 12/03/2021.\n"
    "Signo de Hampton en base derecha. Líneas B de Kerley. Catéter de Swan-Ganz. Linfoma de Hodgkin, "
    "enfermedad de Parkinson y de Crohn. Fractura de T4 y L1. Nódulo de 12 mm. Enoxaparina 40 mg.\n"
    "La Sra. Ferrer refiere disnea desde el 5 de marzo de 2021. Dr. Andrés Puig Bosch."
)


def test_surrogates_keep_clinical_content_and_formats() -> None:
    new, spans = pseudonymize(SPANISH, "es", KEY, patient="NHC4455667")
    for word in (
        "Hampton",
        "Kerley",
        "Swan-Ganz",
        "Hodgkin",
        "Parkinson",
        "Crohn",
        "T4",
        "L1",
        "12 mm",
        "Enoxaparina 40 mg",
    ):
        assert word in new
    for secret in ("María", "Ferrer", "Soler", "12345678Z", "4455667", "12/03/2021", "5 de marzo", "Puig", "Bosch"):
        assert secret not in new
    dni = re.search(r"DNI (\S+),", new)
    assert dni
    assert valid_dni_nie(dni.group(1))
    assert dni.group(1) != "12345678Z"
    assert re.search(r"Estudio del \d\d/\d\d/\d{4}\.", new)  # same date format
    assert re.search(r"desde el \d{1,2} de [a-z]+ de \d{4}\.", new)
    assert {s.label for s in spans} >= {"NAME", "ID", "DATE"}


def test_consistency_date_offset_and_keys() -> None:
    a, _ = pseudonymize("Paciente Juan García López, visto el 01/02/2020.", "es", KEY, patient="P1")
    b, _ = pseudonymize("Control del Sr. García el 11/02/2020. Juan García López mejora.", "es", KEY, patient="P1")
    surname = re.search(r"Juan García López", a) is None and re.search(r"Paciente (\S+) (\S+) (\S+),", a)
    assert surname
    first, last1, last2 = surname.groups()
    assert f"{first} {last1} {last2}" in b and f"Sr. {last1}" in b  # same person, same surrogate, word by word
    days = [f.date for text in (a, b) for f in find_dates(text, "es")]
    assert (days[1] - days[0]).days == 10  # intervals survive
    assert (days[0] - dt.date(2020, 2, 1)).days == KEY.date_offset_days("P1")  # the DICOM step's shift
    other_key, _ = pseudonymize("Paciente Juan García López, visto el 01/02/2020.", "es", Keyed(b"x" * 32), "P1")
    assert other_key != a


def test_english_ids_and_redact_mode() -> None:
    text = "Patient John Smith, SSN 123-45-6789, MRN 00123456, seen March 12, 2021 at (617) 555-0143. Age 93."
    new, _ = pseudonymize(text, "en", KEY, patient="X")
    ssn = re.search(r"SSN (\S+),", new)
    assert ssn
    assert valid_ssn(ssn.group(1))
    assert ssn.group(1) != "123-45-6789"
    assert "John" not in new
    assert "(617) 555-0143" not in new
    assert "Age 90." in new
    redacted, _ = pseudonymize(text, "en", mode="redact")
    assert redacted.startswith("Patient [NAME], SSN [ID], MRN [ID], seen [DATE] at [PHONE]. Age [AGE].")
    with pytest.raises(RadbankError, match="needs a key"):
        pseudonymize(text, "en", None)


def test_batch_inputs_bad_files_resume(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "sub-07" / "ses-1").mkdir(parents=True)
    (src / "sub-07" / "ses-1" / "report.txt").write_text("Paciente Rosa Vidal Mira, 03/04/2020.", "utf-8")
    (src / "latin.txt").write_bytes("Paciente José García López.".encode("cp1252"))
    (src / "empty.txt").write_bytes(b"")
    (src / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (src / "huge.txt").write_text("Paciente Ana Gil. " * 100, "utf-8")
    key_file = tmp_path / "k"  # a fixed key: surrogates (and so this test) are the same on every run
    key_file.write_text(bytes(range(32)).hex(), "ascii")
    key_file.chmod(0o600)
    args = ["anonymize", "text", str(src), str(tmp_path / "out"), "--key", str(key_file), "--max-bytes", "1000", "-q"]
    assert main(args) == 0
    out = tmp_path / "out"
    assert sorted(p.name for p in out.rglob("*.txt")) == ["latin.txt", "report.txt"]
    assert not re.search(r"\b(?:José|García|López)\b", (out / "latin.txt").read_text("utf-8"))
    assert not re.search(r"\b(?:Rosa|Vidal|Mira)\b", (out / "sub-07" / "ses-1" / "report.txt").read_text("utf-8"))
    from radbank.text.batch import TextOptions, run_text_batch

    again = run_text_batch(src, out, KEY, TextOptions(max_bytes=1000))
    assert again.written == 0
    assert again.resumed == 2
    reasons = " ".join(r for _, r in again.skipped)
    assert "empty file" in reasons
    assert "binary" in reasons
    assert "over the limit" in reasons


def test_tables(tmp_path: Path) -> None:
    from radbank.text.batch import TextOptions, run_text_batch

    table = tmp_path / "reports.csv"
    with table.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["patient", "report", "finding"])
        w.writerow(["H1", "Paciente Rosa Vidal Mira, 03/04/2020.", "Pneumothorax"])
        w.writerow(["H1", "Control de Rosa Vidal Mira, 13/04/2020.", "No Finding"])
    report = run_text_batch(table, tmp_path / "out.csv", KEY, TextOptions(column="report", patient_column="patient"))
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert report.written == 2
    assert all(r["patient"] == "" for r in rows)
    assert rows[0]["finding"] == "Pneumothorax"
    name0 = re.search(r"Paciente (.+),", rows[0]["report"])
    assert name0
    assert name0.group(1) in rows[1]["report"]
    assert "Rosa" not in rows[0]["report"]
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text(json.dumps({"text": "Dr. Emily Carter, 01/02/2021", "id": 1}) + "\nnot json\n", "utf-8")
    report = run_text_batch(jsonl, tmp_path / "o.jsonl", KEY, TextOptions(lang="en"))
    assert report.written == 1
    assert len(report.skipped) == 1
    assert "r.jsonl:2" in report.skipped[0][1]
    assert "Emily" not in (tmp_path / "o.jsonl").read_text("utf-8")
    with pytest.raises(RadbankError, match="needs the name of the column holding the report text"):
        run_text_batch(table, tmp_path / "x.csv", KEY)


def test_eval_deid_cli_lists_missed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [
        {
            "id": "a",
            "lang": "en",
            "text": "Seen by Dr. Emily Carter on zzqx day.",
            "spans": [{"start": 12, "end": 24, "label": "NAME"}, {"start": 28, "end": 32, "label": "DATE"}],
        }
    ]
    write_gold(records, tmp_path / "gold.jsonl")
    assert main(["eval-deid", str(tmp_path / "gold.jsonl"), "--json", str(tmp_path / "s.json")]) == 0
    out = capsys.readouterr().out
    assert "missed spans: 1" in out
    assert "DATE 'zzqx'" in out
    scores = json.loads((tmp_path / "s.json").read_text())
    assert scores["overlap"]["NAME"]["recall"] == 1.0
    assert scores["overlap"]["ALL"]["recall"] == 0.5
    (tmp_path / "bad.jsonl").write_text('{"text": "x", "spans": [{"start": 0, "end": 9, "label": "NAME"}]}\n')
    assert main(["eval-deid", str(tmp_path / "bad.jsonl")]) == 2
    assert main(["eval-deid", str(tmp_path / "missing.jsonl")]) == 2
    (tmp_path / "latin.jsonl").write_bytes(b"\xff\xfe not utf-8")
    assert main(["eval-deid", str(tmp_path / "latin.jsonl")]) == 2
    assert "latin.jsonl: not a UTF-8 JSONL file" in capsys.readouterr().err


def test_a_spacy_model_plugs_in_from_a_path(tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy", reason="spaCy not installed (pip install 'radbank[nlp]')")
    nlp = spacy.blank("es")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PER", "pattern": [{"LOWER": "xochitl"}, {"LOWER": "quetzal"}]}])
    nlp.to_disk(tmp_path / "model")
    text = "Informe para xochitl quetzal: sin hallazgos."
    from radbank.text.detect import Detector
    from radbank.text.ner import load_ner

    assert pseudonymize(text, "es", KEY)[1] == []  # lower case, unknown: the rules alone miss it
    new, spans = pseudonymize(text, "es", KEY, detector=Detector(load_ner(tmp_path / "model")))
    assert [s.label for s in spans] == ["NAME"]
    assert "xochitl" not in new.lower()
    with pytest.raises(RadbankError, match="not a spaCy pipeline"):
        load_ner(tmp_path)


def test_a_table_without_column_names_the_flag_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "reports.csv"
    table.write_text("id,report\n1,Paciente Rosa Vidal Mira.\n", "utf-8")
    assert main(["anonymize", "text", str(table), str(tmp_path / "out.csv"), "--mode", "redact", "-q"]) == 2
    assert "(--column)" in capsys.readouterr().err
