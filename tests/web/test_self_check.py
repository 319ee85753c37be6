"""The public self-assessment: scoring through the form, errors, no sign-in, keyboard and phone."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient

from carehub.self_assessment.questionnaires import questionnaire
from carehub.web.i18n import Translator
from carehub.web.screens.self_check import CHECKS, RISK_KEYS
from carehub.web.screens.self_check_form import INVALID, REQUIRED, form_fields
from tests.web.conftest import RunningServer, axe_check, shot
from tests.web.manager_fixtures import HTML

COPD_POSITIVE = {"q1": "some", "q2": "few_days_month", "q3": "agree", "q4": "yes", "q5": "55"}


def test_every_check_has_a_form_in_both_languages(client: TestClient) -> None:
    for qid in CHECKS:
        vi = client.get(f"/app/self-check/{qid}?lang=vi")
        en = client.get(f"/app/self-check/{qid}?lang=en")
        assert vi.status_code == en.status_code == 200
        assert '<html lang="vi">' in vi.text and '<html lang="en">' in en.text
        for f in form_fields(questionnaire(qid), "en"):
            assert f'name="{f.name}"' in en.text
            assert f.label in en.text
    assert client.get("/app/self-check/copd").status_code == 404


def test_a_positive_copd_ps_gives_the_result_and_next_step_at_once(client: TestClient) -> None:
    r = client.post("/app/self-check/copd-ps?lang=en", data=COPD_POSITIVE)
    assert r.status_code == 200
    assert 'data-code="book-spirometry"' in r.text
    assert "Your score is 6 out of 10" in r.text
    assert "/app/education/respiratory" in r.text
    vi = client.post("/app/self-check/copd-ps?lang=vi", data=COPD_POSITIVE)
    assert "Điểm của bạn là 6/10" in vi.text and "hô hấp ký" in vi.text


def test_the_web_result_agrees_with_the_score_operation(client: TestClient) -> None:
    answers = {"age": "66", "sex": "male", "systolic-bp": "150", "high-bp": "true",
               "diabetes": "false", "smoker": "true", "family-history": "false",
               "symptoms": ["swelling"]}
    page = client.post("/app/self-check/heart-kidney-check?lang=en", data=answers)
    assert page.status_code == 200
    qr = {"resourceType": "QuestionnaireResponse",
          "questionnaire": "urn:carehub:questionnaire:heart-kidney-check", "item": [
              {"linkId": "age", "answer": [{"valueInteger": 66}]},
              {"linkId": "sex", "answer": [{"valueCoding": {"code": "male"}}]},
              {"linkId": "systolic-bp", "answer": [{"valueDecimal": 150}]},
              {"linkId": "high-bp", "answer": [{"valueBoolean": True}]},
              {"linkId": "diabetes", "answer": [{"valueBoolean": False}]},
              {"linkId": "smoker", "answer": [{"valueBoolean": True}]},
              {"linkId": "family-history", "answer": [{"valueBoolean": False}]},
              {"linkId": "symptoms", "answer": [{"valueCoding": {"code": "swelling"}}]}]}
    api = client.post("/fhir/QuestionnaireResponse/$score", json=qr).json()
    params = {p["name"]: p for p in api["parameter"]}
    risk = params["risk"]["valueCode"]
    step = next(p for p in params["nextStep"]["part"] if p["name"] == "code")
    assert f'data-code="{step["valueCoding"]["code"]}"' in page.text
    assert f">{Translator('en')(RISK_KEYS[risk])}<" in page.text


def test_missing_and_invalid_answers_reshow_the_form_with_answers_kept(
        client: TestClient) -> None:
    r = client.post("/app/self-check/copd-ps?lang=en", data={**COPD_POSITIVE, "q5": "abc",
                                                             "q3": ""})
    assert r.status_code == 422
    assert r.text.count('class="field-error"') == 2
    assert 'role="alert"' in r.text and 'href="#field-q3"' in r.text
    assert 'value="some" checked' in r.text  # q1 kept
    r = client.post("/app/self-check/copd-ps?lang=en", data={**COPD_POSITIVE, "q5": "12"})
    assert r.status_code == 422 and 'aria-invalid="true"' in r.text  # below minValue 35
    assert REQUIRED != INVALID


def test_answers_to_questions_that_do_not_apply_are_ignored(client: TestClient) -> None:
    never = client.post("/app/self-check/lung-screening?lang=en",
                        data={"age": "60", "smoking-status": "never", "years-smoked": "x"})
    assert never.status_code == 200 and 'data-code="none"' in never.text
    current = client.post("/app/self-check/lung-screening?lang=en",
                          data={"age": "60", "smoking-status": "current"})
    assert current.status_code == 422 and current.text.count('class="field-error"') == 2
    eligible = client.post("/app/self-check/lung-screening?lang=en", data={
        "age": "60", "smoking-status": "former", "cigarettes-per-day": "20",
        "years-smoked": "30", "years-since-quit": "5"})
    assert 'data-code="book-lung-screening"' in eligible.text


def test_self_check_and_education_need_no_sign_in(auth_server: RunningServer) -> None:
    with httpx.Client(base_url=auth_server.url, headers=HTML, timeout=30) as c:
        for path in ("/app/self-check", "/app/self-check/copd-ps", "/app/education",
                     "/app/education/kidney"):
            r = c.get(path, follow_redirects=False)
            assert r.status_code == 200, path
        r = c.post("/app/self-check/copd-ps", data=COPD_POSITIVE, follow_redirects=False)
        assert r.status_code == 200 and "book-spirometry" in r.text
        assert c.get("/app/ops", follow_redirects=False).status_code == 303  # not public


def _tab_to(page: Any, selector: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_copd_check_by_keyboard_only(page_vi: Any) -> None:
    page = page_vi
    page.goto("/app/self-check")
    axe_check(page)
    shot(page, "self-check")
    _tab_to(page, "a[href='/app/self-check/copd-ps']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/app/self-check/copd-ps")
    axe_check(page)
    shot(page, "self-check-form")
    # q1..q4: reach the group, select the first option, arrow to the wanted one
    for name, steps in (("q1", 2), ("q2", 2), ("q3", 3), ("q4", 0)):
        _tab_to(page, f"input[name='{name}']", 40 if name == "q1" else 3)
        page.keyboard.press("Space")
        for _ in range(steps):
            page.keyboard.press("ArrowDown")
    _tab_to(page, "input[name='q5']", 3)
    page.keyboard.type("55")
    _tab_to(page, "button[type='submit']", 3)
    page.keyboard.press("Enter")
    page.wait_for_selector("#next-step")
    assert page.locator("#next-step").get_attribute("data-code") == "book-spirometry"
    assert "6/10" in page.locator("#advice").inner_text()
    axe_check(page)
    shot(page, "self-check-result")
    assert not page.errors


def test_lung_check_on_a_phone_hides_questions_that_do_not_apply(browser: Any,
                                                                 server: RunningServer) -> None:
    context = browser.new_context(base_url=server.url, viewport={"width": 375, "height": 740},
                                  is_mobile=True, has_touch=True, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto("/app/self-check/lung-screening?lang=vi")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.locator("#field-years-since-quit").is_hidden()
        page.get_by_label("Tôi đã hút nhưng đã bỏ").check()
        assert page.locator("#field-years-since-quit").is_visible()
        page.get_by_label("Tôi chưa bao giờ hút").check()
        assert page.locator("#field-cigarettes-per-day").is_hidden()
        axe_check(page)
        shot(page, "self-check-mobile")
        page.locator("#in-age").fill("45")
        page.get_by_role("button").filter(has_text="Xem kết quả").click()
        page.wait_for_selector("#next-step")
        assert page.locator("#next-step").get_attribute("data-code") == "none"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        axe_check(page)
    finally:
        context.close()
