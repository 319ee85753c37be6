"""The clinician's consultation schedule (authorization off, the caller named by the
X-CareHub-Actor header): publishing availability, bad forms refused with a message and
nothing stored, booked sessions with their join link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.telemed import scheduling as sch
from carehub.telemed.actor import Actor
from carehub.telemed.records import parse_instant, utc_now
from tests.web.consult_helpers import (
    as_actor,
    csrf,
    new_practitioner,
    publish,
    records,
    some_patients,
    tomorrow_at,
)


def _free(app: FastAPI, doctor: str) -> list[dict[str, Any]]:
    return sch.free_slots(records(app), doctor, now=utc_now())


def test_publish_availability_then_see_the_open_slots(client: TestClient,
                                                     web_app: FastAPI) -> None:
    doctor = new_practitioner(web_app)
    me = as_actor(doctor)
    r = client.get("/app/schedule?lang=en", headers=me)
    assert r.status_code == 200 and "You have no upcoming free slots." in r.text
    day = tomorrow_at(8).date().isoformat()
    r = client.post("/app/schedule/publish", headers=me, follow_redirects=False,
                    data={"csrf": csrf(client, me), "date": day, "start": "08:00",
                          "end": "09:00", "minutes": "20"})
    assert r.status_code == 303 and r.headers["location"] == "/app/schedule?published=3"
    starts = [s["start"] for s in _free(web_app, doctor)]
    assert [parse_instant(str(s)) for s in starts] == [
        tomorrow_at(8) + timedelta(minutes=20 * i) for i in range(3)]
    page = client.get("/app/schedule?lang=en&published=3", headers=me).text
    assert "3 consultation slots published." in page
    assert "08:00–08:20, 08:20–08:40, 08:40–09:00" in page


@pytest.mark.parametrize(("form", "message"), [
    ({"start": "10:00", "end": "09:00"}, "The end must be after the start."),
    ({"minutes": "3"}, "A slot lasts 5 to 240 minutes."),
    ({"minutes": "twenty"}, "A slot lasts 5 to 240 minutes."),
    ({"date": "31/02/2026"}, "The date or time is not valid."),
    ({"date": "2020-01-01"}, "Availability can only be published for a future time."),
])
def test_a_bad_form_is_refused_with_a_message_and_stores_nothing(
        client: TestClient, web_app: FastAPI, form: dict[str, str], message: str) -> None:
    doctor = new_practitioner(web_app)
    me = as_actor(doctor)
    data = {"csrf": csrf(client, me), "date": tomorrow_at(8).date().isoformat(),
            "start": "08:00", "end": "09:00", "minutes": "20", **form}
    r = client.post("/app/schedule/publish?lang=en", headers=me, data=data)
    assert r.status_code == 422 and message in r.text
    assert f'value="{data["minutes"]}"' in r.text  # what was typed is kept
    assert _free(web_app, doctor) == []


def test_booked_sessions_show_the_patient_and_a_join_link(client: TestClient,
                                                         web_app: FastAPI) -> None:
    doctor = new_practitioner(web_app)
    soon = utc_now().replace(microsecond=0) + timedelta(minutes=5)
    [slot] = publish(web_app, doctor, soon, 1)
    [patient] = some_patients(web_app, 1, skip=35)
    booked = sch.book(records(web_app), Actor(patient), slot["id"], patient, reason="Ho kéo dài")
    page = client.get("/app/schedule?lang=en", headers=as_actor(doctor)).text
    pid = patient.removeprefix("Patient/")
    assert "Ho kéo dài" in page and f'href="/app/patients/{pid}/messages"' in page
    assert f'href="/app/schedule/{booked["id"]}/join"' in page
    r = client.get(f"/app/schedule/{booked['id']}/join", headers=as_actor(doctor),
                   follow_redirects=False)
    url = urlsplit(r.headers["location"])
    assert r.status_code == 303 and url.path == f"/telemed/room/{booked['id']}"
    claims = web_app.state.telemed.tokens.verify(url.fragment, booked["id"],
                                                 int(utc_now().timestamp()))
    assert claims.participant == doctor
    # another clinician is no participant
    r = client.get(f"/app/schedule/{booked['id']}/join?lang=en",
                   headers=as_actor(new_practitioner(web_app)), follow_redirects=False)
    assert r.status_code == 403


def test_patients_and_unnamed_callers_get_no_schedule(client: TestClient,
                                                      web_app: FastAPI) -> None:
    [patient] = some_patients(web_app, 1)
    for headers in (as_actor(patient), {}):
        r = client.get("/app/schedule?lang=en", headers=headers)
        assert r.status_code == 403 and "linked to a practitioner record" in r.text
    r = client.post("/app/schedule/publish?lang=en", headers=as_actor(patient),
                    data={"csrf": csrf(client, as_actor(patient)),
                          "date": tomorrow_at(8).date().isoformat(), "start": "08:00",
                          "end": "09:00", "minutes": "20"})
    assert r.status_code == 403
