"""Alias parameters: what a search reads for them equals what their own expression gives.

For every resource of the fixture cases and of the Synthea sample, and every
alias of its type, the rows of the alias's own R4 expression (evaluated
directly) must equal the rows a search reads for it (its bases' rows, and for
a typed alias its base's rows to its target type plus its own residual rows).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from carehub.fhir_model.definitions import definitions
from carehub.fhir_model.fhirpath_subset import compile_path
from carehub.fhir_model.index_alias import Alias, find_aliases
from carehub.fhir_model.index_rows import IndexRows
from carehub.fhir_model.search_index import aliases, extract, indexed_params
from tests.support.index_rows import KINDS, add_typed_rows, answering

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "fhir_model" / "search_index.json"
CASES: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))


def _own_rows(resource: dict[str, Any], code: str) -> set[tuple[Any, ...]]:
    """The rows of parameter ``code``'s own expression on ``resource``."""
    rtype = resource["resourceType"]
    spec = definitions().search_params(rtype)[code]
    rows = IndexRows()
    assert spec.expression is not None
    add_typed_rows(rows, code, spec.type, compile_path(spec.expression, rtype), resource)
    return {r for kind in KINDS for r in getattr(rows, kind)}


def _read_rows(resource: dict[str, Any], code: str) -> set[tuple[Any, ...]]:
    rows = answering(extract(resource), resource["resourceType"])
    return {r for kind in KINDS for r in getattr(rows, kind) if r[0] == code}


def _check(resources: list[dict[str, Any]]) -> int:
    checked = 0
    for resource in resources:
        for code in aliases(resource["resourceType"]):
            assert _read_rows(resource, code) == _own_rows(resource, code), (
                resource["resourceType"],
                resource.get("id"),
                code,
            )
            checked += 1
    return checked


def test_aliases_read_what_their_expressions_give_on_the_fixture_cases() -> None:
    assert _check([case["resource"] for case in CASES]) > 10


def test_aliases_read_what_their_expressions_give_on_the_sample(shared_dir: Path) -> None:
    folder = shared_dir / "fhir-samples" / "bulk-10-patients"
    resources = [
        orjson.loads(line)
        for path in sorted(folder.glob("*.ndjson"))
        if path.name != "log.ndjson"
        for line in path.read_bytes().splitlines()
    ]
    assert _check(resources) > 1000


@pytest.mark.parametrize(
    "subject",
    [
        {"reference": "Patient/p1"},
        {"reference": "https://other.example/fhir/Patient/p9"},
        {"reference": "Patient?identifier=urn:vn:cccd|079212345678"},
        {"reference": "urn:uuid:1b4e", "type": "Patient"},
        {"reference": "Group/g1"},
        {"reference": "Patient/p1", "type": "Group"},  # the relative reference's type wins
        {"identifier": {"value": "x"}, "type": "Patient"},
    ],
)
def test_typed_alias_on_every_kind_of_reference(subject: dict[str, Any]) -> None:
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
        "subject": subject,
    }
    assert _read_rows(resource, "patient") == _own_rows(resource, "patient")


def test_only_residual_rows_of_a_typed_alias_are_stored() -> None:
    local = extract({"resourceType": "Observation", "subject": {"reference": "Patient/p1"}})
    assert [r[0] for r in local.references] == ["subject"]
    remote = extract(
        {
            "resourceType": "Observation",
            "subject": {"reference": "https://h.example/fhir/Patient/p1"},
        }
    )
    assert sorted(r[0] for r in remote.references) == ["patient", "subject"]


def test_same_and_union_aliases_have_no_rows_of_their_own() -> None:
    rows = extract(
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "valueQuantity": {"value": 72, "unit": "/min"},
            "component": [{"code": {"text": "c"}, "valueQuantity": {"value": 1}}],
        }
    )
    stored = rows.params()
    assert {"code", "component-code", "value-quantity", "component-value-quantity"} <= stored
    assert not stored & {"combo-code", "combo-value-quantity"}
    assert {p.code for p in indexed_params("Patient")} >= {"name"}
    assert "phonetic" not in {p.code for p in indexed_params("Patient")}


def test_the_aliases_of_the_core_types() -> None:
    assert set(aliases("Observation")["combo-value-quantity"].bases) == {
        "value-quantity",
        "component-value-quantity",
    }
    assert aliases("Patient")["phonetic"] == Alias("phonetic", ("name",))
    assert aliases("Encounter")["patient"] == Alias("patient", ("subject",), "Patient")
    assert aliases("Coverage")["patient"].bases == ("beneficiary",)
    assert "subject" not in aliases("Observation")


def test_unions_need_a_cover_and_typed_aliases_a_concrete_type_and_base() -> None:
    params = {
        "a": ("token", "X.a"),
        "ab": ("token", "X.a | X.b"),
        "abc": ("token", "X.a | X.b | X.c"),
        "t": ("reference", "X.s.where(resolve() is Patient)"),
        "r": ("reference", "X.r.where(resolve() is Resource)"),
        "rr": ("reference", "X.r"),
    }
    assert find_aliases(params) == {}  # X.b, X.c are no parameter's; no X.s; abstract type
    params["c"] = ("token", "X.c")
    params["s"] = ("reference", "X.s")
    found = find_aliases(params)
    assert set(found) == {"abc", "t"}
    assert found["abc"].bases == ("a", "ab", "c")  # overlapping bases are harmless
    assert found["t"] == Alias("t", ("s",), "Patient")


def test_a_union_never_rests_on_a_typed_alias_nor_is_one() -> None:
    found = find_aliases(
        {
            "q": ("reference", "X.q"),
            # "t" stores only residual rows, so "u" cannot be answered from it, whatever the order
            "u": ("reference", "X.q | X.s.where(resolve() is Patient)"),
            "s": ("reference", "X.s"),
            "t": ("reference", "X.s.where(resolve() is Patient)"),
            # the where() filters X.s only, not the union "qs"
            "qs": ("reference", "X.q | X.s"),
            "p": ("reference", "X.q | X.s.where(resolve() is Patient)"),
        }
    )
    assert found == {
        "t": Alias("t", ("s",), "Patient"),
        "p": Alias("p", ("u",)),  # the same expression as "u", which is stored whole
        "qs": Alias("qs", ("q", "s")),
    }
