"""The telemedicine HTTP API and the signalling WebSocket, on the wired application
(authorization off; the caller is named by the X-CareHub-Actor header)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from carehub.telemed.records import instant
from tests.telemed.conftest import NOW, world_app

DR1 = {"X-CareHub-Actor": "Practitioner/dr1"}
DR2 = {"X-CareHub-Actor": "Practitioner/dr2"}
P1 = {"X-CareHub-Actor": "Patient/p1"}
P2 = {"X-CareHub-Actor": "Patient/p2"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    with world_app(tmp_path, CAREHUB_TELEMED_TURN_URLS="turn:turn.test:3478",
                   CAREHUB_TELEMED_TURN_SECRET="k") as built:
        built.state.telemed.clock = lambda: NOW
        yield built


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def outcome(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["resourceType"] == "OperationOutcome"
    return body


def booked(client: TestClient, start_hours: float = 0.25) -> dict[str, Any]:
    start = NOW + timedelta(hours=start_hours)
    r = client.post("/telemed/Schedule/$publish", headers=DR1, json={
        "practitioner": "Practitioner/dr1", "start": instant(start),
        "end": instant(start + timedelta(minutes=40)), "minutes": 20})
    assert r.status_code == 201, r.text
    slot = r.json()["slots"]["entry"][0]["resource"]
    r = client.post("/telemed/Appointment", headers=P1, json={"slot": slot["id"]})
    assert r.status_code == 201, r.text
    appointment: dict[str, Any] = r.json()
    return appointment


def test_portal_flow_book_reschedule_cancel(client: TestClient) -> None:
    appt = booked(client, 2)
    free = client.get("/telemed/Slot", params={"practitioner": "Practitioner/dr1"}).json()
    assert free["total"] == 1
    other = free["entry"][0]["resource"]["id"]
    r = client.post(f"/telemed/Appointment/{appt['id']}/$reschedule", headers=P1,
                    json={"slot": other})
    assert r.status_code == 200 and r.json()["slot"][0]["reference"] == f"Slot/{other}"
    outcome(client.post(f"/telemed/Appointment/{appt['id']}/$cancel", headers=P2, json={}), 403)
    r = client.post(f"/telemed/Appointment/{appt['id']}/$cancel", headers=P1, json={})
    assert r.json()["status"] == "cancelled"
    outcome(client.post(f"/telemed/Appointment/{appt['id']}/$cancel", headers=P1, json={}), 409)


def test_bad_requests_get_outcomes_and_store_nothing(client: TestClient) -> None:
    outcome(client.post("/telemed/Appointment", headers=P1, content=b"{nope"), 400)
    outcome(client.post("/telemed/Appointment", headers=P1, json={}), 400)
    outcome(client.post("/telemed/Appointment", headers=P1, json={"slot": "missing"}), 404)
    outcome(client.post("/telemed/Schedule/$publish", headers=DR1, json={
        "practitioner": "Practitioner/dr1", "start": "tomorrow", "end": "x"}), 400)
    outcome(client.post("/telemed/Schedule/$publish", headers=DR1, json={
        "practitioner": "Practitioner/dr1", "start": instant(NOW), "end": instant(NOW)}), 400)
    outcome(client.post("/telemed/Schedule/$publish", headers=P1, json={
        "practitioner": "Practitioner/dr1", "start": instant(NOW),
        "end": instant(NOW + timedelta(hours=1))}), 403)
    outcome(client.post("/telemed/Appointment", headers={"X-CareHub-Actor": "Bogus/1"},
                        json={"slot": "x"}), 400)
    outcome(client.post("/telemed/Appointment/none/$join", headers=P1), 404)
    assert client.get("/telemed/Slot").json()["total"] == 0


def test_join_tokens_only_for_participants_with_turn_credentials(client: TestClient) -> None:
    appt = booked(client)
    outcome(client.post(f"/telemed/Appointment/{appt['id']}/$join", headers=P2), 403)
    outcome(client.post(f"/telemed/Appointment/{appt['id']}/$join", headers=DR2), 403)
    joined = client.post(f"/telemed/Appointment/{appt['id']}/$join", headers=P1).json()
    assert joined["url"].endswith("#" + joined["token"]) and joined["expiresIn"] == 120
    doctor = client.post(f"/telemed/Appointment/{appt['id']}/$join", headers=DR1).json()
    with client.websocket_connect(f"/telemed/ws/{appt['id']}") as ws1:
        ws1.send_json({"type": "hello", "token": joined["token"]})
        welcome = ws1.receive_json()
        assert welcome["type"] == "welcome" and welcome["peers"] == []
        turn = welcome["iceServers"][0]
        assert turn["urls"] == ["turn:turn.test:3478"]
        assert turn["username"] == f"{int(NOW.timestamp()) + 3600}:Patient/p1"
        assert welcome["recordingAllowed"] is False
        with client.websocket_connect(f"/telemed/ws/{appt['id']}") as ws2:
            ws2.send_json({"type": "hello", "token": doctor["token"]})
            w2 = ws2.receive_json()
            assert [p["participant"] for p in w2["peers"]] == ["Patient/p1"]
            assert ws1.receive_json()["type"] == "peer-joined"
            ws2.send_json({"type": "signal", "to": welcome["id"], "data": {"sdp": "x"}})
            relayed = ws1.receive_json()
            assert relayed == {"type": "signal", "from": w2["id"], "data": {"sdp": "x"}}
            ws2.send_json({"type": "record", "on": True})
            assert ws2.receive_json()["code"] == "recording-refused"
        assert ws1.receive_json() == {"type": "peer-left", "id": w2["id"]}


@pytest.mark.parametrize("token", ["", "garbage", "other-room"])
def test_bad_tokens_are_refused_by_the_socket(client: TestClient, token: str) -> None:
    appt = booked(client)
    if token == "other-room":
        second = booked(client, 0.5)
        token = client.post(f"/telemed/Appointment/{second['id']}/$join",
                            headers=P1).json()["token"]
    with client.websocket_connect(f"/telemed/ws/{appt['id']}") as ws:
        ws.send_json({"type": "hello", "token": token})
        assert ws.receive_json()["code"] == "forbidden"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403


def test_an_expired_token_is_refused(app: FastAPI, client: TestClient) -> None:
    appt = booked(client)
    token = client.post(f"/telemed/Appointment/{appt['id']}/$join", headers=P1).json()["token"]
    app.state.telemed.clock = lambda: NOW + timedelta(seconds=121)
    with client.websocket_connect(f"/telemed/ws/{appt['id']}") as ws:
        ws.send_json({"type": "hello", "token": token})
        assert "expired" in ws.receive_json()["message"]


def test_consent_enables_recording(client: TestClient) -> None:
    appt = booked(client)
    outcome(client.post(f"/telemed/Appointment/{appt['id']}/$consent", headers=DR1,
                        json={"recording": True}), 403)
    outcome(client.post(f"/telemed/Appointment/{appt['id']}/$consent", headers=P1,
                        json={"recording": "yes"}), 400)
    client.post(f"/telemed/Appointment/{appt['id']}/$consent", headers=P1,
                json={"recording": True})
    token = client.post(f"/telemed/Appointment/{appt['id']}/$join", headers=P1).json()["token"]
    with client.websocket_connect(f"/telemed/ws/{appt['id']}") as ws:
        ws.send_json({"type": "hello", "token": token})
        assert ws.receive_json()["recordingAllowed"] is True
        ws.send_json({"type": "record", "on": True})
        assert ws.receive_json() == {"type": "recording", "on": True, "by": "Thị Lan Nguyễn"}


def test_room_page_is_served_with_its_own_csp(client: TestClient) -> None:
    r = client.get("/telemed/room/abc?lang=en")
    assert r.status_code == 200 and 'data-room="abc"' in r.text
    assert "Online consultation room" in r.text
    assert "connect-src 'self'" in r.headers["content-security-policy"]
    assert "Phòng tư vấn" in client.get("/telemed/room/abc").text
    assert client.get("/telemed/static/room.js").headers["content-type"].startswith(
        "text/javascript")
    outcome(client.get("/telemed/static/secret.py"), 404)


def test_conference_conclusion_through_the_api(client: TestClient) -> None:
    r = client.post("/telemed/conference", headers=DR1, json={
        "clinicians": ["Practitioner/dr2"], "patient": "Patient/p1", "start": instant(NOW),
        "end": instant(NOW + timedelta(hours=1)), "title": "Hội chẩn"})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    outcome(client.post(f"/telemed/conference/{cid}/$conclude", headers=P1,
                        json={"text": "x"}), 403)
    outcome(client.post(f"/telemed/conference/{cid}/$conclude", headers=DR2, json={}), 400)
    done = client.post(f"/telemed/conference/{cid}/$conclude", headers=DR2,
                       json={"text": "Điều trị nội khoa"})
    assert done.status_code == 201
    types = [e["resource"]["resourceType"] for e in done.json()["entry"]]
    assert types == ["Composition", "DocumentReference", "Provenance"]


def test_messaging_api(client: TestClient) -> None:
    r = client.post("/telemed/messages", headers=P1, json={"text": "Em bị ho nhiều"})
    assert r.status_code == 201, r.text
    outcome(client.post("/telemed/messages", headers=P1, json={"attachments": "x"}), 400)
    outcome(client.post("/telemed/messages", headers=DR1, json={"text": "x"}), 400)
    outcome(client.get("/telemed/messages", headers=P2, params={"patient": "Patient/p1"}), 403)
    inbox = client.get("/telemed/messages", headers=DR1, params={"patient": "Patient/p1"}).json()
    assert inbox["total"] == 1 and inbox["unread"] == 1
    client.post(f"/telemed/messages/{r.json()['id']}/$read", headers=DR1)
    assert client.get("/telemed/messages", headers=DR1,
                      params={"patient": "Patient/p1"}).json()["unread"] == 0
    outcome(client.post("/telemed/messages/nope/$read", headers=DR1), 404)


def test_education_api(client: TestClient) -> None:
    lib = client.get("/telemed/education", params={"lang": "en"}, headers=P1).json()["items"]
    assert len(lib) >= 7
    assert "<h1>" in client.get("/telemed/education/glucose-home", headers=P1).json()["html"]
    outcome(client.get("/telemed/education/nope", headers=P1), 404)
    outcome(client.post("/telemed/education/$assign", headers=P1,
                        json={"patient": "Patient/p1", "item": "bp-home"}), 403)
    made = client.post("/telemed/education/$assign", headers=DR1,
                       json={"patient": "Patient/p1", "item": "bp-home"})
    assert made.status_code == 201
    mine = client.get("/telemed/education-assignments", headers=P1).json()
    assert mine["total"] == 1
    r = client.post(f"/telemed/education-assignments/{made.json()['id']}/$read", headers=P1)
    assert r.json()["status"] == "completed"
