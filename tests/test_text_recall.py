"""Recall classes of Spanish reports (issue 14): repeated identifiers, institution acronyms, one-line name
fields, makers after a registered product, institutions without a listed word, towns. Examples written for
these tests (not from MEDDOCAN, the dev corpus or the Indiana reports); the rules alone (no model) must hold."""

from __future__ import annotations

import re

import pytest

from radbank.text.form_fields import field_addresses, field_names
from radbank.text.gazetteer import load_gazetteer
from radbank.text.makers import maker_spans
from radbank.text.measurements import is_measurement
from radbank.text.patterns import INSTITUTION_ES
from radbank.text.pseudonymize import default_detector, pseudonymize
from radbank.text.spans import Span
from radbank.text.towns import TownFinder, outside_places


def redact(text: str) -> str:
    return pseudonymize(text, "es", mode="redact", detector=default_detector("none", "all"))[0]


def gone(secret: str, output: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(secret)}(?!\w)", output) is None


def institutions(text: str) -> list[str]:
    return [m.group(0) for m in INSTITUTION_ES.finditer(text)]


def test_a_found_id_is_removed_where_it_repeats_glued_to_a_prefix() -> None:
    assert gone("5520147", redact("NHC: 5520147.\nTarjeta: hc-5520147.\nRx de tórax normal."))


def test_a_short_number_is_not_spread() -> None:
    out = redact("NHC: 5520147.\nDosis 1200 mg; control en 1200 h.")
    assert "1200" in out


def test_an_institutions_acronym_in_parentheses_is_removed() -> None:
    out = redact("Remitida desde el Hospital Costa Azul (HCA) para control.")
    assert gone("HCA", out)


def test_an_institutions_acronym_is_removed_where_it_repeats() -> None:
    out = redact("Remitida desde el Hospital Costa Azul (HCA). Al alta vuelve al HCA para seguimiento.")
    assert gone("HCA", out)


def test_a_common_abbreviation_after_an_institution_is_no_acronym() -> None:
    out = redact("Estudio del Hospital Costa Azul (TC) sin hallazgos. Se repite TC en un mes.")
    assert "Se repite TC" in out


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Nombre: Itziar.\nApellidos: Quiles.\nNHC: 330291.", "Itziar"),
        ("Nombre: Itziar.\nApellidos: Quiles.\nNHC: 330291.", "Quiles"),
        ("Apellidos:Bravo Quiles\nNombre:Nerea", "Bravo Quiles"),
        ("Apellidos:Bravo Quiles\nNombre:Nerea", "Nerea"),
    ],
)
def test_a_name_field_that_fills_its_line_is_a_name(text: str, name: str) -> None:
    assert name in [text[s:e] for s, e in field_names(text)]


def test_a_one_word_name_field_is_removed() -> None:
    assert gone("Zuriñe", redact("Nombre: Zuriñe.\nApellidos: Olaeta Mugica.\nRx de tórax PA."))


def test_a_sentence_after_a_field_is_no_name() -> None:
    assert field_names("Paciente: Mujer de 40 años con tos.\n") == []


GAZ = load_gazetteer()


def maker_values(text: str) -> list[str]:
    return [text[s.start : s.end] for s in maker_spans(text, GAZ) if s.label == "INSTITUTION"]


def test_the_part_after_a_registered_product_is_its_maker() -> None:
    assert maker_values("se pautó colirio (Lumexa®, Farmalab) cada 8 horas") == ["Farmalab"]


def test_a_product_with_its_dose_before_the_maker() -> None:
    assert maker_values("timolol (Ocutim® 0,5%, Farmalab Ibérica)") == ["Farmalab Ibérica"]


def test_a_company_form_makes_a_maker() -> None:
    assert maker_values("se fijó con placas (Osteofix, Medisur Devices Inc.)") == ["Medisur Devices Inc."]


def test_a_place_after_a_registered_product_is_no_maker() -> None:
    assert maker_values("colirio (Lumexa®, Madrid)") == []


def test_a_product_is_kept() -> None:
    out = redact("Se pautó colirio (Lumexa®, Farmalab) cada 8 horas.")
    assert "Lumexa®" in out


@pytest.mark.parametrize(
    ("text", "institution"),
    [
        ("Valorado en el Centro Balear de Neurología del Sueño.", "Centro Balear de Neurología del Sueño"),
        ("Remitido por la Escuela de Enfermería Santa Ana, en Vigo.", "Escuela de Enfermería Santa Ana"),
        ("Autopsia ordenada por el Juzgado de Instrucción 4.", "Juzgado de Instrucción 4"),
        ("Se traslada al hospital Santa Lucía de Cartagena.", "hospital Santa Lucía de Cartagena"),
        ("Dra. Ruiz, H. U. Costa Blanca, Servicio de Radiología.", "H. U. Costa Blanca"),
        ('Hospital General "Río Claro", planta 3.', 'Hospital General "Río Claro"'),
        ("Hospital universitario Costa Azul, Servicio de Radiología.", "Hospital universitario Costa Azul"),
    ],
)
def test_institutions_without_a_listed_words_cue(text: str, institution: str) -> None:
    assert institutions(text) == [institution]


def test_a_streets_type_ends_an_institutions_name() -> None:
    assert institutions("Hospital Costa Azul Calle Mayor 3, Alicante") == ["Hospital Costa Azul"]


def test_a_lower_case_hospital_before_a_number_is_no_institution() -> None:
    assert institutions("Llega a nuestro hospital 12 horas después.") == []


def test_the_centre_of_a_lesion_is_no_institution() -> None:
    assert institutions("Centro de la lesión hipodenso.") == []


def test_a_town_of_the_geonames_list_is_removed() -> None:
    assert gone("Getafe", redact("Paciente que reside en Getafe desde hace años."))


def test_a_latin_american_capital_is_removed() -> None:
    assert gone("Montevideo", redact("Natural de Montevideo, consulta por disnea."))


def test_an_mri_sequence_named_like_a_town_is_kept() -> None:
    out = redact("Secuencias Turbo spin eco en T2 sin hallazgos.")
    assert "Turbo" in out


def test_clinical_criteria_named_after_a_town_are_kept() -> None:
    out = redact("Cumple los criterios revisados de El Escorial para ELA.")
    assert "El Escorial" in out


def test_an_address_field_with_a_number_is_a_street() -> None:
    text = "Domicilio: av, de la ermita 12, 3B.\nLocalidad: Elda."
    assert [text[s:e] for s, e in field_addresses(text)] == ["av, de la ermita 12, 3B"]


def test_an_address_field_without_a_number_is_left_to_the_other_rules() -> None:
    assert field_addresses("Domicilio: desconocido.\n") == []


def test_a_street_named_in_lower_case_is_removed() -> None:
    out = redact("Remitido por: Dra. Ruiz. Avenida de la alameda 14, Elda.")
    assert gone("alameda", out)


def test_a_street_word_before_a_duration_is_no_street() -> None:
    out = redact("Salió a la calle hace 2 días sin incidencias.")
    assert "hace 2 días" in out


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Consulta: C/ Olmo 4, 03600, Elda.", "03600"),
        ("Consulta: C/ Olmo 4, 30012-Murcia.", "30012"),
        ("Consulta: Paraje Los Pinos s/n (33011) Oviedo.", "33011"),
        ("Consulta en Getafe 28904. Tel. consulta.", "28904"),
    ],
)
def test_a_postal_code_beside_its_town_is_removed(text: str, code: str) -> None:
    assert gone(code, redact(text))


def test_a_lab_value_beside_a_capitalised_word_is_kept() -> None:
    out = redact("Leucocitos 17850, Neutrófilos 86%.")
    assert "17850" in out


def test_a_postal_code_found_once_is_removed_where_it_repeats() -> None:
    out = redact("CP: 46015.\nCopia enviada al 46015.")
    assert gone("46015", out)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Fax: 96 512 40 33. Correo en el reverso.", "96 512 40 33"),
        ("Tlf. 654 330921 (mañanas).", "654 330921"),
    ],
)
def test_spanish_phone_layouts(text: str, number: str) -> None:
    assert gone(number, redact(text))


def test_a_licence_number_glued_to_the_name_is_removed() -> None:
    out = redact("Médico: Inés Pastor MollNºCol: 46 46 20981.\nInforme clínico.")
    assert gone("46 46 20981", out)


def test_a_us_state_closes_a_makers_list() -> None:
    assert maker_values("(OCT 2000, Brightline Optics, Dublin, CA)") == ["Brightline Optics"]


def test_a_number_before_a_state_is_no_town() -> None:
    assert maker_spans("(3 mm, 2 cm, 4 días, Texas)", GAZ) == []


def test_the_town_finder_takes_the_longest_name() -> None:
    finder = TownFinder(["Villa", "Villa del Mar"])
    text = "Vive en Villa del Mar."
    assert [text[s:e] for s, e in finder.find(text)] == ["Villa del Mar"]


def test_the_town_finder_takes_whole_words_only() -> None:
    assert TownFinder(["Elda"]).find("Eldana y Eldaño") == []


def test_a_country_written_with_full_stops_closes_a_makers_list() -> None:
    text = "(Lente tórica, Brightline Optics, Boston, U.S.A.)"
    assert maker_values(text) == ["Brightline Optics"]


def test_a_hospitals_acronym_before_its_quoted_name() -> None:
    assert institutions('Trasladado al HGM "Costa Azul" de madrugada.') == ['HGM "Costa Azul"']


def test_an_abbreviation_before_a_quoted_lower_case_word_is_no_institution() -> None:
    assert institutions('HTA "esencial" en tratamiento.') == []


def test_a_devices_description_before_its_maker_is_kept() -> None:
    text = "(Lente tórica, Brightline Optics, U.S.A.)"
    assert maker_values(text) == []


def test_a_maker_after_a_product_may_hold_a_lower_case_word() -> None:
    text = "(Lumexa®, Farmalab iberia, Vigo, España)"
    assert maker_values(text) == ["Farmalab iberia"]


def spans_of(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.label) for s in default_detector("none", "all").detect(text, "es")]


def test_a_listed_town_made_of_listed_names_is_a_town() -> None:
    text = "Remite: Calle Sol 12.\n45600 Talavera de la Reina (Toledo).\nRx normal."
    assert ("Talavera de la Reina", "CITY") in spans_of(text)


def test_a_listed_surname_after_a_postal_code_is_a_place() -> None:
    text = "Remite: Irene Soto.\nCalle Sol 12, 30007 Heredia, Costa Rica.\nEcografía normal."
    assert ("Heredia", "CITY") in spans_of(text)


def test_a_name_from_listed_names_stops_before_a_country() -> None:
    text = "Remite: Irene Soto.\nCalle Sol 12, 30007 Heredia, Costa Rica.\nEcografía normal."
    assert ("Costa Rica", "COUNTRY") in spans_of(text)


def test_a_found_town_is_removed_where_the_report_repeats_it() -> None:
    out = redact("Procede de Heredia, Costa Rica.\nEn Heredia le hicieron una TC.")
    assert gone("Heredia", out)


def number_span(text: str, value: str) -> Span:
    start = text.index(value)
    return Span(start, start + len(value), "DATE", "FECHAS", "ner")


def test_a_number_with_a_unit_is_a_measurement() -> None:
    text = "La pieza pesó 5786 gramos."
    assert is_measurement(text, number_span(text, "5786"))


def test_a_number_after_a_model_cue_is_a_product_code() -> None:
    text = "Prótesis anatómica (modelo 20636, Polytech)."
    assert is_measurement(text, number_span(text, "20636"))


def test_a_postal_code_before_a_town_is_no_measurement() -> None:
    text = "Calle Sol 12, 20636 Mendaro."
    assert not is_measurement(text, number_span(text, "20636"))


def test_an_institution_stops_at_the_end_of_its_sentence() -> None:
    assert institutions("Remitido desde la Clínica San Juan. Presenta fiebre.") == ["Clínica San Juan"]


def test_an_institution_goes_on_over_a_listed_abbreviation() -> None:
    assert institutions("Ingresa en el Hospital Gral. Universitario de Elda.") == [
        "Hospital Gral. Universitario de Elda"
    ]


def test_a_road_and_its_kilometre_is_an_address() -> None:
    assert gone("187", redact("Centro Médico Sur. A7, km. 187.\n29602 Marbella."))


def test_a_hospitals_acronym_before_its_name_is_an_institution() -> None:
    assert institutions("Ingresó en el HGU Gregorio Marañón por disnea.") == ["HGU Gregorio Marañón"]


def test_an_abbreviated_hospital_word_before_its_kind_is_an_institution() -> None:
    assert institutions("Remitido del H. Clínico San Carlos.") == ["H. Clínico San Carlos"]


def test_hounsfield_units_are_no_institution() -> None:
    assert institutions("Densidad de 40 HU en fase venosa. HU. Se observa") == []


def test_a_four_digit_code_in_brackets_after_a_town_is_its_postal_code() -> None:
    assert gone("5000", redact("Av. Colón 12, Córdoba (5000), Argentina."))


def test_a_short_code_after_a_postal_cue_is_removed() -> None:
    assert gone("X500", redact("Localidad: Córdoba.\nCP: X500.\n"))


def test_a_dose_in_brackets_after_a_town_is_kept() -> None:
    assert "500 mg" in redact("Trasladado a Córdoba (500 mg de paracetamol cada 8 horas).")


def test_a_name_that_opens_with_a_listed_town_keeps_the_rest_a_name() -> None:
    text = "Remite: Elda Martínez Ruiz.\n45600 Talavera de la Reina (Toledo)."
    start = text.index("Elda")
    places = [Span(start, start + 4, "CITY", "city")]
    kept = outside_places(text, start, start + len("Elda Martínez Ruiz"), places)
    assert text[kept[0] : kept[1]] == "Martínez Ruiz"
