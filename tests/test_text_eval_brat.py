"""eval-deid on brat folders with MEDDOCAN's official metrics, and the bad inputs of the text commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from radbank.cli import main
from radbank.text.evaluate import kinship_only, removal
from radbank.text.meddocan import merge_spans, official_scores
from radbank.text.spans import Span

ROOT = Path(__file__).resolve().parents[1]
SHARED = next(
    (
        p
        for p in (
            Path(os.environ.get("RADBANK_MEDDOCAN", "/nonexistent")),
            ROOT / "shared/data/meddocan",
            ROOT.parent / "shared/data/meddocan",
        )
        if (p / "train").is_dir()
    ),
    ROOT / "shared/data/meddocan",
)


def test_official_definitions_on_a_worked_example() -> None:
    text = "Ana Gil, 12/03/2020 y Madrid."
    gold = [
        ("NOMBRE_SUJETO_ASISTENCIA", 0, 3),
        ("NOMBRE_SUJETO_ASISTENCIA", 4, 7),
        ("FECHAS", 9, 19),
        ("TERRITORIO", 22, 28),
    ]
    system = [("NOMBRE_SUJETO_ASISTENCIA", 0, 7), ("FECHAS", 9, 19), ("PAIS", 22, 28)]
    scores = official_scores([(text, gold, system)])
    # subtask 1: only the date matches on label and offsets
    assert (scores.subtask1.tp, scores.subtask1.fp, scores.subtask1.fn) == (1, 2, 3)
    # subtask 2 strict: the date and "Madrid" match on offsets
    assert (scores.subtask2_strict.tp, scores.subtask2_strict.fp, scores.subtask2_strict.fn) == (2, 1, 2)
    # merged: gold "Ana" + "Gil" -> (0, 7), ", " between them... and the date: only non-alphanumerics between
    assert merge_spans(text, [(0, 3), (4, 7), (9, 19)]) == [(0, 19)]
    assert (scores.subtask2_merged.tp, scores.subtask2_merged.fp, scores.subtask2_merged.fn) == (3, 0, 0)
    assert round(scores.subtask2_strict.f1, 4) == round(2 * (2 / 3) * (2 / 4) / (2 / 3 + 2 / 4), 4)


def _brat(folder: Path, name: str, text: str, entities: list[tuple[str, int, int]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(text, "utf-8")
    lines = [f"T{i}\t{label} {s} {e}\t{text[s:e]}" for i, (label, s, e) in enumerate(entities, 1)]
    (folder / f"{name}.ann").write_text("\n".join(lines) + "\n", "utf-8")


def test_eval_deid_reads_brat_and_writes_the_official_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "Nombre: Rosalía Vercher Ortí.\nNHC: 4418237.\nFecha de ingreso: 14/02/2019.\n"
    _brat(
        tmp_path / "gold",
        "caso1",
        text,
        [("NOMBRE_SUJETO_ASISTENCIA", 8, 28), ("ID_SUJETO_ASISTENCIA", 35, 42), ("FECHAS", 62, 72)],
    )
    out = tmp_path / "scores.json"
    assert main(["eval-deid", str(tmp_path / "gold"), "--ages", "all", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "subtask2_merged" in printed
    scores = json.loads(out.read_text("utf-8"))
    assert set(scores) >= {"subtask1", "subtask2_strict", "subtask2_merged", "per_label"}
    assert set(scores["subtask1"]) >= {"precision", "recall", "f1"}
    assert scores["subtask2_strict"]["recall"] == 1.0
    assert scores["per_label"]["FECHAS"]["tp"] == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "no gold records"),
        ('{"text": "Ana", "spans": [{"start": 0, "end": 3, "label": "PERSONA"}]}\n', "unknown label"),
    ],
    ids=["empty", "unknown-label"],
)
def test_eval_deid_refuses_empty_or_unknown_gold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, reason: str
) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(content, "utf-8")
    assert main(["eval-deid", str(gold)]) == 2
    err = capsys.readouterr().err.strip()
    assert reason in err
    assert len(err.splitlines()) == 1


def test_eval_deid_refuses_brat_with_unknown_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _brat(tmp_path / "gold", "caso1", "Ana Gil.", [("PACIENTE", 0, 7)])
    assert main(["eval-deid", str(tmp_path / "gold")]) == 2
    assert "unknown label 'PACIENTE'" in capsys.readouterr().err


def _key(tmp_path: Path) -> Path:
    key = tmp_path / "k"
    key.write_text(bytes(range(32)).hex(), "ascii")
    key.chmod(0o600)
    return key


def test_a_table_into_a_folder_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "in.csv"
    table.write_text("report\nPaciente Ana Gil.\n", "utf-8")
    (tmp_path / "outdir").mkdir()
    args = [
        "anonymize",
        "text",
        str(table),
        str(tmp_path / "outdir"),
        "--column",
        "report",
        "--key",
        str(_key(tmp_path)),
    ]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "is a folder" in err
    assert len(err.splitlines()) == 1


def test_no_key_is_one_line_exit_2_and_redact_needs_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        (src / f"r{i}.txt").write_text("Paciente Ana Gil Soler.", "utf-8")
    assert main(["anonymize", "text", str(src), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "needs a key" in err
    assert main(["anonymize", "text", str(src), str(tmp_path / "out"), "--mode", "redact", "-q"]) == 0
    assert "[NAME]" in (tmp_path / "out" / "r0.txt").read_text("utf-8")


def test_a_non_utf8_file_name_is_skipped_with_a_safe_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text("Paciente Ana Gil Soler.", "utf-8")
    bad = os.fsencode(src) + b"/inf\xf6rme.txt"
    with open(bad, "wb") as handle:
        handle.write(b"Paciente Ana Gil Soler.")
    assert main(["anonymize", "text", str(src), str(tmp_path / "out"), "--mode", "redact", "-q"]) == 0
    err = capsys.readouterr().err
    assert "inf\\udcf6rme.txt" in err
    assert (tmp_path / "out" / "good.txt").exists()


@pytest.mark.skipif(
    not (SHARED / "train").is_dir(),
    reason="MEDDOCAN training partition not in shared/data (beside or inside the repository; or set RADBANK_MEDDOCAN)",
)
def test_meddocan_training_slice_scores(tmp_path: Path) -> None:
    """Five cases of the training partition's held-out slice (every 10th case), never the dev or test partitions."""
    from radbank.text.brat import read_brat
    from radbank.text.evaluate import evaluate
    from radbank.text.pseudonymize import default_detector

    records = read_brat(SHARED / "train")[9::10][:5]
    ev = evaluate(records, default_detector("default", "all"))
    assert ev.official is not None
    assert ev.official.subtask2_strict.f1 >= 0.85
    assert ev.removed["ALL"].recall >= 0.9


def _relative(text: str, value: str) -> dict[str, object]:
    start = text.index(value)
    return {"start": start, "end": start + len(value), "label": "NAME", "meddocan": "FAMILIARES_SUJETO_ASISTENCIA"}


def test_removal_counts_a_kinship_word_alone_in_its_own_row() -> None:
    text = "Acude con su madre. Avisar a su madre Teresa Ruiz."
    rows = removal(text, [_relative(text, "madre")], [])
    assert ("KINSHIP", False) in rows


def test_removal_counts_a_kinship_word_alone_in_all() -> None:
    text = "Acude con su madre."
    assert ("ALL", False) in removal(text, [_relative(text, "madre")], [])


def test_removal_counts_a_relative_with_a_name_outside_kinship() -> None:
    text = "Avisar a su madre Teresa Ruiz."
    rows = removal(text, [_relative(text, "madre Teresa Ruiz")], [Span(18, 29, "NAME", "relative")])
    assert ("ALL-KINSHIP", True) in rows


def test_a_lower_case_kinship_phrase_is_kinship_only() -> None:
    text = "Hijo de una prima hermana de su pareja."
    assert kinship_only(_relative(text, "Hijo de una prima hermana"), "Hijo de una prima hermana")


def test_a_relative_span_with_a_name_is_not_kinship_only() -> None:
    text = "padres Ana Vidal y Juan"
    assert not kinship_only(_relative(text, text), text)
