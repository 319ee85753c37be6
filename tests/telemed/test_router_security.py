"""With authorization on: every /telemed route needs a token with a clinical scope
(the room page and its assets are public), and the caller comes from the token."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.security.context import Grant
from carehub.security.scopes import ScopeSet
from carehub.security.web.route_table import is_public, walk_routes
from carehub.telemed.records import instant
from tests.security.conftest import make_app, token
from tests.security.test_route_table import concrete


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[tuple[FastAPI, TestClient]]:
    app, store = make_app(tmp_path)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield app, c
    store.close()


def test_telemed_routes_are_classified(secured: tuple[FastAPI, TestClient]) -> None:
    app, client = secured
    wrong = token(app, "openid fhirUser")
    checked = 0
    for info in walk_routes(app.router.routes):
        if not info.path.startswith("/telemed"):
            continue
        for method in sorted(info.methods - {"HEAD", "*"}) or ["GET"]:
            url = concrete(info.path)
            if is_public(info.path, method):
                assert client.request(method, url).status_code != 401, info.path
                continue
            assert client.request(method, url).status_code == 401, info.path
            assert client.request(method, url, headers=wrong).status_code == 403, info.path
            checked += 1
    assert checked >= 9


def test_the_token_names_the_caller(secured: tuple[FastAPI, TestClient]) -> None:
    app, client = secured
    doctor = token(app, "openid fhirUser user/*.cruds", role="clinician")
    r = client.post("/telemed/Schedule/$publish", headers=doctor, json={})
    assert r.status_code == 403  # a staff token without fhirUser names no person
    start = datetime.now(UTC) + timedelta(hours=1)
    issued = app.state.auth.tokens.issue(
        Grant("dr1", "test-app", ScopeSet.parse("openid fhirUser user/*.cruds"), None,
              "Practitioner/dr1", "clinician"), refresh=False)
    dr1 = {"Authorization": f"Bearer {issued.access_token}"}
    r = client.post("/telemed/Schedule/$publish", headers=dr1, json={
        "practitioner": "Practitioner/dr1", "start": instant(start),
        "end": instant(start + timedelta(minutes=20)), "minutes": 20})
    assert r.status_code == 201, r.text
    slot = r.json()["slots"]["entry"][0]["resource"]["id"]
    p1 = token(app, "openid patient/*.rs launch/patient", patient="p1", role="patient")
    r = client.post("/telemed/Appointment", headers=p1,
                    json={"slot": slot, "patient": "Patient/p2"})
    assert r.status_code == 403
    r = client.post("/telemed/Appointment", headers={**p1, "X-CareHub-Actor": "Patient/p2"},
                    json={"slot": slot})
    assert r.status_code == 201
    assert r.json()["participant"][0]["actor"]["reference"] == "Patient/p1"
    spoof = {**p1, "X-CareHub-Actor": "Practitioner/dr1"}
    r = client.post(f"/telemed/Appointment/{r.json()['id']}/$consent", headers=spoof,
                    json={"recording": True})
    assert r.status_code == 200  # the header is ignored: the patient consents for themselves
