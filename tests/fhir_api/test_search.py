"""Search: every parameter type, modifiers, prefixes, chains, includes, sorting, paging."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.fhir_api.conftest import FHIR, assert_outcome

POPULATION = Path(__file__).parent.parent / "fixtures" / "fhir_api" / "search_population.json"


@pytest.fixture
def pop(client: TestClient) -> TestClient:
    """The client with the search population loaded by PUT (client ids)."""
    for res in json.loads(POPULATION.read_text()):
        r = client.put(f"/fhir/{res['resourceType']}/{res['id']}", json=res, headers=FHIR)
        assert r.status_code == 201, r.text
    return client


def ids(client: TestClient, url: str, **headers: str) -> list[str]:
    """The ids of the matches of ``url`` (all pages)."""
    out: list[str] = []
    next_url: str | None = url
    while next_url:
        r = client.get(next_url, headers=headers)
        assert r.status_code == 200, r.text
        bundle = r.json()
        out += [
            e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"
        ]
        next_url = next(
            (
                ln["url"].replace("http://testserver", "")
                for ln in bundle["link"]
                if ln["relation"] == "next"
            ),
            None,
        )
    return out


CASES: list[tuple[str, list[str]]] = [
    # string: default prefix match, diacritics-insensitive, :exact, :contains
    ("/fhir/Patient?name=Nguyen", ["p1"]),
    ("/fhir/Patient?name=nguyễn", ["p1"]),
    ("/fhir/Patient?name=thi", ["p2"]),
    ("/fhir/Patient?family=Le", ["p2"]),
    ("/fhir/Patient?name=duc", ["p3"]),
    ("/fhir/Patient?name:exact=Nguyễn", ["p1"]),
    ("/fhir/Patient?name:exact=Nguyen", []),
    ("/fhir/Patient?name:contains=ong", ["p2"]),
    ("/fhir/Patient?address-city=ha noi", ["p1", "p3"]),
    ("/fhir/Patient?name=Nguyen,Pham", ["p1", "p3"]),
    ("/fhir/Patient?name=van&name=hung", ["p1"]),
    # token
    ("/fhir/Patient?gender=male", ["p1", "p3"]),
    ("/fhir/Patient?identifier=urn:vn:cccd|079185000222", ["p2"]),
    ("/fhir/Patient?identifier=HT2010123456789", ["p1"]),
    ("/fhir/Patient?identifier=urn:vn:bhyt|", ["p1"]),
    ("/fhir/Patient?gender:not=male", ["p2"]),
    ("/fhir/Observation?code=http://loinc.org|4548-4", ["o1", "o2"]),
    ("/fhir/Observation?code=2160-0&status=final", ["o4"]),
    ("/fhir/Condition?code:text=dai thao", ["c1"]),
    ("/fhir/Patient?phone=0912345678", ["p1"]),
    # date with prefixes and partial dates
    ("/fhir/Patient?birthdate=1958", ["p1"]),
    ("/fhir/Patient?birthdate=1985-11", ["p2"]),
    ("/fhir/Patient?birthdate=1985-11-05", []),
    ("/fhir/Patient?birthdate=ge1985-11-05", ["p2", "p3"]),
    ("/fhir/Patient?birthdate=lt1986", ["p1", "p2"]),
    ("/fhir/Patient?birthdate=gt2000&birthdate=lt2002", ["p3"]),
    ("/fhir/Patient?birthdate=ne1958-03-14", ["p2", "p3"]),
    ("/fhir/Patient?birthdate=sa1990", ["p3"]),
    ("/fhir/Patient?birthdate=eb1960", ["p1"]),
    ("/fhir/Observation?date=2024-01-15", ["o1"]),
    ("/fhir/Observation?date=2024-01-01", []),
    ("/fhir/Observation?date=ge2024-01-01&date=le2024-01-01", ["o3"]),
    ("/fhir/Observation?date=2024-01", ["o1"]),
    ("/fhir/Observation?date=ge2024-06-01", ["o2", "o4"]),
    ("/fhir/Observation?date=le2024-01-15", ["o1", "o3"]),
    ("/fhir/Observation?date=2024-01-15T01:30:00Z", ["o1"]),
    ("/fhir/Encounter?date=ge2024-03-05&date=le2024-03-06", ["e2"]),
    ("/fhir/Patient?birthdate=ap1958-03-10", ["p1"]),
    # quantity and number
    ("/fhir/Observation?value-quantity=gt8", ["o1", "o4"]),
    ("/fhir/Observation?value-quantity=8.1", ["o1"]),
    ("/fhir/Observation?value-quantity=le7.2|http://unitsofmeasure.org|%", ["o2"]),
    ("/fhir/Observation?value-quantity=lt200||umol/L", ["o4"]),
    ("/fhir/Observation?value-quantity=ap120", ["o4"]),
    ("/fhir/RiskAssessment?probability=gt0.1", ["r1"]),
    ("/fhir/RiskAssessment?probability=0.05", ["r2"]),
    # reference
    ("/fhir/Observation?subject=Patient/p1", ["o1", "o2"]),
    ("/fhir/Observation?subject:Patient=p2", ["o3"]),
    ("/fhir/Observation?patient=p3", ["o4"]),
    ("/fhir/Patient?organization=Organization/bachmai", ["p1", "p2"]),
    # chained and reverse chained
    ("/fhir/Observation?subject:Patient.identifier=urn:vn:cccd|001058000111", ["o1", "o2"]),
    ("/fhir/Observation?patient.name=Le", ["o3"]),
    ("/fhir/Observation?subject:Patient.organization.name=benh vien", ["o1", "o2", "o3"]),
    ("/fhir/Patient?_has:Observation:patient:code=2160-0", ["p2", "p3"]),
    ("/fhir/Patient?_has:Condition:subject:code=E11.9", ["p1"]),
    # uri
    ("/fhir/Patient?_id=p1,p3", ["p1", "p3"]),
    # missing
    ("/fhir/Patient?phone:missing=true", ["p2", "p3"]),
    ("/fhir/Patient?organization:missing=false", ["p1", "p2"]),
    ("/fhir/Condition?clinical-status:missing=true", ["c2"]),
]


@pytest.mark.parametrize(("url", "expected"), CASES, ids=[c[0][6:] for c in CASES])
def test_search_cases(pop: TestClient, url: str, expected: list[str]) -> None:
    assert sorted(ids(pop, url)) == sorted(expected)


def test_last_updated(pop: TestClient) -> None:
    p3 = pop.get("/fhir/Patient/p3").json()
    lu = p3["meta"]["lastUpdated"]
    assert ids(pop, f"/fhir/Patient?_lastUpdated=ge{lu}") == ["p3"]
    assert sorted(ids(pop, f"/fhir/Patient?_lastUpdated=lt{lu}")) == ["p1", "p2"]


def test_sort_multiple_and_descending(pop: TestClient) -> None:
    assert ids(pop, "/fhir/Patient?_sort=birthdate") == ["p1", "p2", "p3"]
    assert ids(pop, "/fhir/Patient?_sort=-birthdate") == ["p3", "p2", "p1"]
    assert ids(pop, "/fhir/Patient?_sort=gender,-birthdate") == ["p2", "p3", "p1"]
    assert ids(pop, "/fhir/Observation?_sort=-date&_count=1") == ["o4", "o2", "o1", "o3"]
    assert ids(pop, "/fhir/Patient?_sort=-_id&_count=2") == ["p3", "p2", "p1"]
    assert_outcome(pop.get("/fhir/Patient?_sort=nonsense"), 400)


def test_include_and_revinclude(pop: TestClient) -> None:
    b = pop.get("/fhir/Observation?code=4548-4&_include=Observation:subject").json()
    modes = sorted((e["search"]["mode"], e["resource"]["id"]) for e in b["entry"])
    assert modes == [("include", "p1"), ("match", "o1"), ("match", "o2")]
    b = pop.get("/fhir/Observation?_id=o1&_revinclude=Provenance:target").json()
    assert {e["resource"]["id"] for e in b["entry"]} == {"o1", "prov1"}
    b = pop.get(
        "/fhir/Patient?_id=p1&_include=Patient:organization&_include=Patient:general-practitioner"
    ).json()
    assert {e["resource"]["id"] for e in b["entry"]} == {"p1", "bachmai", "dr-lan"}
    b = pop.get("/fhir/Patient?_id=p2&_include=*").json()
    assert {e["resource"]["id"] for e in b["entry"]} == {"p2", "bachmai"}
    assert_outcome(pop.get("/fhir/Observation?_include=Observation:status"), 400)


def test_summary_count_elements_total(pop: TestClient) -> None:
    count = pop.get("/fhir/Observation?_summary=count").json()
    assert count["total"] == 4 and "entry" not in count
    el = pop.get("/fhir/Patient?_id=p1&_elements=gender").json()
    res = el["entry"][0]["resource"]
    assert res["gender"] == "male" and "name" not in res and res["id"] == "p1"
    assert any(t["code"] == "SUBSETTED" for t in res["meta"]["tag"])
    tot = pop.get("/fhir/Observation?_count=1&_total=accurate").json()
    assert tot["total"] == 4 and len(tot["entry"]) == 1
    none = pop.get("/fhir/Observation?_count=1&_total=none").json()
    assert "total" not in none


def test_unknown_parameters_lenient_and_strict(pop: TestClient) -> None:
    b = pop.get("/fhir/Patient?gender=male&colour=blue").json()
    assert {e["resource"]["id"] for e in b["entry"] if e["search"]["mode"] == "match"} == {
        "p1",
        "p3",
    }
    outcome = [e for e in b["entry"] if e["search"]["mode"] == "outcome"]
    assert "colour" in outcome[0]["resource"]["issue"][0]["diagnostics"]
    strict = pop.get("/fhir/Patient?colour=blue", headers={"Prefer": "handling=strict"})
    assert_outcome(strict, 400)
    assert_outcome(pop.get("/fhir/Patient?birthdate=notadate"), 400)
    assert_outcome(pop.get("/fhir/Patient?name:fuzzy=x"), 400)
    assert_outcome(pop.get("/fhir/Patient?_count=abc"), 400)


def test_post_search(pop: TestClient) -> None:
    r = pop.post(
        "/fhir/Patient/_search",
        content="name=Nguyen",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200
    assert [e["resource"]["id"] for e in r.json()["entry"]] == ["p1"]


def test_paging_stays_stable_while_data_changes(pop: TestClient) -> None:
    for i in range(10):
        pop.put(
            f"/fhir/Flag/f{i:02d}",
            json={
                "resourceType": "Flag",
                "id": f"f{i:02d}",
                "status": "active",
                "code": {"text": f"flag {i}"},
                "subject": {"reference": "Patient/p1"},
            },
            headers=FHIR,
        )
    first = pop.get("/fhir/Flag?_count=4").json()
    got = [e["resource"]["id"] for e in first["entry"]]
    assert got == ["f00", "f01", "f02", "f03"]
    # changes between pages: delete a seen one, update an unseen one, add a new one
    pop.delete("/fhir/Flag/f01")
    f05 = pop.get("/fhir/Flag/f05").json()
    pop.put("/fhir/Flag/f05", json={**f05, "status": "inactive"}, headers=FHIR)
    pop.put(
        "/fhir/Flag/f99",
        json={
            "resourceType": "Flag",
            "id": "f99",
            "status": "active",
            "code": {"text": "new"},
            "subject": {"reference": "Patient/p1"},
        },
        headers=FHIR,
    )
    url: str | None = next(ln["url"] for ln in first["link"] if ln["relation"] == "next")
    while url:
        page = pop.get(url.replace("http://testserver", "")).json()
        got += [e["resource"]["id"] for e in page.get("entry", [])]
        url = next((ln["url"] for ln in page["link"] if ln["relation"] == "next"), None)
    assert got == ["f00", "f01", "f02", "f03", "f04", "f05", "f06", "f07", "f08", "f09", "f99"]
    # previous link of the second page leads back to the first page
    second = pop.get(
        next(ln["url"] for ln in first["link"] if ln["relation"] == "next").replace(
            "http://testserver", ""
        )
    ).json()
    prev = next(ln["url"] for ln in second["link"] if ln["relation"] == "previous")
    back = pop.get(prev.replace("http://testserver", "")).json()
    assert [e["resource"]["id"] for e in back["entry"]] == ["f00", "f02", "f03"]


def test_sorted_paging_visits_each_once(pop: TestClient) -> None:
    assert ids(pop, "/fhir/Patient?_sort=-birthdate&_count=1") == ["p3", "p2", "p1"]
    assert_outcome(pop.get("/fhir/Patient?_cursor=garbage"), 400)


def test_deleted_resources_do_not_match(pop: TestClient) -> None:
    pop.delete("/fhir/Observation/o1")
    assert ids(pop, "/fhir/Observation?code=4548-4") == ["o2"]
    assert ids(pop, "/fhir/Patient?_has:Observation:patient:code=4548-4") == ["p1"]


def test_updated_resource_is_reindexed(pop: TestClient) -> None:
    p3: dict[str, Any] = pop.get("/fhir/Patient/p3").json()
    p3["name"] = [{"family": "Hoàng", "given": ["Minh"]}]
    pop.put("/fhir/Patient/p3", json=p3, headers=FHIR)
    assert ids(pop, "/fhir/Patient?name=pham") == []
    assert ids(pop, "/fhir/Patient?name=hoang") == ["p3"]


def test_include_iterate_follows_included_resources(pop: TestClient) -> None:
    url = (
        "/fhir/Observation?_id=o3&_include=Observation:subject"
        "&_include=Patient:organization:iterate"
    )
    b = pop.get(url).json()
    got = {(e["search"]["mode"], e["resource"]["id"]) for e in b["entry"]}
    assert got == {("match", "o3"), ("include", "p2"), ("include", "bachmai")}
    without = pop.get("/fhir/Observation?_id=o3&_include=Observation:subject").json()
    assert {e["resource"]["id"] for e in without["entry"]} == {"o3", "p2"}


def test_escaped_comma_is_one_value(pop: TestClient) -> None:
    org = {"resourceType": "Organization", "id": "comma", "name": "Khoa A, B"}
    pop.put("/fhir/Organization/comma", json=org, headers=FHIR)
    assert ids(pop, "/fhir/Organization?name:exact=Khoa A\\, B") == ["comma"]
    assert ids(pop, "/fhir/Organization?name:exact=Khoa A,B") == []


ALIAS_EXTRA: list[dict[str, Any]] = [
    {"resourceType": "Observation", "id": "bp1", "status": "final",
     "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
     "subject": {"reference": "Patient/p2"},
     "component": [
         {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
          "valueQuantity": {"value": 150, "unit": "mmHg"}},
         {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
          "valueQuantity": {"value": 95, "unit": "mmHg"}}]},
    {"resourceType": "Observation", "id": "remote", "status": "final",
     "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
     "subject": {"reference": "https://other.example/fhir/Patient/x9"}},
    {"resourceType": "Observation", "id": "grp", "status": "final",
     "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
     "subject": {"reference": "Group/g1"}},
]
ALIAS_CASES: list[tuple[str, list[str]]] = [
    # union aliases: code | component.code, value | component.value
    ("/fhir/Observation?combo-code=8480-6", ["bp1"]),
    ("/fhir/Observation?combo-code=85354-9", ["bp1"]),
    ("/fhir/Observation?combo-code=http://loinc.org|4548-4", ["o1", "o2", "remote", "grp"]),
    ("/fhir/Observation?code=8480-6", []),
    ("/fhir/Observation?combo-value-quantity=gt140", ["bp1"]),
    ("/fhir/Observation?combo-value-quantity=8.1", ["o1"]),
    ("/fhir/Observation?combo-code:missing=true", []),
    ("/fhir/Observation?combo-value-quantity:missing=true", ["remote", "grp"]),
    ("/fhir/Observation?combo-code:not=4548-4&_id=bp1,o1", ["bp1"]),
    # same: Patient.phonetic is Patient.name
    ("/fhir/Patient?phonetic=nguyen", ["p1"]),
    # typed: patient is subject.where(resolve() is Patient), absolute URLs included
    ("/fhir/Observation?patient=p2", ["o3", "bp1"]),
    ("/fhir/Observation?patient=https://other.example/fhir/Patient/x9", ["remote"]),
    ("/fhir/Observation?patient=Group/g1", []),
    ("/fhir/Observation?subject=Group/g1", ["grp"]),
    ("/fhir/Observation?patient:missing=true", ["grp"]),
    ("/fhir/Encounter?patient=p2", ["e2"]),
    ("/fhir/Observation?patient.gender=female&combo-code=8462-4", ["bp1"]),
    ("/fhir/Patient?_has:Observation:patient:combo-code=8480-6", ["p2"]),
]


@pytest.fixture
def alias_pop(pop: TestClient) -> TestClient:
    """The search population plus resources that tell alias parameters from their bases."""
    for res in ALIAS_EXTRA:
        r = pop.put(f"/fhir/{res['resourceType']}/{res['id']}", json=res, headers=FHIR)
        assert r.status_code == 201, r.text
    return pop


@pytest.mark.parametrize(("url", "expected"), ALIAS_CASES, ids=[c[0][6:] for c in ALIAS_CASES])
def test_alias_parameters(alias_pop: TestClient, url: str, expected: list[str]) -> None:
    assert sorted(ids(alias_pop, url)) == sorted(expected)


def test_alias_parameters_in_includes_sorting_and_everything(alias_pop: TestClient) -> None:
    b = alias_pop.get("/fhir/Observation?_id=o3,grp&_include=Observation:patient").json()
    assert {e["resource"]["id"] for e in b["entry"]} == {"o3", "grp", "p2"}
    b = alias_pop.get("/fhir/Patient?_id=p2&_revinclude=Observation:patient").json()
    assert {e["resource"]["id"] for e in b["entry"]} == {"p2", "o3", "bp1"}
    b = alias_pop.get("/fhir/Patient?_id=p2&_revinclude=Encounter:patient").json()
    assert {e["resource"]["id"] for e in b["entry"]} == {"p2", "e2"}
    assert ids(alias_pop, "/fhir/Observation?_id=bp1,o1,o3&_sort=combo-value-quantity") == [
        "o3", "o1", "bp1"]
    everything = alias_pop.get("/fhir/Patient/p2/$everything").json()
    assert {"e2", "o3", "bp1"} <= {e["resource"]["id"] for e in everything["entry"]}
