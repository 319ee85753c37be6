"""The web application with authorization on: sign-in, the session cookie, scopes, CSRF, audit."""

from __future__ import annotations

import re

import duckdb
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.web.session import CSRF_COOKIE, SESSION_COOKIE
from tests.web.conftest import ACCOUNTS, WebData

HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def auth_client(auth_app: FastAPI) -> TestClient:
    """A client of the shared app; no lifespan (its shutdown would close the app's
    databases under the ``auth_server`` that serves the same app)."""
    return TestClient(auth_app, raise_server_exceptions=True)


@pytest.fixture
def browser_client(auth_client: TestClient) -> TestClient:
    """The client with no cookies (a fresh browser)."""
    auth_client.cookies.clear()
    return auth_client


def sign_in(c: TestClient, username: str, next_: str = "/app/") -> httpx.Response:
    c.get("/app/signin", headers=HTML)
    r: httpx.Response = c.post("/app/signin", data={
        "username": username, "password": ACCOUNTS[username][1], "next": next_,
        "csrf": c.cookies.get(CSRF_COOKIE)}, follow_redirects=False)
    return r


def test_a_browser_without_a_session_is_sent_to_sign_in(browser_client: TestClient) -> None:
    r = browser_client.get("/app/patients?q=an", headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/app/signin?next=%2Fapp%2Fpatients%3Fq%3Dan"
    api = browser_client.get("/app/patients", follow_redirects=False)
    assert api.status_code == 401 and api.json()["resourceType"] == "OperationOutcome"
    root = browser_client.get("/", follow_redirects=False)
    assert root.status_code == 303 and root.headers["location"] == "/app/signin"


def test_sign_in_sets_an_httponly_samesite_session(browser_client: TestClient) -> None:
    r = sign_in(browser_client, "bac.si", "/app/patients?q=nguyen")
    assert r.status_code == 303 and r.headers["location"] == "/app/patients?q=nguyen"
    cookie = r.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Path=/app" in cookie
    page = browser_client.get("/app/patients?q=nguyen", headers=HTML)
    assert page.status_code == 200 and "bac.si" in page.text
    assert re.search(r'href="/app/patients/[^"]+"', page.text)


def test_the_session_cookie_is_not_a_token_for_the_fhir_api(browser_client: TestClient) -> None:
    sign_in(browser_client, "bac.si")
    assert browser_client.get("/app/patients", headers=HTML).status_code == 200
    assert browser_client.get("/fhir/Patient").status_code == 401


def test_wrong_password_and_forged_forms_are_refused(browser_client: TestClient) -> None:
    browser_client.get("/app/signin", headers=HTML)
    token = browser_client.cookies.get(CSRF_COOKIE)
    r = browser_client.post("/app/signin", data={"username": "bac.si", "password": "nope",
                                                 "csrf": token})
    assert r.status_code == 401 and 'role="alert"' in r.text
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
    forged = browser_client.post("/app/signin", data={
        "username": "bac.si", "password": ACCOUNTS["bac.si"][1], "csrf": "forged"})
    assert forged.status_code == 403 and SESSION_COOKIE not in forged.headers.get("set-cookie", "")


def test_open_redirects_are_refused(browser_client: TestClient) -> None:
    r = sign_in(browser_client, "bac.si", "https://evil.example/")
    assert r.headers["location"] == "/app/"


def test_a_role_without_patient_access_cannot_read_patients(browser_client: TestClient) -> None:
    sign_in(browser_client, "quan.ly")
    r = browser_client.get("/app/patients?q=nguyen", headers=HTML)
    assert r.status_code == 403
    assert "/app/patients/" not in r.text
    assert browser_client.get("/app/worklists/cancer", headers=HTML).status_code == 403


def test_sign_out_revokes_the_session(browser_client: TestClient) -> None:
    sign_in(browser_client, "bac.si")
    token = browser_client.cookies.get(SESSION_COOKIE)
    assert browser_client.get("/app/patients", headers=HTML).status_code == 200
    r = browser_client.post("/app/signout", data={"csrf": browser_client.cookies.get(CSRF_COOKIE)},
                            follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/app/signin"
    browser_client.cookies.set(SESSION_COOKIE, str(token), path="/app")  # a stolen copy
    again = browser_client.get("/app/patients", headers=HTML, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/app/signin")


def test_page_reads_are_audited_with_the_user(browser_client: TestClient,
                                              auth_app: FastAPI) -> None:
    sign_in(browser_client, "bac.si")
    page = browser_client.get("/app/patients?q=nguyen", headers=HTML)
    pid = re.findall(r'href="/app/patients/([^"]+)"', page.text)[0]
    assert browser_client.get(f"/app/patients/{pid}", headers=HTML).status_code == 200
    auth_app.state.audit.flush()
    entries = auth_app.state.audit.trail.search(patient=pid, agent="bac.si")
    assert entries, "no audit entry for the summary page"


def test_a_department_clinician_works_only_their_departments_list(
        browser_client: TestClient, web_data: WebData) -> None:
    sign_in(browser_client, "bs.noi-tiet")
    page = browser_client.get("/app/worklists/cancer?lang=en", headers=HTML)
    assert page.status_code == 200
    shown = re.search(r"(\d+) entries", page.text)
    assert shown is not None
    with duckdb.connect(str(web_data.settings().warehouse_path), read_only=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM screening_worklist WHERE programme = 'cancer' AND patient_id "
            "IN (SELECT patient_id FROM encounters WHERE department_code = 'noi-tiet')"
        ).fetchone()
    assert row is not None and 0 < row[0] == int(shown.group(1))
    assert "hidden (no access)" not in page.text  # every listed patient passes the guard
    assert len(re.findall(r"<tr data-task=", page.text)) == min(50, int(shown.group(1)))


def test_a_role_that_may_not_update_tasks_changes_nothing(
        browser_client: TestClient, web_data: WebData) -> None:
    from tests.web.test_clinician_pages import read_task

    with duckdb.connect(str(web_data.settings().warehouse_path), read_only=True) as conn:
        row = conn.execute("SELECT id FROM screening_tasks ORDER BY id DESC LIMIT 1").fetchone()
    assert row is not None
    before = read_task(web_data, row[0])
    sign_in(browser_client, "duoc.si")
    page = browser_client.get("/app/worklists/cancer", headers=HTML)
    assert page.status_code == 200 and 'name="action"' not in page.text  # no Task access
    r = browser_client.post(f"/app/worklists/cancer/tasks/{row[0]}", data={
        "action": "done", "csrf": browser_client.cookies.get(CSRF_COOKIE)})
    assert r.status_code == 403
    assert read_task(web_data, row[0]) == before
