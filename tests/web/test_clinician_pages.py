"""The clinician screens over a generated hospital, in-process (authorization off)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import duckdb
import orjson
import pytest
from fastapi.testclient import TestClient

from carehub.fhir_model.values import normalize_text
from carehub.storage.sqlite import SqliteStore
from carehub.web.session import CSRF_COOKIE
from tests.web.conftest import WebData

PATIENT_LINK = re.compile(r'href="/app/patients/([A-Za-z0-9.-]+)"')


def patients(web_data: WebData) -> list[dict[str, Any]]:
    store = SqliteStore(web_data.settings().sqlite_path)
    try:
        with store.session() as s:
            rows = s.scan("Patient", limit=1000)
        return [orjson.loads(body) for _, body in rows]
    finally:
        store.close()


def read_task(web_data: WebData, task_id: str) -> dict[str, Any]:
    store = SqliteStore(web_data.settings().sqlite_path)
    try:
        with store.session() as s:
            got = s.read("Task", task_id)
        assert got is not None and got.body is not None
        body: dict[str, Any] = orjson.loads(got.body)
        return body
    finally:
        store.close()


def accented(web_data: WebData) -> dict[str, Any]:
    """A patient whose family name carries diacritics."""
    for p in patients(web_data):
        family = p["name"][0]["family"]
        if normalize_text(family) != family.lower():
            return p
    raise AssertionError("no accented name in the generated population")


def test_search_ignores_diacritics(client: TestClient, web_data: WebData) -> None:
    person = accented(web_data)
    name = person["name"][0]
    typed = f"{name['family']} {name['given'][-1]}"
    plain = normalize_text(typed)
    with_marks = set(PATIENT_LINK.findall(client.get("/app/patients", params={"q": typed}).text))
    without = set(PATIENT_LINK.findall(client.get("/app/patients", params={"q": plain}).text))
    assert person["id"] in with_marks
    assert with_marks == without
    upper = set(PATIENT_LINK.findall(client.get("/app/patients",
                                                params={"q": plain.upper()}).text))
    assert upper == without


@pytest.mark.parametrize("system", ["https://carehub.vn/id/cccd", "https://carehub.vn/id/bhyt"])
def test_search_by_identifier(client: TestClient, web_data: WebData, system: str) -> None:
    person = patients(web_data)[5]
    value = next(i["value"] for i in person["identifier"] if i["system"] == system)
    found = PATIENT_LINK.findall(client.get("/app/patients", params={"q": value}).text)
    assert found == [person["id"]]


def test_search_by_birth_date_in_both_forms(client: TestClient, web_data: WebData) -> None:
    person = patients(web_data)[7]
    y, m, d = person["birthDate"].split("-")
    iso = set(PATIENT_LINK.findall(client.get("/app/patients", params={"q": f"{y}-{m}-{d}"}).text))
    dmy = set(PATIENT_LINK.findall(client.get("/app/patients", params={"q": f"{d}/{m}/{y}"}).text))
    assert person["id"] in iso and iso == dmy
    same_day = {p["id"] for p in patients(web_data) if p.get("birthDate") == person["birthDate"]}
    assert iso == same_day


def test_blank_search_shows_the_form_only(client: TestClient) -> None:
    r = client.get("/app/patients")
    assert r.status_code == 200 and 'role="search"' in r.text
    assert not PATIENT_LINK.findall(r.text)


def test_pages_are_vietnamese_by_default_and_switch_to_english(client: TestClient) -> None:
    client.cookies.clear()
    vi = client.get("/app/patients")
    assert '<html lang="vi">' in vi.text and "Tìm bệnh nhân" in vi.text
    en = client.get("/app/patients?lang=en")
    assert '<html lang="en">' in en.text and "Find a patient" in en.text
    assert "carehub_lang=en" in en.headers["set-cookie"]
    assert '<html lang="en">' in client.get("/app/patients").text  # the cookie stays
    client.cookies.clear()


def test_pages_carry_a_strict_content_security_policy(client: TestClient) -> None:
    r = client.get("/app/patients")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert "<script>" not in r.text  # no inline script anywhere


def kidney_patient(web_data: WebData) -> str:
    with duckdb.connect(str(web_data.settings().warehouse_path), read_only=True) as conn:
        row = conn.execute(
            "SELECT patient_id FROM labs WHERE loinc_code = '98979-8' GROUP BY 1 "
            "HAVING count(*) >= 2 ORDER BY 1 LIMIT 1").fetchone()
    assert row is not None
    return str(row[0]).removeprefix("Patient/")


def test_patient_summary_shows_the_record_charts_screening_and_cards(
        client: TestClient, web_data: WebData) -> None:
    pid = kidney_patient(web_data)
    r = client.get(f"/app/patients/{pid}?lang=en")
    assert r.status_code == 200
    html = r.text
    for heading in ("Patient details", "Decision support", "Screening status on",
                    "Lab trends", "Problems", "Medications", "Allergies", "Recent encounters"):
        assert heading in html, heading
    charts = re.findall(r'<script type="application/json" id="(chart-[a-z0-9]+)">(.*?)</script>',
                        html, re.S)
    ids = [c for c, _ in charts]
    assert "chart-egfr" in ids
    egfr = orjson.loads(next(body for c, body in charts if c == "chart-egfr"))
    assert len(egfr["data"][0]["y"]) >= 2 and all(isinstance(v, float)
                                                  for v in egfr["data"][0]["y"])
    assert "Why: data and rule" in html and "<code>kidney." in html
    assert re.search(r"app;dur=\d+(\.\d+)?", r.headers["server-timing"])
    assert '<script src="/app/static/plotly.min.js"' in html


def test_unknown_patient_is_a_404_page(client: TestClient) -> None:
    r = client.get("/app/patients/no-such-patient")
    assert r.status_code == 404 and 'role="alert"' in r.text


def test_plotly_is_served_from_the_package(client: TestClient) -> None:
    r = client.get("/app/static/plotly.min.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert b"plotly" in r.content[:2000].lower() and len(r.content) > 1_000_000
    assert client.get("/app/static/../settings.py").status_code == 404
    assert client.get("/app/static/nothing.js").status_code == 404


def worklist_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-task="([^"]+)">', html)


def warehouse_rows(web_data: WebData, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(web_data.settings().warehouse_path), read_only=True) as conn:
        return conn.execute(sql, params).fetchall()


def test_worklist_filters_sort_and_pages(client: TestClient, web_data: WebData) -> None:
    expected = warehouse_rows(
        web_data, "SELECT count(*) FROM screening_worklist WHERE programme = 'cancer' "
        "AND status = 'due' AND age >= 50", [])[0][0]
    assert expected > 60  # more than one page
    r = client.get("/app/worklists/cancer?status=due&age_min=50&sort=age&order=desc&lang=en")
    assert r.status_code == 200
    assert f"{expected} entries · page 1 of {-(-expected // 50)}" in r.text
    ages = [int(a) for a in re.findall(r'<tr data-task="[^"]+">\s*<td><a [^>]+>[^<]+</a></td>\s*'
                                       r"<td>(\d+)</td>", r.text)]
    assert len(ages) == 50 and ages == sorted(ages, reverse=True) and min(ages) >= 50
    second = client.get("/app/worklists/cancer?status=due&age_min=50&sort=age&order=desc&page=2")
    assert set(worklist_rows(second.text)).isdisjoint(worklist_rows(r.text))


def test_worklist_department_filter(client: TestClient, web_data: WebData) -> None:
    html = client.get("/app/worklists/cancer").text
    codes = re.findall(r'<option value="([a-z-]+)"', html)
    assert len(codes) > 3
    code = codes[0]
    expected = warehouse_rows(
        web_data, "SELECT count(*) FROM screening_worklist w WHERE programme = 'cancer' AND "
        "(SELECT arg_max(department_code, period_start) FROM encounters e "
        "WHERE e.patient_id = w.patient_id) = ?", [code])[0][0]
    r = client.get(f"/app/worklists/cancer?department={code}&lang=en")
    assert f"{expected} entries" in r.text
    assert f'<option value="{code}" selected>' in r.text


def test_bad_filters_are_a_400_page(client: TestClient) -> None:
    assert client.get("/app/worklists/cancer?age_min=forty").status_code == 400
    assert client.get("/app/worklists/cancer?status=lost").status_code == 400
    assert client.get("/app/worklists/cancer?sort=name;drop").status_code == 400
    assert client.get("/app/worklists/astrology").status_code == 404


def csrf(client: TestClient) -> str:
    client.get("/app/worklists")
    token = client.cookies.get(CSRF_COOKIE)
    assert token
    return str(token)


def test_worklist_action_updates_the_fhir_task(client: TestClient, web_data: WebData) -> None:
    html = client.get("/app/worklists/cancer?sort=patient").text
    task_id = worklist_rows(html)[0]
    assert read_task(web_data, task_id)["status"] == "requested"
    r = client.post(f"/app/worklists/cancer/tasks/{task_id}",
                    data={"action": "booked", "csrf": csrf(client),
                          "back": "/app/worklists/cancer?sort=patient"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/app/worklists/cancer?")
    task = read_task(web_data, task_id)
    assert task["status"] == "accepted"
    assert task["businessStatus"]["coding"][0]["code"] == "booked"
    assert task["meta"]["versionId"] == "2" and task["note"][-1]["text"] == "booked"
    page = client.get(r.headers["location"] + "&lang=en").text
    assert "The task was updated." in page and "Accepted (Booked)" in page


def test_bad_actions_change_nothing(client: TestClient, web_data: WebData) -> None:
    html = client.get("/app/worklists/cancer?sort=patient&order=desc").text
    task_id = worklist_rows(html)[0]
    before = read_task(web_data, task_id)
    token = csrf(client)
    url = f"/app/worklists/cancer/tasks/{task_id}"
    assert client.post(url, data={"action": "booked"}).status_code == 403  # no CSRF token
    assert client.post(url, data={"action": "booked", "csrf": "forged"}).status_code == 403
    assert client.post(url, data={"action": "lost", "csrf": token}).status_code == 400
    assert client.post("/app/worklists/cancer/tasks/scr-task-none",
                       data={"action": "done", "csrf": token}).status_code == 404
    assert read_task(web_data, task_id) == before


def test_csv_export_holds_every_filtered_row(client: TestClient, web_data: WebData) -> None:
    r = client.get("/app/worklists/cancer/export.csv?status=due&age_min=60")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    expected = warehouse_rows(
        web_data, "SELECT patient_id, rule FROM screening_worklist WHERE programme = 'cancer' "
        "AND status = 'due' AND age >= 60", [])
    assert sorted((row["patient_id"], row["rule"]) for row in rows) == sorted(expected)
    assert all(row["name"] and int(row["age"]) >= 60 for row in rows)
