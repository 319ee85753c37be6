"""End to end in headless chromium, authorization on: a clinician assigns an education item from
the patient's page, the patient finds it first and new, opens it, and the clinician sees it read.
axe-core runs on every screen; screenshots go to ``test-artifacts/screenshots/``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from carehub.telemed.education import item
from tests.web.conftest import ACCOUNTS, RunningServer, axe_check, shot

PATIENT_USER, PATIENT_PASSWORD = "benh.nhan.hoc", "Benh-nhan-hoc-mat-khau-1"


def _sign_in(page: Any, username: str, password: str) -> None:
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_clinician_assigns_patient_reads_clinician_sees_read(
        browser: Any, auth_server: RunningServer, auth_app: FastAPI) -> None:
    pid = auth_app.state.telemed.records.search("Patient", [("_count", "3")])[2]["id"]
    if auth_app.state.auth.accounts.user(PATIENT_USER) is None:
        auth_app.state.auth.accounts.add_user(PATIENT_USER, PATIENT_PASSWORD, "patient",
                                              fhir_user=f"Patient/{pid}", display="Bệnh nhân")
    title_vi = item("hf-daily-weight", "vi").title
    context = browser.new_context(base_url=auth_server.url, viewport={"width": 1280,
                                                                      "height": 900})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"/app/patients/{pid}")
        _sign_in(page, "bac.si", ACCOUNTS["bac.si"][1])
        page.wait_for_url(f"**/app/patients/{pid}")
        page.get_by_role("link", name="Giáo dục sức khỏe").click()
        page.wait_for_url(f"**/app/patients/{pid}/education")
        page.get_by_label("Bài học", exact=True).select_option("hf-daily-weight")
        page.get_by_label("Lý do (không bắt buộc)").fill("Suy tim NYHA II")
        page.get_by_role("button", name="Giao bài").click()
        page.wait_for_url("**assigned=hf-daily-weight")
        assert page.get_by_role("status").inner_text() == "Đã giao bài học."
        row = page.locator('#eduteam-assignments tr[data-item="hf-daily-weight"]')
        assert "Chưa đọc" in row.inner_text() and "Suy tim NYHA II" in row.inner_text()
        axe_check(page)
        shot(page, "education-team-assigned")
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url("**/app/signin")

        page.goto("/app/my-education")
        _sign_in(page, PATIENT_USER, PATIENT_PASSWORD)
        page.wait_for_url("**/app/my-education")
        card = page.locator('#myedu-assigned li[data-item="hf-daily-weight"]')
        assert "Mới" in card.inner_text()
        axe_check(page)
        shot(page, "education-patient-assigned")
        card.get_by_role("link", name=title_vi).click()
        page.wait_for_url("**/app/my-education/*")
        assert page.locator("h1").inner_text() == title_vi
        axe_check(page)
        shot(page, "education-patient-reading")
        page.get_by_role("link", name="Quay lại bài học của tôi").click()
        page.wait_for_url("**/app/my-education")
        assert "Đã đọc" in card.inner_text()
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url("**/app/signin")

        page.goto(f"/app/patients/{pid}/education?lang=en")
        _sign_in(page, "bac.si", ACCOUNTS["bac.si"][1])
        page.wait_for_url(f"**/app/patients/{pid}/education*")
        assert "Read on " in row.inner_text()
        axe_check(page)
        shot(page, "education-team-read")
        assert not errors, errors
    finally:
        context.close()
