"""The patient's own view: their results and appointments, never another patient's."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.web.screens.my_health import value_text
from tests.web.conftest import RunningServer, WebData, axe_check, shot
from tests.web.manager_fixtures import (
    PATIENT_PASSWORD,
    PatientAccount,
    patient_accounts,
    signed_in,
)


@pytest.fixture(scope="module")
def two_patients(web_data: WebData, auth_app: FastAPI) -> tuple[PatientAccount, PatientAccount]:
    return patient_accounts(web_data, auth_app)


def test_a_patient_sees_their_own_results_and_appointments(
        auth_server: RunningServer, two_patients: tuple[PatientAccount, PatientAccount]) -> None:
    me, other = two_patients
    c = signed_in(auth_server.url, me.username, PATIENT_PASSWORD)
    try:
        assert c.get("/app/").headers["location"] == "/app/my-health"
        r = c.get("/app/my-health?lang=en")
        assert r.status_code == 200
        assert me.family in r.text and me.appointment in r.text
        assert 'id="results"' in r.text or "You have no results yet." in r.text
        assert other.appointment not in r.text and other.family not in r.text
        # the page takes no patient from the request ...
        forged = c.get(f"/app/my-health?lang=en&patient={other.patient_id}")
        assert other.appointment not in forged.text and me.appointment in forged.text
        # ... and the clinician screens do not open another record
        theirs = c.get(f"/app/patients/{other.patient_id}?lang=en")
        assert theirs.status_code in (403, 404) and other.family not in theirs.text
        for programme in ("kidney", "cardiovascular"):
            listed = c.get(f"/app/worklists/{programme}")
            ids = set(re.findall(r'href="/app/patients/([^"?#]+)"', listed.text))
            assert ids <= {me.patient_id}, (programme, ids)
        assert c.get("/app/ops").status_code == 403
    finally:
        c.close()


def test_staff_and_anonymous_users_get_no_patient_view(client: TestClient) -> None:
    r = client.get("/app/my-health?lang=en")
    assert r.status_code == 403 and "patient account" in r.text


def test_value_text_of_a_coded_result() -> None:
    assert value_text({"valueCodeableConcept": {"text": "Positive"}}) == "Positive"
    assert value_text({}) == ""


def test_my_health_in_the_browser(browser: Any, auth_server: RunningServer,
                                  two_patients: tuple[PatientAccount, PatientAccount]) -> None:
    me, other = two_patients
    context = browser.new_context(base_url=auth_server.url, viewport={"width": 390,
                                                                      "height": 844})
    page = context.new_page()
    try:
        page.goto("/app/my-health")
        assert "/app/signin" in page.url
        page.get_by_label("Tên đăng nhập").fill(me.username)
        page.get_by_label("Mật khẩu").fill(PATIENT_PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url("**/app/my-health")
        assert page.locator("h1").inner_text() == "Sức khỏe của tôi"
        assert me.appointment in page.locator("#appointments").inner_text()
        assert other.appointment not in page.content()
        if page.locator("div.chart").count():
            page.wait_for_selector("div.chart[data-rendered='true']")
        axe_check(page)
        shot(page, "my-health")
    finally:
        context.close()
