"""The compiled FHIRPath subset: fhirpathpy as oracle on real data, and each construct."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import fhirpathpy
import orjson
import pytest
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

from carehub.errors import Fault
from carehub.fhir_model.definitions import definitions
from carehub.fhir_model.fhirpath_fallback import lenient, split_union
from carehub.fhir_model.fhirpath_parse import FhirPathSyntaxError
from carehub.fhir_model.fhirpath_subset import OutsideSubset, compile_native, compile_path
from carehub.fhir_model.values import reference_type

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir_model" / "search_index.json"
Resource = dict[str, Any]


# -- the oracle ---------------------------------------------------------------------------
def _resolve(inputs: list[Any]) -> list[Any]:
    """``resolve()`` for the oracle: a stub resource of the type the reference names."""
    return [
        ResourceNode.create_node({"resourceType": t})
        for t in (reference_type(item) for item in inputs)
        if t is not None
    ]


_ORACLE_OPTIONS = {"userInvocationTable": {"resolve": {"fn": _resolve, "arity": {0: []}}}}


def _oracle(expression: str) -> Any:
    strict = fhirpathpy.compile(expression, models["r4"], _ORACLE_OPTIONS)
    loose = fhirpathpy.compile(lenient(expression), models["r4"], _ORACLE_OPTIONS)

    def evaluate(resource: Resource) -> list[Any]:
        try:
            return list(strict(resource, {}))
        except ValueError:  # 'as' on several items: R4 search parameters read it as ofType
            return list(loose(resource, {}))

    return evaluate


def _normal(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _canonical(values: list[Any]) -> list[str]:
    # a set: FHIRPath unions de-duplicate, the native union leaves that to the index rows
    return sorted({json.dumps(_normal(v), sort_keys=True, default=str) for v in values})


def _sample_resources(shared_dir: Path) -> dict[str, list[Resource]]:
    by_type: dict[str, list[Resource]] = {}
    folder = shared_dir / "fhir-samples" / "bulk-10-patients"
    for path in sorted(folder.glob("*.ndjson")):
        if path.name != "log.ndjson":
            for line in path.read_bytes().splitlines():
                resource = orjson.loads(line)
                by_type.setdefault(resource["resourceType"], []).append(resource)
    for case in json.loads(FIXTURES.read_text(encoding="utf-8")):
        by_type.setdefault(case["resource"]["resourceType"], []).append(case["resource"])
    return by_type


@pytest.mark.slow
def test_native_matches_fhirpathpy_on_every_sample(shared_dir: Path) -> None:
    checked = 0
    mismatches: list[str] = []
    for resource_type, resources in _sample_resources(shared_dir).items():
        for code, param in definitions().search_params(resource_type).items():
            if not param.expression:
                continue
            native = compile_native(param.expression, resource_type)
            oracle = _oracle(param.expression)
            for resource in resources:
                got, expected = _canonical(native.values(resource)), _canonical(oracle(resource))
                checked += 1
                if got != expected and len(mismatches) < 10:
                    mismatches.append(
                        f"{resource_type}.{code} on {resource.get('id')}: {got} != {expected}"
                    )
    assert not mismatches, "\n".join(mismatches)
    assert checked > 150_000


# -- each construct -----------------------------------------------------------------------
OBS: Resource = {
    "resourceType": "Observation",
    "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
    "subject": {"reference": "Patient/p1"},
    "effectivePeriod": {"start": "2024-01-01"},
    "valueQuantity": {"value": 5.4, "unit": "mmol/L"},
    "component": [
        {"code": {"text": "a"}, "valueQuantity": {"value": 1}},
        {"code": {"text": "b"}, "valueCodeableConcept": {"text": "x"}},
        {"code": {"text": "a"}, "valueString": "s"},
    ],
}
PAT: Resource = {
    "resourceType": "Patient",
    "extension": [
        {
            "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
            "valueCode": "F",
        },
        {"url": "http://example.org/other", "valueString": "o"},
    ],
    "active": True,
    "name": [{"family": "Nguyễn", "given": ["An", None]}, {"family": "Trần", "given": ["Bình"]}],
    "_name": None,
    "telecom": [
        {"system": "phone", "value": "1"},
        {"system": "email", "value": "e"},
        {"value": "2"},
    ],
    "contact": [{"name": {"family": "Lê"}, "telecom": [{"system": "phone", "value": "3"}]}],
}


def run(expression: str, resource: Resource) -> list[tuple[Any, str]]:
    return compile_native(expression, resource["resourceType"])(resource)


def test_as_infix_picks_one_choice_key() -> None:
    path = compile_native("(Observation.value as Quantity)", "Observation")
    assert path(OBS) == [({"value": 5.4, "unit": "mmol/L"}, "Quantity")]
    assert path.root_keys == frozenset({"valueQuantity"})
    assert path.types == ("Quantity",)
    assert run("(Observation.value as CodeableConcept)", OBS) == []


def test_as_function_matches_as_infix() -> None:
    assert run("Observation.value.as(Quantity)", OBS) == run("(Observation.value as Quantity)", OBS)
    assert run("Observation.value.as(string)", OBS) == []


def test_as_and_oftype_filter_several_items() -> None:
    expected = [({"value": 1}, "Quantity")]
    assert run("(Observation.component.value as Quantity)", OBS) == expected
    assert run("Observation.component.value.ofType(Quantity)", OBS) == expected
    assert run("(Observation.component.value as string)", OBS) == [("s", "string")]


def test_as_accepts_subtypes() -> None:
    cond = {"resourceType": "Condition", "onsetAge": {"value": 40, "unit": "a"}}
    assert run("Condition.onset.as(Age)", cond) == [({"value": 40, "unit": "a"}, "Age")]
    assert run("Condition.onset.ofType(Quantity)", cond) == [({"value": 40, "unit": "a"}, "Age")]


def test_choice_element_reads_every_variant_with_its_type() -> None:
    path = compile_native("Observation.effective", "Observation")
    assert path(OBS) == [({"start": "2024-01-01"}, "Period")]
    other = {"resourceType": "Observation", "effectiveDateTime": "2024"}
    assert path(other) == [("2024", "dateTime")]
    assert {"effectiveDateTime", "effectivePeriod", "effectiveTiming"} <= (path.root_keys or set())
    assert run("Observation.component.value", OBS) == [
        ({"value": 1}, "Quantity"),
        ({"text": "x"}, "CodeableConcept"),
        ("s", "string"),
    ]


@pytest.mark.parametrize(
    ("subject", "is_patient"),
    [
        ({"reference": "Patient/p1"}, True),
        ({"reference": "Patient/p1/_history/2"}, True),
        ({"reference": "https://other.org/fhir/Patient/p1"}, True),
        ({"reference": "Patient?identifier=a|1"}, True),
        ({"type": "Patient", "identifier": {"value": "1"}}, True),
        ({"reference": "Group/g1"}, False),
        ({"reference": "urn:uuid:abc"}, False),
        ({"display": "someone"}, False),
    ],
)
def test_where_resolve_is(subject: dict[str, Any], is_patient: bool) -> None:
    obs = {"resourceType": "Observation", "subject": subject}
    got = run("Observation.subject.where(resolve() is Patient)", obs)
    assert got == ([(subject, "Reference")] if is_patient else [])
    assert run("Observation.subject.where(resolve() is Resource)", obs) != [] or not is_patient


def test_where_equality_on_a_child() -> None:
    assert run("Patient.telecom.where(system='phone')", PAT) == [
        ({"system": "phone", "value": "1"}, "ContactPoint")
    ]
    assert run("Patient.telecom.where(system='phone').value", PAT) == [("1", "string")]
    filtered = compile_native("Patient.telecom.where(system='phone')", "Patient")
    assert filtered.chain == ("telecom",) and filtered.keep is not None
    assert run("Patient.telecom.where(system='phone').where(value='2')", PAT) == []
    assert run("Patient.telecom.where(system!='phone')", PAT) == [
        ({"system": "email", "value": "e"}, "ContactPoint")
    ]
    assert run("Patient.telecom.where(system='phone' or system.empty()).value", PAT) == [
        ("1", "string"),
        ("2", "string"),
    ]


@pytest.mark.parametrize(
    ("deceased", "expected"),
    [
        ({}, False),
        ({"deceasedBoolean": True}, True),
        ({"deceasedBoolean": False}, False),
        ({"deceasedDateTime": "2020-01-01"}, True),
    ],
)
def test_exists_and_not_equal(deceased: dict[str, Any], expected: bool) -> None:
    path = compile_native("Patient.deceased.exists() and Patient.deceased != false", "Patient")
    assert path({"resourceType": "Patient", **deceased}) == [(expected, "boolean")]
    assert path.root_keys is None


def test_unions_keep_each_branch_type() -> None:
    path = compile_native("Observation.code | Observation.component.code", "Observation")
    assert path.types == ("CodeableConcept", "CodeableConcept")
    assert len(path(OBS)) == 4
    assert path.root_keys == frozenset({"code", "component"})


def test_paths_continue_in_data_types_backbones_and_content_references() -> None:
    assert run("Patient.name", PAT)[0][1] == "HumanName"
    assert run("Patient.name.given", PAT) == [("An", "string"), ("Bình", "string")]
    assert run("Patient.contact", PAT)[0][1] == "BackboneElement"
    assert run("Patient.contact.name.family", PAT) == [("Lê", "string")]
    q = {
        "resourceType": "Questionnaire",
        "item": [{"linkId": "1", "item": [{"linkId": "1.1", "item": [{"linkId": "1.1.1"}]}]}],
    }
    assert run("Questionnaire.item.item.linkId", q) == [("1.1", "string")]
    assert run("Questionnaire.item.item.item.linkId", q) == [("1.1.1", "string")]


def test_extension_function_and_where_url() -> None:
    url = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
    assert run(f"Patient.extension('{url}').value", PAT) == [("F", "code")]
    assert run(f"Patient.extension.where(url='{url}').value", PAT) == [("F", "code")]
    names = {
        "resourceType": "Patient",
        "name": [
            {"family": "A", "extension": [{"url": "u", "valueString": "1"}]},
            {"family": "B"},
            {"family": "C", "extension": [{"url": "u", "valueString": "3"}, {"url": "v"}]},
        ],
    }
    assert run("Patient.name.extension('u').value", names) == [("1", "string"), ("3", "string")]
    assert run("Patient.name.where(extension('u').exists()).family", names) == [
        ("A", "string"),
        ("C", "string"),
    ]
    assert run("Patient.name.extension('u').value", PAT) == []


def test_literals_this_not_first_and_indexer() -> None:
    assert run("Patient.active = true", PAT) == [(True, "boolean")]
    assert run("Patient.active.not()", PAT) == [(False, "boolean")]
    assert run("Patient.name.given.where($this = 'Bình')", PAT) == [("Bình", "string")]
    assert run("Patient.name.first().family", PAT) == [("Nguyễn", "string")]
    assert run("Patient.name[1].family", PAT) == [("Trần", "string")]
    assert run("Patient.name.family.exists()", PAT) == [(True, "boolean")]
    assert run("Patient.birthDate.empty()", PAT) == [(True, "boolean")]


def test_bundle_entry_resources_narrow_by_type() -> None:
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Composition", "id": "c"}},
            {"resource": {"resourceType": "Patient", "name": [{"family": "X"}]}},
        ],
    }
    assert run("Bundle.entry[0].resource", bundle) == [
        ({"resourceType": "Composition", "id": "c"}, "Resource")
    ]
    assert run("Bundle.entry.resource.ofType(Patient).name.family", bundle) == [("X", "string")]


def test_other_resource_types_give_nothing() -> None:
    assert run("Observation.code | Patient.name", OBS)[-1:] != [("x", "HumanName")]
    assert compile_native("Patient.name", "Observation")(OBS) == []


def test_outside_the_subset_falls_back_visibly() -> None:
    with pytest.raises(OutsideSubset):
        compile_native("Patient.name.family.first().upper()", "Patient")
    path = compile_path("Patient.name.family.first().upper()", "Patient")
    assert not path.native and path.fallback_reason
    assert path(PAT) == [("NGUYỄN", "string")]
    assert "fallback" in repr(path)
    with pytest.raises(TypeError):
        path.columns(PAT)
    dated = compile_path("Patient.birthDate > @2000-01-01", "Patient")
    assert not dated.native
    assert dated({"resourceType": "Patient", "birthDate": "2001-05-06"}) == [(True, "boolean")]
    with pytest.raises(Fault, match="failed"):
        compile_path("Patient.name.family.upper()", "Patient")(PAT)


def test_fallback_keeps_types_per_union_branch() -> None:
    path = compile_path("Patient.name.family.first().lower() | Patient.telecom", "Patient")
    assert not path.native
    types = {t for _, t in path(PAT)}
    assert types == {"string", "ContactPoint"}


def test_syntax_errors() -> None:
    for text in ("Patient.name.", "Patient.name.(", "Patient..name", "(((", "Patient.name ]"):
        with pytest.raises(FhirPathSyntaxError):
            compile_path(text, "Patient")


def test_split_union_and_lenient() -> None:
    assert split_union("A.b | (A.c as T) | A.d.where(e = 'x|y')") == [
        "A.b",
        "(A.c as T)",
        "A.d.where(e = 'x|y')",
    ]
    assert lenient("A.b.as(T) | (A.c as U)") == "A.b.ofType(T) | A.c.ofType(U)"


def test_compiled_paths_are_cached() -> None:
    assert compile_path("Patient.name", "Patient") is compile_path("Patient.name", "Patient")
