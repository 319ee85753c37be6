"""End to end in headless chromium, authorization on: a clinician publishes availability; a
patient books a teleconsultation, sees its Join link, joins an open room and cancels; a patient
sends a message that the clinician sees unread, opens and marks read, and the patient sees it
read. axe-core runs on every screen; screenshots go to ``test-artifacts/screenshots/``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from carehub.telemed import scheduling as sch
from carehub.telemed.actor import Actor
from carehub.telemed.records import utc_now
from tests.web.conftest import RunningServer, axe_check, shot
from tests.web.consult_helpers import new_practitioner, publish, records, some_patients, tomorrow_at

PASSWORD = "Tu-van-mat-khau-1"


@dataclass(frozen=True)
class People:
    patient: str
    doctor: str
    patient_user: str = "benh.nhan.tu.van"
    doctor_user: str = "bs.tu.van"


@pytest.fixture(scope="module")
def people(auth_app: FastAPI) -> People:
    [patient] = some_patients(auth_app, 1, skip=60)
    found = People(patient, new_practitioner(auth_app, "Lý"))
    accounts = auth_app.state.auth.accounts
    accounts.add_user(found.patient_user, PASSWORD, "patient", fhir_user=found.patient,
                      display="Bệnh nhân tư vấn")
    accounts.add_user(found.doctor_user, PASSWORD, "clinician", fhir_user=found.doctor,
                      display="Bác sĩ tư vấn")
    return found


def _sign_in(page: Any, username: str) -> None:
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def _context(browser: Any, server: RunningServer) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def test_publish_book_join_and_cancel(browser: Any, auth_server: RunningServer,
                                      auth_app: FastAPI, people: People) -> None:
    context, page, errors = _context(browser, auth_server)
    try:
        page.goto("/app/schedule")
        _sign_in(page, people.doctor_user)
        page.wait_for_url("**/app/schedule")
        assert page.locator("h1").inner_text() == "Lịch tư vấn"
        form = page.locator("#publish-form")
        form.get_by_label("Ngày").fill(tomorrow_at(8).date().isoformat())
        form.get_by_label("Từ").fill("08:00")
        form.get_by_label("Đến").fill("09:00")
        form.get_by_label("Số phút mỗi khung giờ").fill("30")
        form.get_by_role("button", name="Mở lịch").click()
        page.wait_for_url("**/app/schedule?published=2")
        assert "Đã mở 2 khung giờ" in page.get_by_role("status").inner_text()
        assert "08:00–08:30, 08:30–09:00" in page.locator("#open-slots").inner_text()
        axe_check(page)
        shot(page, "consult-schedule")
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url("**/app/signin")

        page.goto("/app/consultations")
        _sign_in(page, people.patient_user)
        page.wait_for_url("**/app/consultations")
        assert page.locator("h1").inner_text() == "Tư vấn từ xa"
        page.get_by_label("Bác sĩ").select_option(people.doctor)
        page.get_by_role("button", name="Xem giờ trống").click()
        page.wait_for_url("**clinician=*")
        page.get_by_role("radio", name="08:30–09:00").check()
        page.get_by_label("Lý do tư vấn (không bắt buộc)").fill("Khó thở khi gắng sức")
        axe_check(page)
        page.get_by_role("button", name="Đặt lịch", exact=True).click()
        page.wait_for_url("**done=booked")
        assert "Đã đặt lịch tư vấn." in page.get_by_role("status").inner_text()
        card = page.locator("#my-consultations article", has_text="Khó thở khi gắng sức")
        join = card.get_by_role("link", name="Vào phòng tư vấn")
        assert join.is_visible() and "Phòng mở lúc 08:00" in card.inner_text()
        assert "Không ghi hình" in card.inner_text()
        axe_check(page)
        shot(page, "consultations-patient")
        join.click()  # tomorrow: the room is not open yet
        page.wait_for_url("**error=not_open")
        assert "Phòng tư vấn chưa mở" in page.get_by_role("alert").inner_text()

        # a consultation starting soon: Join opens the room with a token for this patient
        [slot] = publish(auth_app, people.doctor, utc_now().replace(microsecond=0)
                         + timedelta(minutes=10), 1)
        soon = sch.book(records(auth_app), Actor(people.patient), slot["id"], people.patient,
                        reason="Tư vấn ngay")
        page.goto("/app/consultations")
        page.locator(f"#appt-{soon['id']}").get_by_role("link", name="Vào phòng tư vấn").click()
        page.wait_for_url(f"**/telemed/room/{soon['id']}?lang=vi#*")
        assert page.locator("body").get_attribute("data-room") == soon["id"]
        page.goto("/app/consultations")

        card = page.locator("#my-consultations article", has_text="Khó thở khi gắng sức")
        card.get_by_role("button", name="Hủy lịch hẹn").click()
        page.wait_for_url("**done=cancelled")
        assert "Đã hủy lịch tư vấn." in page.get_by_role("status").inner_text()
        assert page.locator("#my-consultations article",
                            has_text="Khó thở khi gắng sức").count() == 0
        axe_check(page)
        assert not [e for e in errors if "/telemed/" not in e], errors
    finally:
        context.close()


def test_a_message_is_read_by_the_care_team(browser: Any, auth_server: RunningServer,
                                            auth_app: FastAPI, people: People,
                                            tmp_path: Any) -> None:
    pid = people.patient.removeprefix("Patient/")
    scan = tmp_path / "ket-qua.pdf"
    scan.write_bytes(b"%PDF-1.4 ket qua")
    context, page, errors = _context(browser, auth_server)
    try:
        page.goto("/app/messages")
        _sign_in(page, people.patient_user)
        page.wait_for_url("**/app/messages")
        page.get_by_label("Nội dung").fill("Con ho nhiều về đêm, có cần tái khám không?")
        page.get_by_label("Tệp đính kèm (không bắt buộc)").set_input_files(str(scan))
        page.get_by_role("button", name="Gửi").click()
        page.wait_for_url("**/app/messages?sent=1")
        mine = page.locator("#thread li", has_text="Con ho nhiều về đêm")
        assert "Chưa được đọc" in mine.inner_text() and "ket-qua.pdf" in mine.inner_text()
        axe_check(page)
        shot(page, "messages-patient")
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url("**/app/signin")

        page.goto(f"/app/patients/{pid}")
        _sign_in(page, people.doctor_user)
        page.wait_for_url(f"**/app/patients/{pid}")
        page.get_by_role("link", name="Tin nhắn", exact=True).click()
        page.wait_for_url(f"**/app/patients/{pid}/messages")
        theirs = page.locator("#thread li", has_text="Con ho nhiều về đêm")
        assert "Chưa đọc" in theirs.inner_text()
        axe_check(page)
        shot(page, "messages-clinician")
        theirs.get_by_role("button", name="Đánh dấu đã đọc").click()
        page.wait_for_url(f"**/app/patients/{pid}/messages*")
        theirs = page.locator("#thread li", has_text="Con ho nhiều về đêm")
        assert "Chưa đọc" not in theirs.inner_text()
        page.get_by_label("Nội dung").fill("Mời bác tái khám sáng thứ Hai.")
        page.get_by_role("button", name="Gửi").click()
        page.wait_for_url("**sent=1")
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url("**/app/signin")

        page.goto("/app/messages")
        _sign_in(page, people.patient_user)
        page.wait_for_url("**/app/messages")
        mine = page.locator("#thread li", has_text="Con ho nhiều về đêm")
        assert "Đã đọc lúc" in mine.inner_text()
        answer = page.locator("#thread li", has_text="Mời bác tái khám")
        assert "Mới" in answer.inner_text() and "nhóm chăm sóc" in answer.inner_text()
        axe_check(page)
        assert not errors, errors
    finally:
        context.close()
