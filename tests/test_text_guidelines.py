"""MEDDOCAN's annotation conventions (labels, span ends, makers in parentheses), the precision rules added with
them, and the English model's gate. Examples written for these tests (not from MEDDOCAN or Indiana)."""

from __future__ import annotations

import re

import pytest

from radbank.text.combine import combine, meddocan_label
from radbank.text.english import english_entity, needs_english_model
from radbank.text.gazetteer import load_gazetteer
from radbank.text.guidelines import field_label, relabel, to_guidelines, trim
from radbank.text.makers import maker_spans
from radbank.text.patterns import age_spans
from radbank.text.pseudonymize import default_detector
from radbank.text.spans import Span

GAZ = load_gazetteer()


def whole(text: str, label: str, kind: str) -> Span:
    return Span(0, len(text), label, kind, "ner")


def values(text: str, spans: list[Span]) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.kind) for s in spans]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Calle Ortega y Gasset 41. CP", "Calle Ortega y Gasset 41"),
        ("964 112 233 e-mail", "964 112 233"),
        ("Avda. del Puerto 12,", "Avda. del Puerto 12"),
        ("Castellón.", "Castellón"),
        ("Pl. Mayor 3, 2º izq.", "Pl. Mayor 3, 2º izq."),
    ],
)
def test_span_ends_follow_the_guideline(text: str, kept: str) -> None:
    span = trim(text, whole(text, "ADDRESS", "CALLE"))
    assert text[span.start : span.end] == kept


def test_a_street_ending_with_its_postal_code_is_two_spans() -> None:
    text = "c/ Sant Vicent 14, 3º 12002"
    assert values(text, to_guidelines(text, [whole(text, "ADDRESS", "CALLE")], GAZ)) == [
        ("c/ Sant Vicent 14, 3º", "CALLE"),
        ("12002", "TERRITORIO"),
    ]


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("Centro de Salud Benicalap", "INSTITUCION", "CENTRO_SALUD"),
        ("Clínica Vistahermosa", "INSTITUCION", "HOSPITAL"),
        ("Marruecos", "TERRITORIO", "PAIS"),
        ("Reino Unido", "NOMBRE_SUJETO_ASISTENCIA", "PAIS"),
        ("Albacete", "PAIS", "TERRITORIO"),
        ("Ruzafa", "TERRITORIO", "TERRITORIO"),
    ],
)
def test_labels_follow_the_guideline(text: str, kind: str, expected: str) -> None:
    assert relabel(text, whole(text, "CITY", kind), GAZ).kind == expected


def test_numbers_after_fax_and_phone_cues_are_fax_and_phone() -> None:
    text = "Tfno: 961234567 Fax: 961234568"
    spans = [Span(6, 15, "ID", "number"), Span(21, 30, "ID", "number")]
    assert [s.kind for s in to_guidelines(text, spans, GAZ)] == ["NUMERO_TELEFONO", "NUMERO_FAX"]


def test_a_form_fields_value_takes_the_fields_label() -> None:
    text = "Localidad/ Provincia:  Gandia.\nNHC: 4471902."
    assert field_label(text, text.index("Gandia")) == "TERRITORIO"
    assert relabel(text, Span(23, 29, "NAME", "NOMBRE_SUJETO_ASISTENCIA"), GAZ).kind == "TERRITORIO"


def test_a_street_under_a_number_field_stays_a_street() -> None:
    text = "NHC: Calle Tres Cruces, 8."
    span = Span(5, 25, "ADDRESS", "CALLE")
    assert relabel(text, span, GAZ).kind == "CALLE"


def test_a_makers_name_city_and_country_in_parentheses() -> None:
    text = "Se colocó una lente (Acrysof®, Alcon Cusí, El Masnou, España) sin incidencias."
    assert values(text, maker_spans(text, GAZ)) == [
        ("España", "PAIS"),
        ("El Masnou", "TERRITORIO"),
        ("Alcon Cusí", "INSTITUCION"),
    ]


def test_a_product_with_a_dose_is_not_a_maker() -> None:
    text = "colirio (dexametasona 0,1%, Valencia, España)"
    assert "INSTITUCION" not in [s.kind for s in maker_spans(text, GAZ)]


@pytest.mark.parametrize(
    "text",
    ["lumbalgia de 12 años de evolución", "dolor de más de 3 años", "indicado en niños a partir de 6 años"],
)
def test_durations_are_not_ages(text: str) -> None:
    assert age_spans(text, "all") == []


def test_a_persons_age_is_still_an_age() -> None:
    text = "Mujer de 47 años, sin alergias."
    assert [text[s.start : s.end] for s in age_spans(text, "all")] == ["47 años"]


def spans_of(text: str, lang: str = "es") -> list[tuple[str, str]]:
    detector = default_detector("default", "all")
    return [(text[s.start : s.end], meddocan_label(s, text)) for s in detector.detect(text, lang)]


def test_a_function_word_before_a_lower_case_word_is_no_name() -> None:
    found = spans_of("Informe clínico del paciente: Una mujer de 61 años acude por disnea.")
    assert not [v for v, label in found if label.startswith("NOMBRE")]


def test_a_listed_function_word_alone_in_a_name_field_is_a_name() -> None:
    found = spans_of("Nombre: Lucía.\nApellidos: Bueno.\nNHC: 5512093.")
    assert ("Bueno", "NOMBRE_SUJETO_ASISTENCIA") in found


def test_specialties_after_a_professional_cue_are_no_names() -> None:
    found = spans_of("Remitido al Servicio de Endocrinología y Nutrición. Médico: Cirugía Oral y Maxilofacial.")
    assert not [v for v, label in found if label.startswith("NOMBRE")]


def test_a_glasgow_score_is_no_place() -> None:
    found = spans_of("Llega con un Glasgow de 9 y pupilas reactivas.")
    assert not [v for v, _ in found if v == "Glasgow"]


LISTED = GAZ.is_world_name


@pytest.mark.parametrize(
    "text",
    [
        "Clear lungs. Kidney outline normal.",
        "The heart is normal in size. Mediastinal contours are within normal limits.",
        "XXXX-year-old with cough. T-spine degenerative change.",
    ],
)
def test_reports_without_evidence_skip_the_english_model(text: str) -> None:
    assert not needs_english_model(text, LISTED)


@pytest.mark.parametrize(
    "text",
    [
        "Discussed with Siobhan Okonkwo at 14:00.",
        "Transferred from St Brigid's Hospital.",
    ],
)
def test_reports_with_evidence_run_the_english_model(text: str) -> None:
    assert needs_english_model(text, LISTED)


def test_the_gate_drops_nothing_the_filter_would_keep() -> None:
    """On texts the gate skips, the English model's entities, filtered as radbank filters them, are none."""
    from radbank.text.english import MODEL_EN
    from radbank.text.ner import _load_spacy, _spacy_fn

    texts = [
        "Clear lungs. Kidney outline normal.",
        "The cardiomediastinal silhouette is normal. Hodgkin's disease.",
        "Small left effusion. Central lines unchanged. May represent atelectasis.",
    ]
    model = _spacy_fn(_load_spacy(MODEL_EN))
    for text in texts:
        assert not needs_english_model(text, LISTED)
        kept = [english_entity(text, s, LISTED, GAZ.is_country) for s in model(text, "en")]
        assert [k for k in kept if k is not None] == []


def test_a_street_without_its_type_before_a_postal_code_is_removed() -> None:
    found = spans_of("Remitido por: Dra. Elena Sanchis Roig. Hospital de Sagunto. Ramón y Cajal 7, 46520 Sagunto.")
    assert ("Ramón y Cajal 7", "CALLE") in found


def test_a_lab_value_before_a_count_is_no_street() -> None:
    found = spans_of("Analítica: hemoglobina 12, 14000 leucocitos por mm3.")
    assert not [v for v, label in found if label == "CALLE"]


def test_a_university_is_an_institution() -> None:
    found = spans_of("Estudio realizado en la Universidad de Zaragoza por el equipo de radiología.")
    assert [label for v, label in found if "Zaragoza" in v] == ["INSTITUCION"]


def test_a_hyphenated_place_is_one_span() -> None:
    text = "Domicilio en Donostia-Arrasate desde 2010."
    start = text.index("Donostia")
    spans = to_guidelines(text, [Span(start, start + len("Donostia"), "CITY", "TERRITORIO", "ner")], GAZ)
    assert values(text, spans) == [("Donostia-Arrasate", "TERRITORIO")]


@pytest.mark.parametrize(
    ("text", "age"), [("Lactante de 29 días de vida.", "29 días"), ("Niña de 13 meses de edad.", "13 meses")]
)
def test_ages_in_days_and_months(text: str, age: str) -> None:
    assert [text[s.start : s.end] for s in age_spans(text, "all")] == [age]


def test_a_postal_code_territory_gets_a_postal_code_surrogate() -> None:
    from radbank.anonymize.keys import Keyed
    from radbank.text.pseudonymize import pseudonymize

    text = "Localidad/ Provincia: Teruel.\nCP: 44002.\n"
    out, _ = pseudonymize(text, "es", Keyed(bytes(range(32))), detector=default_detector("default", "all"))
    assert re.search(r"CP: \d{5}\.", out) is not None


def test_a_full_numeric_date_wins_over_a_model_span_that_runs_into_it() -> None:
    text = "Paciente Rosa Vidal Mira, 03/04/2020."
    model = [Span(9, 32, "ADDRESS", "CALLE", "ner")]  # "Rosa Vidal Mira, 03/04/"
    rules = [Span(26, 36, "DATE", "numeric", "rules")]
    assert [(text[s.start : s.end], s.label) for s in combine(text, model, rules)] == [
        ("Rosa Vidal Mira", "ADDRESS"),
        ("03/04/2020", "DATE"),
    ]


def test_a_street_of_listed_names_without_a_number_is_a_person() -> None:
    text = "Paciente Rosa Vidal Mira, ingresada."
    span = relabel(text, Span(9, 24, "ADDRESS", "CALLE", "ner"), load_gazetteer())
    assert span.kind == "NOMBRE_SUJETO_ASISTENCIA"


def test_a_street_with_its_number_stays_a_street() -> None:
    text = "Domicilio en Rosa Vidal 12."
    span = relabel(text, Span(13, 26, "ADDRESS", "CALLE", "ner"), load_gazetteer())
    assert span.kind == "CALLE"
