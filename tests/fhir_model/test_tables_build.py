"""The committed R4 tables equal a fresh build, and hold known facts of the R4 spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from carehub.errors import Incorrect
from carehub.fhir_model.definitions import definitions
from carehub.fhir_model.tables_build import (
    TABLE_FILES,
    build_search_parameters,
    build_tables,
    read_bundles,
    write_tables,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "carehub" / "fhir_model" / "data"


def test_committed_tables_equal_a_rebuild_from_the_bundles(
    shared_dir: Path, tmp_path: Path
) -> None:
    bundles = shared_dir / "fhir-r4-definitions"
    if not bundles.is_dir():
        pytest.skip(f"R4 definition Bundles not found at {bundles}")
    written = write_tables(build_tables(read_bundles(bundles)), tmp_path)
    assert sorted(p.name for p in written) == sorted(TABLE_FILES)
    for name in TABLE_FILES:
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), name


def test_tables_stay_small() -> None:
    total = sum((DATA_DIR / name).stat().st_size for name in TABLE_FILES)
    assert total < 3_000_000


def test_patient_search_parameters() -> None:
    params = definitions().search_params("Patient")
    assert len(params) >= 23
    name = params["name"]
    assert (name.type, name.expression, name.base) == ("string", "Patient.name", "Patient")
    assert params["birthdate"].expression == "Patient.birthDate"
    assert params["_lastUpdated"].expression == "Patient.meta.lastUpdated"
    targets = set(params["general-practitioner"].target)
    assert targets == {"Organization", "Practitioner", "PractitionerRole"}


def test_every_resource_type_has_the_folded_resource_parameters() -> None:
    d = definitions()
    assert len(d.resource_types()) == 146
    for resource_type in d.resource_types():
        params = d.search_params(resource_type)
        for code in ("_id", "_lastUpdated", "_tag", "_profile", "_security", "_source"):
            assert params[code].expression is not None
            assert params[code].expression.startswith(f"{resource_type}.")


def test_composite_parameter_keeps_its_components() -> None:
    param = definitions().search_params("Observation")["code-value-quantity"]
    assert param.type == "composite"
    assert param.components == (
        ("http://hl7.org/fhir/SearchParameter/clinical-code", "code"),
        ("http://hl7.org/fhir/SearchParameter/Observation-value-quantity", "value.as(Quantity)"),
    )


def test_multi_base_expressions_are_narrowed() -> None:
    d = definitions()
    assert d.search_params("Condition")["code"].expression == "Condition.code"
    assert d.search_params("Observation")["value-quantity"].expression == (
        "(Observation.value as Quantity) | (Observation.value as SampledData)"
    )
    assert (
        d.search_params("Observation")["patient"].expression
        == "Observation.subject.where(resolve() is Patient)"
    )


def test_unknown_resource_type_suggests_the_closest() -> None:
    with pytest.raises(Incorrect, match="Did you mean 'Patient'"):
        definitions().search_params("Patinet")


def test_observation_value_is_a_choice_of_eleven_types() -> None:
    value = definitions().element("Observation.value[x]")
    assert value is not None
    assert value.is_choice and not value.is_array
    assert len(value.types) == 11
    assert "Quantity" in value.types and "dateTime" in value.types


def test_reference_targets_and_required_bindings() -> None:
    d = definitions()
    subject = d.element("Observation.subject")
    assert subject is not None
    assert subject.target_types == ("Patient", "Group", "Device", "Location")
    gender = d.element("Patient.gender")
    assert gender is not None
    assert gender.binding_valueset == "http://hl7.org/fhir/ValueSet/administrative-gender"
    assert d.valueset_codes(gender.binding_valueset) == {"male", "female", "other", "unknown"}
    assert d.valueset_codes("http://hl7.org/fhir/ValueSet/ucum-units") is None


def test_system_types_are_reduced_to_json_types() -> None:
    d = definitions()
    assert d.element("HumanName.id").types == ("string",)  # type: ignore[union-attr]
    assert d.element("Patient.id").types == ("id",)  # type: ignore[union-attr]
    assert d.element("Extension.url").types == ("uri",)  # type: ignore[union-attr]


def test_children_follow_content_references_and_types() -> None:
    d = definitions()
    nested = d.children("Questionnaire.item.item")
    assert nested["item"].content_reference == "Questionnaire.item"
    assert "linkId" in nested
    assert set(d.children("Patient.name")) == set(d.children("HumanName"))
    assert d.children("Nope") == {}
    assert d.type_kind("Patient") == "resource"
    assert d.type_kind("string") == "primitive-type"
    assert d.type_kind("Nope") is None


def test_duplicate_search_parameter_codes_are_refused() -> None:
    sp = {"version": "4.0.1", "code": "x", "type": "token", "url": "u", "base": ["Patient"]}
    with pytest.raises(Incorrect, match=r"Patient\.x"):
        build_search_parameters([sp, {**sp, "url": "v"}], ["Patient"])
