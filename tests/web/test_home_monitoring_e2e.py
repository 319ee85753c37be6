"""End to end in headless chromium, authorization on: a patient records a home reading and sees
the chart; a bad reading is refused with a message; the clinician sees and works the alert.
axe-core runs on every screen; screenshots go to ``test-artifacts/screenshots/``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tests.web.conftest import ACCOUNTS, RunningServer, axe_check, shot

PATIENT_USER, PATIENT_PASSWORD = "benh.nhan.theo.doi", "Benh-nhan-mat-khau-1"


def _count(app: FastAPI, pid: str) -> int:
    return len(app.state.telemed.records.search("Observation", [
        ("patient", f"Patient/{pid}"),
        ("category", "https://carehub.vn/fhir/CodeSystem/home-monitoring|home-monitoring")]))


def _sign_in(page: Any, username: str, password: str) -> None:
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_patient_reading_chart_and_clinician_alert(browser: Any, auth_server: RunningServer,
                                                   auth_app: FastAPI) -> None:
    pid = auth_app.state.telemed.records.search("Patient", [("_count", "1")])[0]["id"]
    if auth_app.state.auth.accounts.user(PATIENT_USER) is None:
        auth_app.state.auth.accounts.add_user(PATIENT_USER, PATIENT_PASSWORD, "patient",
                                              fhir_user=f"Patient/{pid}", display="Bệnh nhân")
    before = _count(auth_app, pid)
    context = browser.new_context(base_url=auth_server.url, viewport={"width": 1280,
                                                                      "height": 900})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/app/monitoring")
        _sign_in(page, PATIENT_USER, PATIENT_PASSWORD)
        page.wait_for_url("**/app/monitoring")
        assert page.locator("h1").inner_text() == "Theo dõi sức khỏe tại nhà"
        bp = page.locator("#form-bp")
        bp.get_by_label("Tâm thu").fill("186")
        bp.get_by_label("Tâm trương").fill("104")
        bp.get_by_role("button", name="Lưu").click()
        page.wait_for_url("**/app/monitoring?saved=bp*")
        assert "nhóm chăm sóc đã được báo" in page.get_by_role("status").inner_text()
        page.locator('div.chart[data-chart-id="monitoring-chart-bp"][data-rendered="true"]'
                     ).wait_for(timeout=15000)
        assert "186 mmHg / 104 mmHg" in page.locator("#monitoring-readings").inner_text()
        axe_check(page)
        shot(page, "home-monitoring-patient")
        assert _count(auth_app, pid) == before + 1

        spo2 = page.locator("#form-spo2")
        spo2.get_by_label("SpO2 (độ bão hòa oxy)").fill("140")
        spo2.get_by_role("button", name="Lưu").click()
        alert = page.get_by_role("alert")
        assert "140 % là giá trị không thể có" in alert.inner_text()
        axe_check(page)
        assert _count(auth_app, pid) == before + 1
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url("**/app/signin")

        page.goto("/app/monitoring/alerts?lang=en")
        _sign_in(page, "bac.si", ACCOUNTS["bac.si"][1])
        page.wait_for_url("**/app/monitoring/alerts*")
        row = page.locator("#monitoring-alerts tbody tr", has=page.locator(
            f'a[href="/app/monitoring/patients/{pid}"]'))
        assert row.count() == 1
        assert "Blood pressure" in row.inner_text() and "186 mmHg / 104 mmHg" in row.inner_text()
        axe_check(page)
        shot(page, "home-monitoring-alerts")
        row.get_by_role("button", name="Acknowledge").click()
        page.wait_for_url("**updated=*")
        assert "In progress" in row.inner_text()
        row.get_by_role("link").click()
        page.wait_for_url(f"**/app/monitoring/patients/{pid}")
        page.locator('div.chart[data-chart-id="monitoring-chart-bp"][data-rendered="true"]'
                     ).wait_for(timeout=15000)
        axe_check(page)
        shot(page, "home-monitoring-clinician-patient")
        assert not errors, errors
    finally:
        context.close()
