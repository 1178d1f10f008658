"""radbank.findings: ConText negation/uncertainty scope, heart and mediastinum states, Spanish reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radbank.findings.fold import fold
from radbank.findings.labeller import label_report
from radbank.findings.labels import columns, cui_of
from radbank.findings.segment import sentences
from radbank.sources.nih import NIH_FINDINGS

ES_CORPUS = Path(__file__).parent / "data" / "findings_es.jsonl"


@pytest.mark.parametrize(
    ("text", "finding", "value"),
    [
        # the false positives: the cue is far away, or not in the old list
        (
            "No focal consolidation, suspicious pulmonary opacity, large pleural effusion, or pneumothorax is "
            "identified.",
            "Pneumothorax",
            0,
        ),
        (
            "No focal consolidation, suspicious pulmonary opacity, large pleural effusion, or pneumothorax is "
            "identified.",
            "Effusion",
            0,
        ),
        ("The lungs are clear of focal airspace disease, pneumothorax, or pleural effusion.", "Pneumothorax", 0),
        ("Without evidence of focal airspace disease, pleural effusion, or pneumothorax.", "Pneumothorax", 0),
        ("Free of pneumothorax.", "Pneumothorax", 0),
        ("No evidence of pneumonia or edema.", "Edema", 0),
        # post-negation
        ("Pneumothorax, effusion and consolidation are not seen.", "Pneumothorax", 0),
        ("Previously seen left effusion has resolved.", "Effusion", 0),
        ("Pneumothorax is not seen.", "Pneumothorax", 0),
        # uncertainty
        ("Cannot exclude pneumonia.", "Pneumonia", -1),
        ("Possible small effusion.", "Effusion", -1),
        ("Opacity may represent atelectasis.", "Atelectasis", -1),
        ("Atelectasis versus pneumonia in the left base.", "Pneumonia", -1),
        ("Atelectasis versus pneumonia in the left base.", "Atelectasis", -1),
        ("Pneumonia cannot be excluded.", "Pneumonia", -1),
        ("No new consolidation.", "Consolidation", -1),
        # scope ends: a terminating cue, a clause that is not a list item, the sentence
        ("No pneumothorax, but there is a small effusion.", "Effusion", 1),
        ("No pneumothorax, the heart is enlarged.", "Cardiomegaly", 1),
        ("Left lower lobe consolidation, the lungs are otherwise clear.", "Consolidation", 1),
        ("No pneumothorax. Small right effusion.", "Effusion", 1),
        ("Possible pneumonia but no effusion.", "Effusion", 0),
        # pseudo cues and longest match
        ("No change in the small left effusion.", "Effusion", 1),
        ("Small pericardial effusion.", "Effusion", None),
        ("Calcified nodule in the right upper lobe.", "Nodule", None),
        # plain positives
        ("Small left apical pneumothorax.", "Pneumothorax", 1),
        ("Hiatal hernia.", "Hernia", 1),
    ],
)
def test_context_english(text: str, finding: str, value: int | None) -> None:
    assert label_report(text, "en").values.get(finding) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Heart size is normal.", 0),
        ("Normal heart size.", 0),
        ("The cardiac silhouette is within normal limits.", 0),
        ("The heart is mildly enlarged.", 1),
        ("Enlarged cardiac silhouette.", 1),
        ("The heart is not enlarged.", 0),
        ("Heart size is upper limits of normal.", -1),
        ("Borderline heart size.", -1),
        ("Large hiatal hernia posterior to the heart.", None),
        ("Índice cardiotorácico aumentado.", 1),
        ("Silueta cardiaca de tamaño normal.", 0),
    ],
)
def test_heart_states(text: str, value: int | None) -> None:
    assert label_report(text).values.get("Cardiomegaly") == value


def test_hypothetical_mentions_are_dropped() -> None:
    assert "Pneumothorax" not in label_report("Return if pneumothorax symptoms develop.", "en").values


def test_present_wins_over_negated_and_uncertain() -> None:
    assert (
        label_report("No effusion on the right. Possible effusion on the left. Small left effusion.", "en").values[
            "Effusion"
        ]
        == 1
    )


def _es_cases() -> list[tuple[str, str, str, int]]:
    rows = [json.loads(line) for line in ES_CORPUS.read_text("utf-8").splitlines() if line.strip()]
    return [(r["id"], r["text"], k, v) for r in rows for k, v in r["labels"].items()]


@pytest.mark.parametrize(("rid", "text", "finding", "value"), _es_cases(), ids=lambda x: str(x)[:24])
def test_spanish_corpus(rid: str, text: str, finding: str, value: int) -> None:
    assert label_report(text, "auto").values.get(finding) == value, rid


def test_spanish_reports_are_recognised_as_spanish() -> None:
    rows = [json.loads(line) for line in ES_CORPUS.read_text("utf-8").splitlines() if line.strip()]
    assert {label_report(r["text"]).lang for r in rows} == {"es"}


def test_fold_keeps_offsets() -> None:
    text = "Índice cardiotorácico, NEUMOTÓRAX; x-ray İ"
    assert len(fold(text)) == len(text)


def test_fold_removes_accents_and_hyphens() -> None:
    assert fold("Neumotórax x-ray") == "neumotorax x ray"


def test_sentences_keep_decimals_and_abbreviations() -> None:
    text = "Nodule 1.5 cm. Atelectasis vs. pneumonia.\nIMPRESSION: normal"
    assert [text[s:e].strip() for s, e in sentences(text)] == [
        "Nodule 1.5 cm",
        "Atelectasis vs. pneumonia",
        "IMPRESSION",
        "normal",
    ]


def test_wrapped_line_in_lower_case_is_one_sentence() -> None:
    text = "Sin derrame\npleural. Cardiomegalia"
    assert len(sentences(text)) == 2


def test_every_nih_finding_has_a_cui() -> None:
    assert [f for f in NIH_FINDINGS if not cui_of(f)] == []


def test_label_sets() -> None:
    assert [c for c, _ in columns("nih")] == list(NIH_FINDINGS)
    assert ("pleural effusion", "Effusion") in columns("padchest")
