"""SMART scopes on every interaction, and the patient compartment by every route."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.security.conftest import FHIR, ids, token


@pytest.fixture
def p1(app: FastAPI) -> dict[str, str]:
    """A patient app for p1 reading everything of its patient."""
    return token(app, "patient/*.rs patient/Observation.cruds", patient="p1")


def test_patient_context_reads_only_its_compartment(client: TestClient, p1: dict[str, str]) -> None:
    assert client.get("/fhir/Patient/p1", headers=p1).status_code == 200
    assert client.get("/fhir/Observation/o1", headers=p1).status_code == 200
    for url in ("/fhir/Patient/p2", "/fhir/Observation/o2", "/fhir/Encounter/e2",
                "/fhir/Observation/o2/_history/1", "/fhir/Patient/p2/$everything"):
        r = client.get(url, headers=p1)
        assert r.status_code == 404, (url, r.status_code)
        assert "Phạm" not in r.text


def test_patient_context_searches_are_restricted(client: TestClient, p1: dict[str, str]) -> None:
    assert ids(client.get("/fhir/Observation", headers=p1).json()) == ["Observation/o1"]
    assert ids(client.get("/fhir/Patient", headers=p1).json()) == ["Patient/p1"]
    assert ids(client.get("/fhir/Observation?subject=Patient/p2", headers=p1).json()) == []
    r = client.post("/fhir/Encounter/_search", headers=p1, content="subject=Patient/p2",
                    )
    assert r.status_code in (200, 400)
    r = client.post("/fhir/Encounter/_search", content="subject=Patient/p2",
                    headers={**p1, "Content-Type": "application/x-www-form-urlencoded"})
    assert ids(r.json()) == []
    # includes and revincludes are filtered to what the token may see
    r = client.get("/fhir/Practitioner?_revinclude=Observation:performer", headers=p1)
    assert ids(r.json()) == ["Observation/o1", "Practitioner/dr1"]
    r = client.get("/fhir/Patient?_revinclude=Observation:subject&_id=p2", headers=p1)
    assert ids(r.json()) == []
    # chains and _has only reach this patient's data
    r = client.get("/fhir/Observation?subject:Patient.family=Phạm", headers=p1)
    assert ids(r.json()) == []
    r = client.get("/fhir/Patient?_has:Observation:subject:code=718-7", headers=p1)
    assert ids(r.json()) == ["Patient/p1"]
    # history beyond one resource would show other patients
    assert client.get("/fhir/Observation/_history", headers=p1).status_code == 403
    assert client.get("/fhir/_history", headers=p1).status_code == 403
    assert client.get("/fhir/Observation/o1/_history", headers=p1).status_code == 200
    everything = client.get("/fhir/Patient/p1/$everything", headers=p1).json()
    assert "Patient/p2" not in json.dumps(everything)


def test_patient_context_writes_stay_in_the_compartment(
    client: TestClient, p1: dict[str, str], app: FastAPI
) -> None:
    mine = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
            "subject": {"reference": "Patient/p1"}}
    assert client.post("/fhir/Observation", headers={**p1, **FHIR}, json=mine).status_code == 201
    theirs = {**mine, "subject": {"reference": "Patient/p2"}}
    assert client.post("/fhir/Observation", headers={**p1, **FHIR}, json=theirs).status_code == 403
    steal = {**mine, "id": "o2"}  # overwrite p2's observation with p1 as subject
    assert client.put("/fhir/Observation/o2", headers={**p1, **FHIR}, json=steal).status_code == 403
    assert client.delete("/fhir/Observation/o2", headers=p1).status_code == 403
    # no scope for Encounter writes
    enc = {"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
           "subject": {"reference": "Patient/p1"}}
    assert client.post("/fhir/Encounter", headers={**p1, **FHIR}, json=enc).status_code == 403
    admin = token(app, "user/*.rs")
    o2 = client.get("/fhir/Observation/o2", headers=admin).json()
    assert o2["subject"]["reference"] == "Patient/p2"


def test_each_transaction_entry_is_checked_and_nothing_is_stored(
    client: TestClient, p1: dict[str, str], app: FastAPI
) -> None:
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "ok"},
                      "subject": {"reference": "Patient/p1"}},
         "request": {"method": "POST", "url": "Observation"}},
        {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "bad"},
                      "subject": {"reference": "Patient/p2"}},
         "request": {"method": "POST", "url": "Observation"}},
    ]}
    r = client.post("/fhir", headers={**p1, **FHIR}, json=bundle)
    assert r.status_code == 403
    reader = token(app, "user/*.rs")
    assert ids(client.get("/fhir/Observation", headers=reader).json()) == [
        "Observation/o1", "Observation/o2"]
    batch = {**bundle, "type": "batch", "entry": [
        {"request": {"method": "GET", "url": "Observation/o2"}},
        {"request": {"method": "GET", "url": "Patient/p1"}}]}
    out = client.post("/fhir", headers={**p1, **FHIR}, json=batch).json()
    assert out["entry"][0]["response"]["status"].startswith("404")
    assert out["entry"][1]["response"]["status"].startswith("200")


def test_user_scopes_limit_types_and_actions(client: TestClient, app: FastAPI) -> None:
    obs_reader = token(app, "user/Observation.rs")
    assert client.get("/fhir/Observation/o2", headers=obs_reader).status_code == 200
    assert client.get("/fhir/Patient/p1", headers=obs_reader).status_code == 403
    assert client.get("/fhir/Patient", headers=obs_reader).status_code == 403
    assert client.get("/fhir/_history", headers=obs_reader).status_code == 403
    r = client.get("/fhir/Observation?_include=Observation:subject", headers=obs_reader)
    assert ids(r.json()) == ["Observation/o1", "Observation/o2"]
    r = client.get("/fhir/Observation?subject:Patient.family=Nguyễn", headers=obs_reader)
    assert r.status_code == 403
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    assert client.post("/fhir/Observation", headers={**obs_reader, **FHIR},
                       json=obs).status_code == 403
    read_only = token(app, "user/Observation.r")
    assert client.get("/fhir/Observation", headers=read_only).status_code == 403
    assert client.get("/fhir/Observation/o1", headers=read_only).status_code == 200
    v1 = token(app, "user/Observation.write user/Observation.read")
    assert client.post("/fhir/Observation", headers={**v1, **FHIR}, json=obs).status_code == 201
    assert client.get("/fhir/Patient/p1/$everything", headers=obs_reader).status_code == 403


def test_department_scoped_clinician(client: TestClient, app: FastAPI) -> None:
    dept = token(app, "user/*.rs", role="clinician", department="dept-a")
    assert client.get("/fhir/Observation/o1", headers=dept).status_code == 200
    assert client.get("/fhir/Observation/o2", headers=dept).status_code == 404
    assert ids(client.get("/fhir/Observation", headers=dept).json()) == ["Observation/o1"]
    counted = client.get("/fhir/Observation?_total=accurate&_count=0", headers=dept).json()
    assert counted.get("total") in (None, 1)  # never the other department's count


def test_break_glass_lifts_the_department_and_is_flagged(client: TestClient, app: FastAPI) -> None:
    from carehub.security.context import Grant
    from carehub.security.scopes import ScopeSet

    server = app.state.auth
    staff = Grant("bac.si", "app", ScopeSet.parse("user/*.rs"), role="clinician",
                  department="dept-a")
    headers = {"Authorization": f"Bearer {server.tokens.issue(staff, refresh=False).access_token}"}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = client.post("/auth/break-glass", headers={**headers, **form}, content="reason=x")
    assert r.json()["error"] == "invalid_request"
    r = client.post("/auth/break-glass", headers={**headers, **form},
                    content="reason=Unconscious+patient+in+emergency+room")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["expires_in"] == 30 * 60 and body["break_glass"] is True
    bg = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/fhir/Observation/o2", headers=bg).status_code == 200
    nurse_only = token(app, "user/*.rs", role="manager")
    r = client.post("/auth/break-glass", headers={**nurse_only, **form},
                    content="reason=Unconscious+patient+in+emergency+room")
    assert r.status_code == 403
    app.state.audit.flush()
    events = app.state.audit.trail.search(patient="p2")
    flagged = [e for e in events if e.get("purposeOfEvent", [{}])[0]["coding"][0]["code"] == "BTG"]
    assert flagged and "Unconscious" in flagged[0]["outcomeDesc"]


def test_bulk_export_and_run_respect_scopes(client: TestClient, app: FastAPI) -> None:
    p1 = token(app, "patient/*.rs", patient="p1")
    view = {"resourceType": "ViewDefinition", "resource": "Observation", "status": "active",
            "select": [{"column": [{"name": "id", "path": "id"}]}]}
    params = {"resourceType": "Parameters", "parameter": [
        {"name": "viewResource", "resource": view}, {"name": "_format", "valueCode": "json"}]}
    r = client.post("/fhir/ViewDefinition/$run", headers={**p1, **FHIR}, json=params)
    assert r.status_code == 200, r.text
    assert [row["id"] for row in r.json()] == ["o1"]
    obs_only = token(app, "system/Observation.rs", client_id="backend")
    r = client.get("/fhir/$export?_type=Patient", headers={**obs_only, "Prefer": "respond-async"})
    assert r.status_code == 403
    r = client.get("/fhir/$export", headers={**obs_only, "Prefer": "respond-async"})
    assert r.status_code == 202
    status = r.headers["content-location"].removeprefix("http://testserver")
    other = token(app, "system/*.rs", client_id="other-backend")
    assert client.get(status, headers=other).status_code == 404
    for _ in range(200):
        done = client.get(status, headers=obs_only)
        if done.status_code == 200:
            break
    manifest = done.json()
    assert {o["type"] for o in manifest["output"]} == {"Observation"}
    url = manifest["output"][0]["url"].removeprefix("http://testserver")
    assert client.get(url, headers=other).status_code == 404
    lines = client.get(url, headers=obs_only).text.strip().splitlines()
    assert len(lines) == 2


def test_query_restricted_scopes_are_never_granted() -> None:
    from carehub.security.scopes import ScopeSet

    assert not ScopeSet.parse("patient/Observation.rs?category=laboratory").clinical
    encoded = base64.b64encode(b"x").decode()
    assert encoded
