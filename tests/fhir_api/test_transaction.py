"""batch and transaction Bundles."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from fastapi.testclient import TestClient

from tests.fhir_api.conftest import FHIR, assert_outcome, post


def bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    """A batch or transaction Bundle."""
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def count(client: TestClient, rtype: str) -> int:
    """Number of current resources of a type."""
    total: int = client.get(f"/fhir/{rtype}?_summary=count").json()["total"]
    return total


PAT = {"resourceType": "Patient", "name": [{"family": "Hoàng"}], "gender": "female"}


def test_transaction_resolves_urn_uuid_references(client: TestClient) -> None:
    b = bundle(
        "transaction",
        {
            "fullUrl": "urn:uuid:0d3b6a5e-0000-4000-8000-000000000001",
            "resource": {**PAT, "identifier": [{"system": "urn:vn:cccd", "value": "1"}]},
            "request": {"method": "POST", "url": "Patient"},
        },
        {
            "fullUrl": "urn:uuid:0d3b6a5e-0000-4000-8000-000000000002",
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "HbA1c"},
                "subject": {"reference": "urn:uuid:0d3b6a5e-0000-4000-8000-000000000001"},
            },
            "request": {"method": "POST", "url": "Observation"},
        },
    )
    r = client.post("/fhir", json=b, headers=FHIR)
    assert r.status_code == 200, r.text
    resp = r.json()
    assert resp["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in resp["entry"]]
    assert statuses == ["201 Created", "201 Created"]
    pat_loc = resp["entry"][0]["response"]["location"]
    obs_loc = resp["entry"][1]["response"]["location"]
    pid = pat_loc.split("/")[1]
    obs = client.get("/fhir/" + "/".join(obs_loc.split("/")[:2])).json()
    assert obs["subject"]["reference"] == f"Patient/{pid}"
    found = client.get(f"/fhir/Observation?subject=Patient/{pid}").json()
    assert found["total"] == 1


def test_transaction_is_atomic(client: TestClient) -> None:
    existing = post(client, "Patient", PAT)
    b = bundle(
        "transaction",
        {"resource": PAT, "request": {"method": "POST", "url": "Patient"}},
        {"request": {"method": "DELETE", "url": f"Patient/{existing['id']}"}},
        {
            "resource": {**PAT, "gender": "robot"},
            "request": {"method": "POST", "url": "Patient"},
        },
    )
    r = client.post("/fhir", json=b, headers=FHIR)
    body = assert_outcome(r, 422)
    assert any("Bundle.entry[2]" in e for i in body["issue"] for e in i.get("expression", []))
    assert count(client, "Patient") == 1
    assert client.get(f"/fhir/Patient/{existing['id']}").status_code == 200


def test_transaction_processing_order(client: TestClient) -> None:
    """DELETE runs before POST, PUT before GET, whatever the entry order."""
    post(client, "Patient", {**PAT, "identifier": [{"system": "s", "value": "old"}]})
    b = bundle(
        "transaction",
        {"request": {"method": "GET", "url": "Patient?identifier=s|new"}},
        {
            "resource": {**PAT, "identifier": [{"system": "s", "value": "new"}]},
            "request": {"method": "POST", "url": "Patient", "ifNoneExist": "identifier=s|old"},
        },
        {"request": {"method": "DELETE", "url": "Patient?identifier=s|old"}},
    )
    resp = client.post("/fhir", json=b, headers=FHIR).json()
    # the delete ran first, so the conditional create did not match and created
    assert resp["entry"][1]["response"]["status"] == "201 Created"
    assert resp["entry"][2]["response"]["status"] == "204 No Content"
    # the GET ran last and sees the created patient
    assert resp["entry"][0]["resource"]["total"] == 1


def test_transaction_conditional_create_and_update(client: TestClient) -> None:
    pat = {**PAT, "identifier": [{"system": "urn:vn:cccd", "value": "42"}]}
    first = post(client, "Patient", pat)
    b = bundle(
        "transaction",
        {
            "fullUrl": "urn:uuid:aaaaaaaa-0000-4000-8000-000000000001",
            "resource": pat,
            "request": {
                "method": "POST",
                "url": "Patient",
                "ifNoneExist": "identifier=urn:vn:cccd|42",
            },
        },
        {
            "resource": {
                "resourceType": "Flag",
                "identifier": [{"system": "urn:carehub:flag", "value": "dị ứng"}],
                "status": "active",
                "code": {"text": "dị ứng"},
                "subject": {"reference": "urn:uuid:aaaaaaaa-0000-4000-8000-000000000001"},
            },
            "request": {"method": "PUT", "url": "Flag?identifier=urn:carehub:flag|dị ứng"},
        },
    )
    resp = client.post("/fhir", json=b, headers=FHIR).json()
    assert resp["entry"][0]["response"]["status"] == "200 OK"
    assert resp["entry"][0]["response"]["location"].startswith(f"Patient/{first['id']}/")
    assert resp["entry"][1]["response"]["status"] == "201 Created"
    flags = client.get("/fhir/Flag").json()["entry"]
    assert flags[0]["resource"]["subject"]["reference"] == f"Patient/{first['id']}"
    assert count(client, "Patient") == 1


def test_conditional_reference_in_transaction(client: TestClient) -> None:
    pat = post(client, "Patient", {**PAT, "identifier": [{"system": "urn:vn:bhyt", "value": "X1"}]})
    b = bundle(
        "transaction",
        {
            "resource": {
                "resourceType": "Flag",
                "status": "active",
                "code": {"text": "a"},
                "subject": {"reference": "Patient?identifier=urn:vn:bhyt|X1"},
            },
            "request": {"method": "POST", "url": "Flag"},
        },
    )
    assert client.post("/fhir", json=b, headers=FHIR).status_code == 200
    flag = client.get("/fhir/Flag").json()["entry"][0]["resource"]
    assert flag["subject"]["reference"] == f"Patient/{pat['id']}"
    b["entry"][0]["resource"]["subject"]["reference"] = "Patient?identifier=urn:vn:bhyt|none"
    assert_outcome(client.post("/fhir", json=b, headers=FHIR), 412)
    assert count(client, "Flag") == 1


def test_transaction_patch_put_and_duplicates(client: TestClient) -> None:
    pat = post(client, "Patient", PAT)
    patch = [{"op": "replace", "path": "/gender", "value": "male"}]
    b = bundle(
        "transaction",
        {
            "resource": {
                "resourceType": "Binary",
                "contentType": "application/json-patch+json",
                "data": base64.b64encode(orjson.dumps(patch)).decode(),
            },
            "request": {"method": "PATCH", "url": f"Patient/{pat['id']}"},
        },
        {
            "resource": {**PAT, "id": "fixed-id"},
            "request": {"method": "PUT", "url": "Patient/fixed-id"},
        },
    )
    resp = client.post("/fhir", json=b, headers=FHIR).json()
    assert [e["response"]["status"] for e in resp["entry"]] == ["200 OK", "201 Created"]
    assert client.get(f"/fhir/Patient/{pat['id']}").json()["gender"] == "male"
    dup = bundle(
        "transaction",
        {"resource": {**PAT, "id": "d"}, "request": {"method": "PUT", "url": "Patient/d"}},
        {"resource": {**PAT, "id": "d"}, "request": {"method": "PUT", "url": "Patient/d"}},
    )
    assert_outcome(client.post("/fhir", json=dup, headers=FHIR), 400)
    assert client.get("/fhir/Patient/d").status_code == 404


def test_batch_entries_fail_independently(client: TestClient) -> None:
    b = bundle(
        "batch",
        {"resource": PAT, "request": {"method": "POST", "url": "Patient"}},
        {"resource": {**PAT, "gender": "robot"}, "request": {"method": "POST", "url": "Patient"}},
        {"request": {"method": "GET", "url": "Patient/missing"}},
        {"request": {"method": "GET", "url": "Patient?_summary=count"}},
    )
    r = client.post("/fhir", json=b, headers=FHIR)
    assert r.status_code == 200
    entries = r.json()["entry"]
    assert entries[0]["response"]["status"].startswith("201")
    assert entries[1]["response"]["status"].startswith("422")
    assert entries[1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert entries[2]["response"]["status"].startswith("404")
    assert entries[3]["resource"]["total"] == 1
    assert count(client, "Patient") == 1


def test_bundle_errors(client: TestClient) -> None:
    assert_outcome(client.post("/fhir", json=PAT, headers=FHIR), 400)
    assert_outcome(
        client.post("/fhir", json={"resourceType": "Bundle", "type": "collection"}, headers=FHIR),
        400,
    )
    bad_entry = bundle("transaction", {"resource": PAT})
    assert_outcome(client.post("/fhir", json=bad_entry, headers=FHIR), 400)
    unknown_type = bundle(
        "transaction", {"resource": PAT, "request": {"method": "POST", "url": "Patinet"}}
    )
    assert client.post("/fhir", json=unknown_type, headers=FHIR).status_code in (400, 404)
    assert count(client, "Patient") == 0


def test_transaction_return_representation(client: TestClient) -> None:
    b = bundle("transaction", {"resource": PAT, "request": {"method": "POST", "url": "Patient"}})
    minimal = client.post("/fhir", json=b, headers=FHIR).json()
    assert "resource" not in minimal["entry"][0]
    full = client.post("/fhir", json=b, headers={**FHIR, "Prefer": "return=representation"}).json()
    assert full["entry"][0]["resource"]["resourceType"] == "Patient"
