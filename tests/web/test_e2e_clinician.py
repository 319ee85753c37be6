"""End to end in headless chromium: the clinician flows, with accessibility checks and screenshots.

Each test drives a real server (``server``: authorization off; ``auth_server``:
on) through Playwright, runs axe-core on every screen it visits and saves a
screenshot of each main screen under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import duckdb

from tests.web.conftest import ACCOUNTS, RunningServer, WebData, axe_check, shot


def test_sign_in_with_a_demo_account_search_and_sign_out(browser: Any,
                                                         auth_server: RunningServer) -> None:
    context = browser.new_context(base_url=auth_server.url)
    page = context.new_page()
    try:
        page.goto("/app/patients")
        assert "/app/signin" in page.url
        assert page.locator("html").get_attribute("lang") == "vi"
        axe_check(page)
        shot(page, "signin")
        page.get_by_label("Tên đăng nhập").fill("bac.si")
        page.get_by_label("Mật khẩu").fill("wrong password")
        page.get_by_role("button", name="Đăng nhập").click()
        assert page.get_by_role("alert").is_visible()
        page.get_by_label("Mật khẩu").fill(ACCOUNTS["bac.si"][1])
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url("**/app/patients")
        page.get_by_label("Họ tên, số CCCD, số thẻ BHYT hoặc ngày sinh").fill("nguyen")
        page.keyboard.press("Enter")
        page.wait_for_url("**/app/patients?q=nguyen")
        assert page.locator("tbody tr").count() > 0
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["carehub_session"]["httpOnly"] and cookies["carehub_session"][
            "sameSite"] == "Lax"
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url("**/app/signin")
        page.goto("/app/patients")
        assert "/app/signin" in page.url
    finally:
        context.close()


def result_ids(page: Any) -> list[str]:
    hrefs = page.locator("tbody a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    return sorted(str(h) for h in hrefs)


def test_search_with_and_without_diacritics(page_vi: Any) -> None:
    page = page_vi
    page.goto("/app/patients")
    box = page.get_by_role("searchbox")
    box.fill("Nguyễn")
    box.press("Enter")
    page.wait_for_url(re.compile(r".*q=Nguy.*"))
    with_marks = result_ids(page)
    assert with_marks
    axe_check(page)
    shot(page, "patient-search")
    page.get_by_role("searchbox").fill("nguyen")
    page.get_by_role("searchbox").press("Enter")
    page.wait_for_url("**q=nguyen")
    assert result_ids(page) == with_marks


def test_language_switch_keeps_the_page(page_vi: Any) -> None:
    page = page_vi
    page.goto("/app/patients?q=tran")
    assert page.locator("h1").inner_text() == "Tìm bệnh nhân"
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**lang=en")
    assert page.locator("h1").inner_text() == "Find a patient"
    assert page.locator("html").get_attribute("lang") == "en"
    assert "q=tran" in page.url
    page.goto("/app/worklists")  # the choice is remembered
    assert page.locator("h1").inner_text() == "Screening worklists"


def charted_patient(web_data: WebData) -> str:
    with duckdb.connect(str(web_data.settings().warehouse_path), read_only=True) as conn:
        row = conn.execute(
            "SELECT patient_id FROM labs WHERE loinc_code IN ('98979-8', '4548-4') GROUP BY 1 "
            "ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()
    assert row is not None
    return str(row[0]).removeprefix("Patient/")


def test_patient_summary_draws_its_charts(page_en: Any, web_data: WebData) -> None:
    page = page_en
    pid = charted_patient(web_data)
    page.goto(f"/app/patients/{pid}")
    page.wait_for_selector("div.chart[data-rendered='true']", timeout=20_000)
    drawn = page.locator("div.chart[data-rendered='true'] svg.main-svg")
    assert drawn.count() >= 2
    assert page.locator("div.chart").count() == page.locator(
        "div.chart[data-rendered='true']").count()
    assert page.get_by_role("heading", name="Decision support").is_visible()
    page.locator("details summary", has_text="Why: data and rule").first.click()
    assert page.locator("details[open] code").first.is_visible()
    axe_check(page)
    shot(page, "patient-summary")
    assert not [e for e in page.errors if "Content Security Policy" in e or "Refused" in e]


def test_keyboard_reaches_the_main_content(page_en: Any) -> None:
    page = page_en
    page.goto("/app/patients")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_worklist_filter_sort_page_act_and_export(page_en: Any) -> None:
    page = page_en
    page.goto("/app/worklists")
    axe_check(page)
    shot(page, "worklists")
    page.get_by_role("link", name="Cancer screening").click()
    page.wait_for_url("**/app/worklists/cancer")
    page.get_by_label("Due", exact=True).check()
    page.get_by_label("Age from").fill("45")
    page.get_by_label("Sort by").select_option("age")
    page.get_by_label("Order").select_option("desc")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r".*age_min=45.*sort=age.*"))
    count = page.locator("#worklist-count").inner_text()
    found = re.search(r"(\d+) entries", count)
    assert found is not None
    total = int(found.group(1))
    ages = [int(a) for a in page.locator("#worklist tbody tr td:nth-child(2)").all_inner_texts()]
    assert ages == sorted(ages, reverse=True) and min(ages) >= 45
    axe_check(page)
    shot(page, "worklist")
    if total > 50:
        first = page.locator("#worklist tbody tr").first.get_attribute("data-task")
        page.get_by_role("link", name="Next page").click()
        page.wait_for_url("**page=2**")
        assert page.locator("#worklist tbody tr").first.get_attribute("data-task") != first
    row = page.locator("#worklist tbody tr").first
    task = row.get_attribute("data-task")
    row.get_by_role("button", name=re.compile("^Contacted")).click()
    page.wait_for_url("**updated=**")
    updated = page.locator(f'#worklist tr[data-task="{task}"] td.task-status')
    assert updated.inner_text() == "In progress (Contacted)"
    assert page.get_by_role("status").first.is_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    path = info.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == total
    assert all(r["status"] == "due" and int(r["age"]) >= 45 for r in rows)
    assert any(r["task_status"] == "in-progress" for r in rows)
