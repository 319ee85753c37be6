"""The patient's teleconsultation screen (authorization off, the caller named by the
X-CareHub-Actor header): booking, double booking refused with a message, rescheduling,
cancelling, recording consent and the join link; refusals store nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.telemed.records import instant, utc_now
from tests.web.consult_helpers import (
    as_actor,
    csrf,
    new_practitioner,
    publish,
    records,
    some_patients,
    tomorrow_at,
)


def _appointments(app: FastAPI, patient: str) -> list[dict[str, Any]]:
    return [a for a in records(app).search("Appointment", [("actor", patient)])
            if a.get("status") == "booked"]


def _slot(app: FastAPI, slot_id: str) -> str:
    return str(records(app).get("Slot", slot_id)["status"])


def test_book_reschedule_cancel_and_a_double_booking_refused(client: TestClient,
                                                            web_app: FastAPI) -> None:
    doctor = new_practitioner(web_app, "Đỗ")
    first, second, third = publish(web_app, doctor, tomorrow_at(8), 3)
    me, other = some_patients(web_app, 2)
    mine, theirs = as_actor(me), as_actor(other)
    r = client.get(f"/app/consultations?lang=en&clinician={doctor}", headers=mine)
    assert r.status_code == 200
    assert f'value="{first["id"]}"' in r.text and "08:00–08:20" in r.text
    token = csrf(client, mine)

    r = client.post("/app/consultations/book", headers=mine, follow_redirects=False,
                    data={"csrf": token, "slot": first["id"], "reason": "Tái khám huyết áp"})
    assert r.status_code == 303 and r.headers["location"] == "/app/consultations?done=booked"
    [booked] = [a for a in _appointments(web_app, me) if a["slot"] == [
        {"reference": f"Slot/{first['id']}"}]]
    assert _slot(web_app, first["id"]) == "busy"
    page = client.get("/app/consultations?lang=en&done=booked", headers=mine).text
    assert "Your consultation is booked." in page and "Tái khám huyết áp" in page
    assert f'href="/app/consultations/{booked["id"]}/join"' in page
    assert "Not recorded (you have not agreed)" in page
    assert f'value="{first["id"]}"' not in page  # no longer offered

    # another patient tries the same slot: a clear message, nothing stored for them
    before = len(_appointments(web_app, other))
    r = client.post("/app/consultations/book?lang=en", headers=theirs,
                    data={"csrf": token, "slot": first["id"]})
    assert r.status_code == 409
    assert "Someone has just booked this time. Please choose another time." in r.text
    assert len(_appointments(web_app, other)) == before
    r = client.post("/app/consultations/book?lang=vi", headers=theirs,
                    data={"csrf": token, "slot": first["id"]})
    assert r.status_code == 409 and "Giờ này vừa có người khác đặt" in r.text

    # move to the second slot: the first is free again
    r = client.post(f"/app/consultations/{booked['id']}/reschedule", headers=mine,
                    data={"csrf": token, "slot": second["id"]}, follow_redirects=False)
    assert r.status_code == 303
    moved = records(web_app).get("Appointment", booked["id"])
    assert moved["start"] == second["start"]
    assert (_slot(web_app, first["id"]), _slot(web_app, second["id"])) == ("free", "busy")
    # ... but not to another clinician's slot, and not by someone else
    elsewhere = publish(web_app, new_practitioner(web_app), tomorrow_at(9), 1)[0]
    r = client.post(f"/app/consultations/{booked['id']}/reschedule?lang=en", headers=mine,
                    data={"csrf": token, "slot": elsewhere["id"]})
    assert r.status_code == 400 and "can no longer be booked" in r.text
    r = client.post(f"/app/consultations/{booked['id']}/reschedule?lang=en", headers=theirs,
                    data={"csrf": token, "slot": third["id"]})
    assert r.status_code == 403
    assert records(web_app).get("Appointment", booked["id"])["start"] == second["start"]
    assert (_slot(web_app, elsewhere["id"]), _slot(web_app, third["id"])) == ("free", "free")

    # cancel: the slot is free; a second cancel is refused with a message
    r = client.post(f"/app/consultations/{booked['id']}/cancel", headers=mine,
                    data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("done=cancelled")
    assert records(web_app).get("Appointment", booked["id"])["status"] == "cancelled"
    assert _slot(web_app, second["id"]) == "free"
    r = client.post(f"/app/consultations/{booked['id']}/cancel?lang=en", headers=mine,
                    data={"csrf": token})
    assert r.status_code == 409 and "has been cancelled or has ended" in r.text
    assert f'/app/consultations/{booked["id"]}/join' not in client.get(
        "/app/consultations", headers=mine).text


def test_refusals_without_csrf_slot_or_patient_store_nothing(client: TestClient,
                                                            web_app: FastAPI) -> None:
    doctor = new_practitioner(web_app)
    [slot] = publish(web_app, doctor, tomorrow_at(10), 1)
    [me] = some_patients(web_app, 1, skip=25)
    r = client.post("/app/consultations/book?lang=en", headers=as_actor(me),
                    data={"csrf": "forged", "slot": slot["id"]})
    assert r.status_code == 403 and "The form has expired" in r.text
    token = csrf(client, as_actor(me))
    r = client.post("/app/consultations/book?lang=en", headers=as_actor(me), data={"csrf": token})
    assert r.status_code == 400 and "Please choose a free time." in r.text
    r = client.post("/app/consultations/book?lang=en", headers=as_actor(me),
                    data={"csrf": token, "slot": "no-such-slot"})
    assert r.status_code == 404
    assert _slot(web_app, slot["id"]) == "free"
    for headers in ({}, as_actor(doctor)):
        r = client.get("/app/consultations?lang=en", headers=headers)
        assert r.status_code == 403 and "patient account" in r.text
        r = client.post("/app/consultations/book", headers=headers,
                        data={"csrf": token, "slot": slot["id"]})
        assert r.status_code == 403
    assert _slot(web_app, slot["id"]) == "free"


def test_recording_consent_and_the_join_link(client: TestClient, web_app: FastAPI) -> None:
    doctor = new_practitioner(web_app)
    soon = utc_now().replace(microsecond=0) + timedelta(minutes=10)
    [near] = publish(web_app, doctor, soon, 1)
    [far] = publish(web_app, doctor, tomorrow_at(15), 1)
    me, other = some_patients(web_app, 2, skip=30)
    token = csrf(client, as_actor(me))
    for slot in (near, far):
        r = client.post("/app/consultations/book", headers=as_actor(me),
                        data={"csrf": token, "slot": slot["id"]}, follow_redirects=False)
        assert r.status_code == 303
    by_slot = {a["slot"][0]["reference"]: a for a in _appointments(web_app, me)}
    now_id = by_slot[f"Slot/{near['id']}"]["id"]
    later_id = by_slot[f"Slot/{far['id']}"]["id"]

    r = client.post(f"/app/consultations/{now_id}/consent", headers=as_actor(me),
                    data={"csrf": token, "recording": "yes"}, follow_redirects=False)
    assert r.status_code == 303
    assert "You have agreed to recording" in client.get("/app/consultations?lang=en",
                                                        headers=as_actor(me)).text
    r = client.post(f"/app/consultations/{now_id}/consent", headers=as_actor(other),
                    data={"csrf": token, "recording": "no"})
    assert r.status_code == 403
    assert records(web_app).get("Appointment", str(now_id))["extension"][0]["valueBoolean"] is True

    r = client.get(f"/app/consultations/{now_id}/join?lang=en", headers=as_actor(me),
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["cache-control"] == "no-store"
    url = urlsplit(r.headers["location"])
    assert url.path == f"/telemed/room/{now_id}" and url.query == "lang=en"
    claims = web_app.state.telemed.tokens.verify(url.fragment, str(now_id),
                                                 int(utc_now().timestamp()))
    assert claims.participant == me
    assert client.get(r.headers["location"]).status_code == 200  # the room page itself

    r = client.get(f"/app/consultations/{later_id}/join", headers=as_actor(me),
                   follow_redirects=False)
    assert r.headers["location"] == "/app/consultations?error=not_open"
    assert "not open yet" in client.get("/app/consultations?lang=en&error=not_open",
                                        headers=as_actor(me)).text
    r = client.get(f"/app/consultations/{now_id}/join?lang=en", headers=as_actor(other),
                   follow_redirects=False)
    assert r.status_code == 403 and "participants" in r.text
    assert instant(soon) == near["start"]
