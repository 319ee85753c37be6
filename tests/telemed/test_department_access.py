"""With authorization on, a department-scoped clinician reaches only the department's patients
through the telemedicine routes (403 OperationOutcome for a route naming another patient, 404
for one of their resources named by id, nothing written either way); a clinician
without a department, or with break-glass, is not limited.

The world is the security tests' one: ``p1`` was seen by department ``dept-a``, ``p2`` was not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.security.context import Grant
from carehub.security.scopes import ScopeSet
from tests.security.conftest import make_app, token

READING = {"measure": "spo2", "value": 85, "unit": "%"}


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[tuple[FastAPI, TestClient]]:
    app, store = make_app(tmp_path)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield app, c
    store.close()


def clinician(app: FastAPI, department: str | None = None, break_glass: str | None = None,
              scopes: str = "openid fhirUser user/*.cruds") -> dict[str, str]:
    grant = Grant("dr1", "test-app", ScopeSet.parse(scopes), None, "Practitioner/dr1",
                  "clinician", department, break_glass)
    issued = app.state.auth.tokens.issue(grant, refresh=False)
    return {"Authorization": f"Bearer {issued.access_token}"}


def patient(app: FastAPI, pid: str) -> dict[str, str]:
    return token(app, "openid patient/*.rs launch/patient", patient=pid, role="patient")


def refused(r: Any) -> None:
    assert r.status_code == 403, r.text
    assert r.json()["resourceType"] == "OperationOutcome"


def hidden(r: Any) -> None:
    """A resource addressed by id outside the department is as if unknown (the guard's rule)."""
    assert r.status_code == 404, r.text
    assert r.json()["resourceType"] == "OperationOutcome"


def count(app: FastAPI, resource_type: str, pid: str) -> int:
    return len(app.state.telemed.records.search(resource_type, [("subject", f"Patient/{pid}")]))


def test_a_department_clinician_is_refused_outside_the_department(
        secured: tuple[FastAPI, TestClient]) -> None:
    app, client = secured
    dept = clinician(app, "dept-a")
    for pid in ("p1", "p2"):
        r = client.post("/telemed/monitoring/readings", headers=patient(app, pid), json=READING)
        assert r.status_code == 201, r.text
    # inside the department: allowed
    assert client.get("/telemed/messages", headers=dept,
                      params={"patient": "Patient/p1"}).status_code == 200
    r = client.post("/telemed/messages", headers=dept,
                    json={"patient": "Patient/p1", "text": "Chào chị"})
    assert r.status_code == 201, r.text
    assert client.post("/telemed/education/$assign", headers=dept, json={
        "patient": "Patient/p1", "item": "copd-inhaler"}).status_code == 201
    assert client.get("/telemed/monitoring/readings", headers=dept,
                      params={"patient": "Patient/p1"}).json()["total"] == 1
    # outside: 403 and nothing written
    before = count(app, "Communication", "p2"), count(app, "CommunicationRequest", "p2")
    refused(client.get("/telemed/messages", headers=dept, params={"patient": "Patient/p2"}))
    refused(client.post("/telemed/messages", headers=dept,
                        json={"patient": "Patient/p2", "text": "x"}))
    refused(client.post("/telemed/education/$assign", headers=dept,
                        json={"patient": "Patient/p2", "item": "copd-inhaler"}))
    refused(client.get("/telemed/education-assignments", headers=dept,
                       params={"patient": "Patient/p2"}))
    refused(client.get("/telemed/monitoring/readings", headers=dept,
                       params={"patient": "Patient/p2"}))
    refused(client.get("/telemed/monitoring/thresholds", headers=dept,
                       params={"patient": "Patient/p2"}))
    refused(client.get("/telemed/monitoring/alerts", headers=dept,
                       params={"patient": "Patient/p2"}))
    refused(client.post("/telemed/monitoring/readings", headers=dept,
                        json={"patient": "Patient/p2", "readings": [READING]}))
    refused(client.get("/telemed/messages", headers=dept,
                       params={"patient": "Patient/unknown"}))
    assert (count(app, "Communication", "p2"), count(app, "CommunicationRequest", "p2")) == before

    # the worklist leaves the other department's alert out, and it cannot be worked
    shown = client.get("/telemed/monitoring/alerts", headers=dept).json()
    assert [e["resource"]["for"]["reference"] for e in shown["entry"]] == ["Patient/p1"]
    everyone = client.get("/telemed/monitoring/alerts", headers=clinician(app)).json()
    other = next(e["resource"] for e in everyone["entry"]
                 if e["resource"]["for"]["reference"] == "Patient/p2")
    hidden(client.post(f"/telemed/monitoring/alerts/{other['id']}/$acknowledge", headers=dept))
    assert app.state.telemed.records.get("Task", other["id"])["status"] == "requested"


def test_reading_a_message_of_another_department_is_refused(
        secured: tuple[FastAPI, TestClient]) -> None:
    app, client = secured
    r = client.post("/telemed/messages", headers=patient(app, "p2"), json={"text": "Tôi mệt"})
    assert r.status_code == 201, r.text
    message = r.json()["id"]
    hidden(client.post(f"/telemed/messages/{message}/$read", headers=clinician(app, "dept-a")))
    assert "received" not in app.state.telemed.records.get("Communication", message)
    r = client.post(f"/telemed/messages/{message}/$read", headers=clinician(app))
    assert r.status_code == 200 and "received" in r.json()


def test_no_department_or_break_glass_is_not_limited(
        secured: tuple[FastAPI, TestClient]) -> None:
    app, client = secured
    anyone = clinician(app)
    assert client.get("/telemed/messages", headers=anyone,
                      params={"patient": "Patient/p2"}).status_code == 200
    assert client.post("/telemed/education/$assign", headers=anyone, json={
        "patient": "Patient/p2", "item": "copd-inhaler"}).status_code == 201
    emergency = clinician(app, "dept-a", "patient collapsed in the corridor",
                          scopes="openid fhirUser user/*.rs")
    r = client.get("/telemed/education-assignments", headers=emergency,
                   params={"patient": "Patient/p2"})
    assert r.status_code == 200 and r.json()["total"] == 1


def test_the_care_team_screens_hide_other_departments(
        secured: tuple[FastAPI, TestClient]) -> None:
    app, client = secured
    for pid in ("p1", "p2"):
        client.post("/telemed/monitoring/readings", headers=patient(app, pid), json=READING)
    dept = clinician(app, "dept-a")
    page = client.get("/app/monitoring/alerts", headers=dept)
    assert page.status_code == 200
    assert "/app/monitoring/patients/p1" in page.text
    assert "/app/monitoring/patients/p2" not in page.text
    assert client.get("/app/monitoring/patients/p2", headers=dept).status_code in (403, 404)
    assert client.get("/app/patients/p2/education", headers=dept).status_code in (403, 404)
    assert client.get("/app/patients/p1/education", headers=dept).status_code == 200
