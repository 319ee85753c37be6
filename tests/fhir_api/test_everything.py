"""Patient/$everything and the CapabilityStatement."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.fhir_api.conftest import FHIR, assert_outcome


def _put(client: TestClient, res: dict[str, object]) -> None:
    r = client.put(f"/fhir/{res['resourceType']}/{res['id']}", json=res, headers=FHIR)
    assert r.status_code == 201, r.text


def test_everything_pages_and_filters(client: TestClient) -> None:
    _put(client, {"resourceType": "Organization", "id": "org", "name": "BV"})
    for pid in ("a", "b"):
        _put(
            client,
            {
                "resourceType": "Patient",
                "id": pid,
                "managingOrganization": {"reference": "Organization/org"},
            },
        )
        for i in range(5):
            _put(
                client,
                {
                    "resourceType": "Observation",
                    "id": f"{pid}-o{i}",
                    "status": "final",
                    "code": {"text": "x"},
                    "subject": {"reference": f"Patient/{pid}"},
                },
            )
        _put(
            client,
            {
                "resourceType": "Condition",
                "id": f"{pid}-c",
                "code": {"text": "y"},
                "subject": {"reference": f"Patient/{pid}"},
            },
        )
    seen: list[str] = []
    url: str | None = "/fhir/Patient/a/$everything?_count=3"
    while url:
        b = client.get(url).json()
        seen += [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in b["entry"]]
        url = next(
            (
                ln["url"].replace("http://testserver", "")
                for ln in b["link"]
                if ln["relation"] == "next"
            ),
            None,
        )
    assert sorted(seen) == sorted(
        ["Patient/a", "Organization/org", "Condition/a-c"]
        + [f"Observation/a-o{i}" for i in range(5)]
    )
    only = client.get("/fhir/Patient/a/$everything?_type=Condition").json()
    assert [e["resource"]["id"] for e in only["entry"]] == ["a-c"]
    since = client.get("/fhir/Condition/a-c").json()["meta"]["lastUpdated"]
    recent = client.get(f"/fhir/Patient/a/$everything?_since={since}").json()
    assert [e["resource"]["id"] for e in recent["entry"]] == ["a-c"]
    assert_outcome(client.get("/fhir/Patient/zzz/$everything"), 404)
    assert_outcome(client.get("/fhir/Patient/a/$everything?_type=Bogus"), 404)


def test_capability_statement_tells_the_truth(client: TestClient) -> None:
    cs = client.get("/fhir/metadata").json()
    assert cs["resourceType"] == "CapabilityStatement" and cs["fhirVersion"] == "4.0.1"
    rest = cs["rest"][0]
    assert {i["code"] for i in rest["interaction"]} == {"transaction", "batch", "history-system"}
    by_type = {r["type"]: r for r in rest["resource"]}
    patient = by_type["Patient"]
    params = {p["name"]: p["type"] for p in patient["searchParam"]}
    assert params["name"] == "string" and params["birthdate"] == "date"
    assert params["_id"] == "token"
    # composite and special parameters are not searchable, so not claimed
    obs = {p["name"] for p in by_type["Observation"]["searchParam"]}
    assert "code-value-quantity" not in obs and "value-quantity" in obs
    assert any(o["name"] == "everything" for o in patient["operation"])
    # every claimed parameter is accepted by the server in strict mode
    for name, ptype in list(params.items()):
        value = {
            "string": "x",
            "token": "x",
            "date": "2020",
            "reference": "Patient/x",
            "quantity": "1",
            "number": "1",
            "uri": "http://x",
        }[ptype]
        r = client.get(f"/fhir/Patient?{name}={value}", headers={"Prefer": "handling=strict"})
        assert r.status_code == 200, (name, r.text)
