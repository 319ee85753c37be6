"""The home-monitoring API on the wired application (authorization off; the caller is named
by the X-CareHub-Actor header): readings, trends, thresholds and the alert worklist."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.telemed.conftest import NOW, world_app

DR1 = {"X-CareHub-Actor": "Practitioner/dr1"}
P1 = {"X-CareHub-Actor": "Patient/p1"}
P2 = {"X-CareHub-Actor": "Patient/p2"}
DEVICE = {"X-CareHub-Actor": "Device/hub-7"}
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "telemed" / "monitoring_readings.json"
CASES: dict[str, list[dict[str, Any]]] = json.loads(FIXTURE.read_text(encoding="utf-8"))
HIGH_BP = {"measure": "bp", "systolic": 172, "diastolic": 96, "unit": "mmHg"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    with world_app(tmp_path, CAREHUB_MONITORING_PROGRAMME="hypertension") as built:
        built.state.telemed.clock = lambda: NOW
        yield built


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def stored(app: FastAPI, resource_type: str) -> int:
    with app.state.telemed.records.store.session() as s:
        count: int = s.count_by_type().get(resource_type, 0)
    return count


def submit(client: TestClient, headers: dict[str, str], body: Any, status: int = 201) -> Any:
    r = client.post("/telemed/monitoring/readings", headers=headers, json=body)
    assert r.status_code == status, r.text
    return r.json()


def entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"]]


def test_a_batch_of_good_readings_is_stored_as_coded_observations(
        client: TestClient, app: FastAPI) -> None:
    good = CASES["good"]
    body = submit(client, P1, {"readings": [c["reading"] for c in good]})
    observations = entries(body["observations"])
    assert [o["code"]["coding"][0]["code"] for o in observations] == [c["loinc"] for c in good]
    assert all(o["subject"]["reference"] == "Patient/p1" for o in observations)
    pounds = next(o for o in observations
                  if (o.get("valueQuantity") or {}).get("code") == "[lb_av]")
    assert pounds["valueQuantity"]["value"] == 154
    trend = client.get("/telemed/monitoring/readings", headers=P1).json()
    assert trend["total"] == len(good) == stored(app, "Observation")
    only_glucose = client.get("/telemed/monitoring/readings", headers=DR1,
                              params={"patient": "Patient/p1", "measure": "glucose"}).json()
    assert {o["resource"]["code"]["coding"][0]["code"] for o in only_glucose["entry"]} == {
        "15074-8", "2339-0"}
    assert body["alerts"]["total"] == 0


@pytest.mark.parametrize("case", CASES["bad"], ids=lambda c: c["title"])
def test_a_bad_reading_refuses_the_batch_and_stores_nothing(
        client: TestClient, app: FastAPI, case: dict[str, Any]) -> None:
    body = {"readings": [HIGH_BP, case["reading"]]}
    outcome = submit(client, P1, body, 422)
    assert outcome["resourceType"] == "OperationOutcome"
    expected = case["expression"].replace("readings[0]", "readings[1]")
    issue = next((i for i in outcome["issue"] if expected in i.get("expression", [])), None)
    assert issue is not None, outcome
    assert issue["code"] == case["code"] and issue["diagnostics"]
    assert stored(app, "Observation") == 0
    assert stored(app, "Task") == 0 and stored(app, "Flag") == 0


def test_malformed_bodies_and_callers(client: TestClient, app: FastAPI) -> None:
    r = client.post("/telemed/monitoring/readings", headers=P1, content=b"{nope")
    assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome"
    assert submit(client, P1, {"readings": []}, 400)["resourceType"] == "OperationOutcome"
    assert submit(client, DR1, {"measure": "spo2", "value": 97, "unit": "%"}, 400)
    submit(client, P2, {"patient": "Patient/p1", "readings": [HIGH_BP]}, 403)
    submit(client, DR1, {"patient": "Patient/nobody", "readings": [HIGH_BP]}, 404)
    assert client.get("/telemed/monitoring/readings", headers=P2,
                      params={"patient": "Patient/p1"}).status_code == 403
    assert client.get("/telemed/monitoring/readings", headers=P1,
                      params={"days": "ever"}).status_code == 400
    assert stored(app, "Observation") == 0


def test_a_device_sends_a_bundle_of_observations(client: TestClient, app: FastAPI) -> None:
    app.state.telemed.records.put({"resourceType": "Device", "id": "hub-7",
                                   "patient": {"reference": "Patient/p2"}})
    obs = next(c["reading"] for c in CASES["good"] if c["title"] == "device SpO2 Observation")
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {**obs, "subject": {"reference": "Patient/p2"}}},
        {"resource": {**obs, "subject": {"reference": "Patient/p2"},
                      "valueQuantity": {"value": 85, "code": "%"}}}]}
    body = submit(client, DEVICE, bundle)
    assert [o["device"]["reference"] for o in entries(body["observations"])] == [
        "Device/oximeter-1"] * 2
    alert = [a for a in entries(body["alerts"]) if a["resourceType"] == "Task"]
    assert len(alert) == 1 and alert[0]["for"]["reference"] == "Patient/p2"
    mixed = {**bundle, "entry": [*bundle["entry"],
                                 {"resource": {**obs, "subject": {"reference": "Patient/p1"}}}]}
    submit(client, DEVICE, mixed, 400)
    other = {**bundle, "entry": [{"resource": {**obs, "subject": {"reference": "Patient/p1"}}}]}
    submit(client, DEVICE, other, 403)  # not this device's patient
    assert len(entries(submit(client, {}, other)["observations"])) == 1  # a back-end service


def test_alerts_are_idempotent_until_resolved(client: TestClient, app: FastAPI) -> None:
    first = submit(client, P1, HIGH_BP)
    kinds = sorted(a["resourceType"] for a in entries(first["alerts"]))
    assert kinds == ["Flag", "Task"]
    task = next(a for a in entries(first["alerts"]) if a["resourceType"] == "Task")
    assert "systolic 172 mmHg above 160" in task["description"]
    submit(client, P1, {"readings": [HIGH_BP, {**HIGH_BP, "systolic": 181}]})
    assert stored(app, "Flag") == 1 and stored(app, "Task") == 1
    work = client.get("/telemed/monitoring/alerts", headers=DR1).json()
    assert work["total"] == 1
    assert len(work["entry"][0]["resource"]["input"]) == 3
    assert client.get("/telemed/monitoring/alerts", headers=P1).status_code == 403

    r = client.post(f"/telemed/monitoring/alerts/{task['id']}/$acknowledge", headers=DR1)
    assert r.json()["status"] == "in-progress" and r.json()["owner"]["reference"] == \
        "Practitioner/dr1"
    submit(client, P1, HIGH_BP)  # acknowledged is still open: no new alert
    assert stored(app, "Task") == 1
    r = client.post(f"/telemed/monitoring/alerts/{task['id']}/$resolve", headers=DR1,
                    json={"note": "called the patient; medication adjusted"})
    closed = {x["resourceType"]: x for x in entries(r.json())}
    assert closed["Task"]["status"] == "completed" and closed["Flag"]["status"] == "inactive"
    assert client.get("/telemed/monitoring/alerts", headers=DR1).json()["total"] == 0
    assert client.get("/telemed/monitoring/alerts", headers=DR1,
                      params={"status": "all"}).json()["total"] == 1

    again = submit(client, P1, HIGH_BP)
    assert len(entries(again["alerts"])) == 2  # a new Flag and Task after resolution
    assert client.get("/telemed/monitoring/alerts", headers=DR1).json()["total"] == 1
    assert client.post("/telemed/monitoring/alerts/nope/$resolve", headers=DR1,
                       json={}).status_code == 404
    assert client.post(f"/telemed/monitoring/alerts/{task['id']}/$acknowledge",
                       headers=P1).status_code == 403


def test_per_patient_thresholds_override_the_programme(client: TestClient, app: FastAPI) -> None:
    high_sugar = {"measure": "glucose", "value": 11.5, "unit": "mmol/L"}  # 207 mg/dL
    assert submit(client, P1, high_sugar)["alerts"]["total"] == 0  # hypertension: no glucose limit
    r = client.post("/telemed/monitoring/thresholds", headers=P1,
                    json={"patient": "Patient/p1", "programme": "diabetes"})
    assert r.status_code == 403
    bad = client.post("/telemed/monitoring/thresholds", headers=DR1, json={
        "patient": "Patient/p1", "programme": "diabetes",
        "targets": {"glucose.value": {"low": 200, "high": 100}}})
    assert bad.status_code == 400 and bad.json()["issue"][0]["expression"] == [
        "targets.glucose.value"]
    assert client.post("/telemed/monitoring/thresholds", headers=DR1, json={
        "patient": "Patient/p1", "programme": "diabtes"}).json()["issue"][0][
        "diagnostics"].endswith("Did you mean 'diabetes'?")
    assert stored(app, "Goal") == 0
    r = client.post("/telemed/monitoring/thresholds", headers=DR1, json={
        "patient": "Patient/p1", "programme": "diabetes",
        "targets": {"glucose.value": {"low": 80, "high": 180}}})
    assert r.status_code == 200 and r.json()["resourceType"] == "Goal"
    limits = client.get("/telemed/monitoring/thresholds", headers=P1).json()
    row = next(b for b in limits["bounds"] if b["measure"] == "glucose")
    assert (limits["programme"], row["high"], row["source"]) == ("diabetes", 180, "patient")
    assert submit(client, P1, high_sugar)["alerts"]["total"] == 2
    assert submit(client, P2, high_sugar)["alerts"]["total"] == 0  # p2 keeps the default
