"""Secure messaging screens (authorization off, the caller named by the X-CareHub-Actor header;
one test with real sessions): send with an attachment, read status on both sides, refusals
with a message and nothing stored, another patient's conversation refused."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.web.screens.messages import safe_filename, when
from tests.web.conftest import RunningServer
from tests.web.consult_helpers import as_actor, csrf, new_practitioner, records, some_patients
from tests.web.manager_fixtures import PATIENT_PASSWORD, signed_in

PDF = b"%PDF-1.4 ket qua xet nghiem"


def _thread(app: FastAPI, patient: str) -> list[dict[str, Any]]:
    return records(app).search("Communication", [("subject", patient),
                                                  ("category", "secure-message")])


def test_a_message_with_a_file_is_read_by_the_care_team_and_answered(
        client: TestClient, web_app: FastAPI) -> None:
    [patient] = some_patients(web_app, 1, skip=40)
    pid = patient.removeprefix("Patient/")
    doctor = new_practitioner(web_app, "Vũ")
    me, dr = as_actor(patient), as_actor(doctor)
    token = csrf(client, me)
    r = client.post("/app/messages", headers=me, follow_redirects=False,
                    data={"csrf": token, "text": "Huyết áp sáng nay 150/95"},
                    files={"file": ("kết quả.pdf", PDF, "application/pdf")})
    assert r.status_code == 303 and r.headers["location"] == "/app/messages?sent=1"
    [stored] = _thread(web_app, patient)
    assert stored["sender"] == {"reference": patient} and "received" not in stored
    page = client.get("/app/messages?lang=en&sent=1", headers=me).text
    assert "Message sent." in page and "Huyết áp sáng nay 150/95" in page
    assert "Not read yet" in page and "kết quả.pdf" in page

    # the clinician sees it unread, opens the file, marks it read
    page = client.get(f"/app/patients/{pid}/messages?lang=en", headers=dr).text
    assert "Huyết áp sáng nay 150/95" in page and ">Unread<" in page
    link = f"/app/messages/{stored['id']}/attachments/0"
    assert f'href="{link}"' in page, page[page.find('id="thread"'):][:2500]
    got = client.get(link, headers=dr)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == 'attachment; filename="k_t_qu_.pdf"'
    r = client.post(f"/app/patients/{pid}/messages/{stored['id']}/read", headers=dr,
                    data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert "received" in records(web_app).get("Communication", stored["id"])
    assert ">Unread<" not in client.get(f"/app/patients/{pid}/messages?lang=en", headers=dr).text
    assert re.search(r"Read T\d|Read (Mon|Tue|Wed|Thu|Fri|Sat|Sun) ",
                     client.get("/app/messages?lang=en", headers=me).text)

    # the answer: new for the patient, read once they open the page
    r = client.post(f"/app/patients/{pid}/messages", headers=dr, follow_redirects=False,
                    data={"csrf": token, "text": "Tăng liều amlodipine 10 mg"})
    assert r.status_code == 303
    answer = next(m for m in _thread(web_app, patient) if m["sender"] == {"reference": doctor})
    assert answer["recipient"] == [{"reference": patient}]
    page = client.get("/app/messages?lang=en", headers=me).text
    assert "Tăng liều amlodipine 10 mg" in page and ">New<" in page and "(care team)" in page
    assert "received" in records(web_app).get("Communication", answer["id"])
    assert "Not read yet" not in client.get(f"/app/patients/{pid}/messages?lang=en",
                                            headers=dr).text


def test_another_patients_conversation_is_refused(client: TestClient, web_app: FastAPI) -> None:
    mine, other = some_patients(web_app, 2, skip=45)
    doctor = new_practitioner(web_app)
    token = csrf(client, as_actor(mine))
    client.post("/app/messages", headers=as_actor(other), data={"csrf": token, "text": "riêng tư"},
                files={"file": ("a.png", b"\x89PNG\r\n", "image/png")})
    [theirs] = _thread(web_app, other)
    them = other.removeprefix("Patient/")
    # a patient reaches only their own conversation
    r = client.get(f"/app/patients/{them}/messages?lang=en", headers=as_actor(mine))
    assert r.status_code == 403 and "riêng tư" not in r.text
    r = client.post(f"/app/patients/{them}/messages", headers=as_actor(mine),
                    data={"csrf": token, "text": "xen vào"})
    assert r.status_code == 403
    r = client.post(f"/app/patients/{them}/messages/{theirs['id']}/read", headers=as_actor(mine),
                    data={"csrf": token})
    assert r.status_code == 403
    assert client.get(f"/app/messages/{theirs['id']}/attachments/0",
                      headers=as_actor(mine)).status_code == 403
    assert "riêng tư" not in client.get("/app/messages", headers=as_actor(mine)).text
    assert [m["id"] for m in _thread(web_app, other)] == [theirs["id"]]
    assert "received" not in records(web_app).get("Communication", theirs["id"])
    # a message id from another conversation is not marked through this one
    r = client.post(f"/app/patients/{mine.removeprefix('Patient/')}/messages/{theirs['id']}/read",
                    headers=as_actor(doctor), data={"csrf": token})
    assert r.status_code == 404
    assert client.get(f"/app/messages/{theirs['id']}/attachments/5",
                      headers=as_actor(doctor)).status_code == 404
    assert client.get("/app/messages?lang=en", headers={}).status_code == 403


def test_bad_messages_get_a_message_and_store_nothing(client: TestClient,
                                                      web_app: FastAPI) -> None:
    [patient] = some_patients(web_app, 1, skip=50)
    me = as_actor(patient)
    token = csrf(client, me)
    cases = [({"text": "   "}, None, "Write a message or attach a file."),
             ({"text": "x"}, ("page.html", b"<script>", "text/html"),
              "Only PDF, PNG or JPEG files can be sent."),
             ({"text": "x"}, ("empty.pdf", b"", "application/pdf"),
              "must not be empty and must be 5 MB at most"),
             ({"text": "x" * 4001}, None, "The message is too long")]
    for data, upload, message in cases:
        r = client.post("/app/messages?lang=en", headers=me, data={"csrf": token, **data},
                        files={"file": upload} if upload else None)
        assert r.status_code == 400 and message in r.text, message
    r = client.post("/app/messages", headers=me, data={"csrf": "x", "text": "hi"})
    assert r.status_code == 403
    assert _thread(web_app, patient) == []


def test_a_patient_session_ignores_the_actor_header(
        auth_server: RunningServer, auth_app: FastAPI) -> None:
    mine, other = some_patients(auth_app, 2, skip=55)
    accounts = auth_app.state.auth.accounts
    if accounts.user("benh.nhan.tin.nhan") is None:
        accounts.add_user("benh.nhan.tin.nhan", PATIENT_PASSWORD, "patient", fhir_user=mine,
                          display="Bệnh nhân tin nhắn")
    c = signed_in(auth_server.url, "benh.nhan.tin.nhan", PATIENT_PASSWORD)
    try:
        r = c.post("/app/messages", headers=as_actor(other), follow_redirects=False,
                   data={"csrf": c.cookies.get("carehub_csrf"), "text": "từ phiên đăng nhập"})
        assert r.status_code == 303
        assert [m["sender"]["reference"] for m in _thread(auth_app, mine)] == [mine]
        assert _thread(auth_app, other) == []
        r = c.get(f"/app/patients/{other.removeprefix('Patient/')}/messages")
        assert r.status_code == 403
        assert c.get("/app/schedule").status_code == 403
    finally:
        c.close()


def test_helpers() -> None:
    from carehub.web.i18n import Translator

    assert when("2026-03-01T17:30:00Z", Translator("en")) == "Mon 02/03/2026 00:30"
    assert safe_filename("") == "attachment"
