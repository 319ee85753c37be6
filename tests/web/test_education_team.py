"""Education in the web application over a small store (authorization off): the care team assigns
an item from the patient's page, the patient sees it first and unread, opening it records the
reading, the care team sees it read; bad requests write nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.telemed.education import item
from carehub.web.session import CSRF_COOKIE
from tests.telemed.conftest import world_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with world_app(tmp_path_factory.mktemp("education-web")) as built:
        yield built


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=True) as c:
        c.get("/app/patients/p1/education")
        yield c


def stored(app: FastAPI, resource_type: str) -> int:
    return len(app.state.telemed.records.search(resource_type, [("category", "education")]))


def assign(client: TestClient, pid: str, item_id: str, reason: str = "",
           csrf: str | None = None) -> int:
    r = client.post(f"/app/patients/{pid}/education", follow_redirects=False, data={
        "csrf": client.cookies.get(CSRF_COOKIE) or "" if csrf is None else csrf,
        "item": item_id, "reason": reason})
    status: int = r.status_code
    return status


def test_assign_read_and_see_it_read(client: TestClient, app: FastAPI) -> None:
    page = client.get("/app/patients/p2/education?lang=en")
    assert page.status_code == 200
    assert item("hf-daily-weight", "en").title in page.text and 'id="eduteam-none"' in page.text
    assert assign(client, "p2", "hf-daily-weight", "NYHA II, new diuretic") == 303
    assert assign(client, "p2", "bp-home") == 303
    page = client.get("/app/patients/p2/education?lang=en&assigned=bp-home")
    assert 'id="eduteam-saved"' in page.text
    assert page.text.count("Not read yet") == 2 and "NYHA II, new diuretic" in page.text
    assert page.text.count("<td>Care team</td>") == 2  # authorization off: no named user

    mine = client.get("/app/my-education?patient=p2&lang=vi")
    assert mine.status_code == 200
    links = re.findall(r'href="/app/my-education/([^"?]+)\?patient=p2"', mine.text)
    assert len(links) == 2 and mine.text.count(">Mới<") == 2
    opened = client.get(f"/app/my-education/{links[1]}?patient=p2&lang=vi")
    assert opened.status_code == 200
    assert "<h1>" in opened.text
    reads = stored(app, "Communication")
    assert reads == 1
    client.get(f"/app/my-education/{links[1]}?patient=p2")  # again: nothing new
    assert stored(app, "Communication") == 1

    mine = client.get("/app/my-education?patient=p2&lang=vi")
    order = re.findall(r'href="/app/my-education/([^"?]+)\?patient=p2"', mine.text)
    assert order == [links[0], links[1]]  # unread first
    assert mine.text.count(">Mới<") == 1 and mine.text.count(">Đã đọc<") == 1
    staff = client.get("/app/patients/p2/education?lang=en")
    assert staff.text.count("Not read yet") == 1 and "Read on 20" in staff.text


def test_bad_requests_write_nothing(client: TestClient, app: FastAPI) -> None:
    before = stored(app, "CommunicationRequest")
    assert assign(client, "p1", "bp-home", csrf="forged") == 403
    assert assign(client, "p1", "no-such-item") == 400
    assert assign(client, "nobody", "bp-home") == 404
    assert stored(app, "CommunicationRequest") == before
    assert client.get("/app/patients/nobody/education").status_code == 404
    assert client.get("/app/my-education").status_code == 403  # no patient named
    assert assign(client, "p1", "copd-inhaler") == 303
    mine = client.get("/app/my-education?patient=p1")
    rid = re.findall(r'href="/app/my-education/([^"?]+)\?', mine.text)[0]
    reads = stored(app, "Communication")
    assert client.get(f"/app/my-education/{rid}?patient=p2").status_code == 404
    assert client.get("/app/my-education/nope?patient=p1").status_code == 404
    assert stored(app, "Communication") == reads


def test_the_summary_links_to_the_education_page(client: TestClient) -> None:
    summary = client.get("/app/patients/p1")
    assert summary.status_code == 200
    assert 'href="/app/patients/p1/education"' in summary.text
