"""Kinship words are family history, not identifiers: kept in the text in both modes, scored as MEDDOCAN's
relatives; a relative's name after them is replaced. Examples written for these tests."""

from __future__ import annotations

from radbank.anonymize.keys import Keyed
from radbank.text.combine import meddocan_label
from radbank.text.kinship import KINSHIP_LABEL, keep_kinship, kinship_prefix, kinship_words, replaced
from radbank.text.pseudonymize import default_detector, pseudonymize
from radbank.text.spans import Span

KEY = Keyed(bytes(range(32)))


def model_span(text: str, value: str, label: str, kind: str) -> Span:
    start = text.index(value)
    return Span(start, start + len(value), label, kind, "ner")


def test_a_kinship_word_alone_is_kinship() -> None:
    assert kinship_words("madre")


def test_a_counted_kinship_phrase_is_kinship() -> None:
    assert kinship_words("tres hermanas")


def test_a_kinship_phrase_opening_a_sentence_is_kinship() -> None:
    assert kinship_words("Hija de un primo")


def test_english_kinship_words_are_kinship() -> None:
    assert kinship_words("his stepfather")


def test_a_relative_with_a_name_is_not_kinship_alone() -> None:
    assert not kinship_words("madre Lucía")


def test_a_word_that_only_starts_like_a_kinship_word_is_not_one() -> None:
    assert not kinship_words("hijuela")


def test_the_kinship_prefix_of_a_relatives_name() -> None:
    assert kinship_prefix("esposa Marta Gil") == len("esposa ")


def test_no_kinship_prefix_before_a_lower_case_word() -> None:
    assert kinship_prefix("hija de otro primo") == 0


def test_a_model_kinship_span_with_any_label_becomes_kept_kinship() -> None:
    text = "Avisar a su abuela por teléfono."
    [span] = keep_kinship(text, [model_span(text, "abuela", "EMAIL", "CORREO_ELECTRONICO")])
    assert span.label == KINSHIP_LABEL


def test_a_kept_kinship_span_is_scored_as_meddocans_relatives() -> None:
    text = "Avisar a su abuela por teléfono."
    [span] = keep_kinship(text, [model_span(text, "abuela", "NAME", "FAMILIARES_SUJETO_ASISTENCIA")])
    assert meddocan_label(span, text) == "FAMILIARES_SUJETO_ASISTENCIA"


def test_a_kinship_word_joins_the_relatives_name_after_it() -> None:
    text = "Avisar a su abuela Rosario Vidal."
    spans = [
        model_span(text, "abuela", "NAME", "FAMILIARES_SUJETO_ASISTENCIA"),
        model_span(text, "Rosario Vidal", "NAME", "relative"),
    ]
    assert [text[s.start : s.end] for s in keep_kinship(text, spans)] == ["abuela Rosario Vidal"]


def test_only_the_name_of_a_joined_relatives_span_is_replaced() -> None:
    text = "Avisar a su abuela Rosario Vidal."
    span = replaced(text, model_span(text, "abuela Rosario Vidal", "NAME", "FAMILIARES_SUJETO_ASISTENCIA"))
    assert text[span.start : span.end] == "Rosario Vidal"


def test_family_history_stays_in_surrogate_mode() -> None:
    text = "Antecedentes familiares: su madre falleció de un cáncer de mama; dos hermanos con diabetes."
    out, _ = pseudonymize(text, "es", KEY, "p1", detector=default_detector("default", "all"))
    assert out == text


def test_family_history_stays_in_redact_mode() -> None:
    text = "Padre con cardiopatía isquémica. La hija de su prima tuvo una fisura palatina."
    out, _ = pseudonymize(text, "es", mode="redact", detector=default_detector("default", "all"))
    assert out == text


def test_a_relatives_name_is_replaced_and_the_kinship_word_kept() -> None:
    text = "Se informa a su marido Anselmo Ibarra de los resultados."
    out, _ = pseudonymize(text, "es", mode="redact", detector=default_detector("default", "all"))
    assert out == "Se informa a su marido [NAME] de los resultados."


def test_a_lower_case_name_after_a_kinship_word_is_no_kinship_alone() -> None:
    assert not kinship_words("madre maría lópez")


def test_a_model_span_of_a_kinship_word_and_a_lower_case_name_stays_a_name() -> None:
    text = "avisar a la madre maría lópez por teléfono."
    [span] = keep_kinship(text, [model_span(text, "madre maría lópez", "NAME", "FAMILIARES_SUJETO_ASISTENCIA")])
    assert span.label == "NAME"


def test_a_side_after_a_kinship_word_is_kinship() -> None:
    assert kinship_words("Primo de rama paterna")
