"""$lookup, $validate-code and $expand on the registry (no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from carehub.errors import Incorrect, NotFound
from carehub.terminology import (
    Terminology,
    expand,
    from_query,
    lookup,
    validate_in_code_system,
    validate_in_value_set,
)

ICD = "http://hl7.org/fhir/sid/icd-10"


def part(params: dict[str, Any], name: str) -> Any:
    found = [p for p in params["parameter"] if p["name"] == name]
    return found[0] if found else None


def test_lookup_gives_display_designation_and_parent(term: Terminology) -> None:
    out = lookup(term, from_query([("system", ICD), ("code", "E11.9")]))
    assert part(out, "display")["valueString"] == "Type 2 diabetes mellitus without complications"
    designation = part(out, "designation")["part"]
    assert designation[0] == {"name": "language", "valueCode": "vi"}
    vi = lookup(term, from_query([("system", ICD), ("code", "E11.9"), ("displayLanguage", "vi")]))
    assert part(vi, "display")["valueString"].startswith("Bệnh đái tháo đường")
    props = [p["part"] for p in out["parameter"] if p["name"] == "property"]
    assert [{"name": "code", "valueCode": "parent"}, {"name": "value", "valueCode": "E11"}] in props


def test_lookup_errors(term: Terminology) -> None:
    with pytest.raises(Incorrect, match="needs the parameter 'code'") as missing:
        lookup(term, from_query([("system", ICD)]))
    assert missing.value.issues[0].code == "required"
    with pytest.raises(NotFound, match="not a code"):
        lookup(term, from_query([("system", ICD), ("code", "ZZZ")]))


def test_validate_code_in_code_system(term: Terminology) -> None:
    ok = validate_in_code_system(term, from_query([("url", ICD), ("code", "I10")]))
    assert part(ok, "result")["valueBoolean"] is True
    no = validate_in_code_system(term, from_query([("url", ICD), ("code", "I99.99")]))
    assert part(no, "result")["valueBoolean"] is False and part(no, "message")
    vi_display = validate_in_code_system(term, from_query([
        ("url", ICD), ("code", "I10"), ("display", "Tăng huyết áp vô căn (nguyên phát)")]))
    assert part(vi_display, "result")["valueBoolean"] is True
    wrong = validate_in_code_system(term, from_query([
        ("url", ICD), ("code", "I10"), ("display", "Diabetes")]))
    assert part(wrong, "result")["valueBoolean"] is False


def test_validate_code_in_value_set(term: Terminology) -> None:
    hypertensive = f"{ICD}?fhir_vs=isa/I10-I15"
    inside = validate_in_value_set(term, from_query([
        ("url", hypertensive), ("system", ICD), ("code", "I11.9")]))
    assert part(inside, "result")["valueBoolean"] is True
    outside = validate_in_value_set(term, from_query([
        ("url", hypertensive), ("system", ICD), ("code", "E11")]))
    assert part(outside, "result")["valueBoolean"] is False
    concept = {"coding": [{"system": "http://loinc.org", "code": "x"},
                          {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                           "code": "active"}]}
    declared = "http://terminology.hl7.org/ValueSet/condition-clinical"
    by_concept = validate_in_value_set(term, _input(url=declared, codeableConcept=concept))
    assert part(by_concept, "result")["valueBoolean"] is True
    with pytest.raises(NotFound, match="unknown value set"):
        validate_in_value_set(term, from_query([("url", "http://x/vs"), ("system", ICD),
                                                ("code", "I10")]))


def _input(**values: Any) -> Any:
    given = from_query([])
    given.values.update({k: [v] for k, v in values.items()})
    return given


def test_expand_filters_and_pages(term: Terminology) -> None:
    url = f"{ICD}?fhir_vs"
    first = expand(term, from_query([("url", url), ("filter", "diabetes type 2"),
                                     ("count", "3")]))
    exp = first["expansion"]
    assert exp["total"] > 3 and len(exp["contains"]) == 3
    assert all("diabetes" in c["display"].lower() for c in exp["contains"])
    second = expand(term, from_query([("url", url), ("filter", "diabetes type 2"),
                                      ("count", "3"), ("offset", "3")]))
    assert {c["code"] for c in exp["contains"]}.isdisjoint(
        c["code"] for c in second["expansion"]["contains"])
    vi = expand(term, from_query([("url", url), ("filter", "tang huyet ap")]))
    assert [c["code"] for c in vi["expansion"]["contains"]] == ["I10"]
    with pytest.raises(Incorrect, match="count") as costly:
        expand(term, from_query([("url", url)]))
    assert costly.value.issues[0].code == "too-costly"
    with pytest.raises(Incorrect, match="whole number"):
        expand(term, from_query([("url", url), ("count", "-1")]))


def test_expand_declared_value_set(term: Terminology) -> None:
    vs = expand(term, from_query([("url",
                                   "http://terminology.hl7.org/ValueSet/list-empty-reason")]))
    codes = {c["code"] for c in vs["expansion"]["contains"]}
    assert {"unavailable", "nilknown", "notasked"} <= codes
