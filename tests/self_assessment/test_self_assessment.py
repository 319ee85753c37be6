"""Self-assessment: the Questionnaires, the golden scoring cases and the ``$score`` API.

Cases are data: ``tests/fixtures/self_assessment/scoring.json`` (answers in,
result out) and ``responses.json`` (invalid answers in, OperationOutcome out).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.self_assessment.questionnaires import (
    LANGUAGES,
    questionnaire,
    questionnaires,
    text_in,
)
from carehub.self_assessment.responses import _walk
from carehub.self_assessment.router import self_assessment_router

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "self_assessment"
NOW = datetime.datetime(2025, 3, 1, 8, 0, tzinfo=datetime.UTC)


def _cases(name: str) -> list[Any]:
    return [pytest.param(c, id=c["title"])
            for c in orjson.loads((FIXTURES / name).read_bytes())]


def _answer(item: dict[str, Any], value: Any) -> list[dict[str, Any]]:
    values = value if isinstance(value, list) else [value]
    kind = item["type"] if item else "decimal"
    out = []
    for v in values:
        if kind == "choice":
            out.append({"valueCoding": {"code": v}})
        elif kind == "boolean":
            out.append({"valueBoolean": v})
        elif kind == "integer":
            out.append({"valueInteger": v})
        else:
            out.append({"valueDecimal": v})
    return out


def response_of(case: dict[str, Any]) -> dict[str, Any]:
    """A QuestionnaireResponse from a case's compact answers (plus raw items)."""
    q = questionnaire(case["questionnaire"])
    items = {i["linkId"]: i for i in _walk(q["item"])}
    entries = [{"linkId": k, "answer": _answer(items.get(k, {}), v)}
               for k, v in case["answers"].items()]
    return {"resourceType": "QuestionnaireResponse", "id": "r1", "status": "completed",
            "questionnaire": q["url"], "subject": {"reference": "Patient/p1"},
            "item": entries + case.get("raw_items", [])}


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(self_assessment_router("https://carehub.example/booking", now=lambda: NOW))
    with TestClient(app) as c:
        yield c


def test_every_item_and_option_is_in_both_languages() -> None:
    assert set(questionnaires()) == {"copd-ps", "lung-screening", "heart-kidney-check"}
    for q in questionnaires().values():
        assert q["language"] == "vi"
        for lang in LANGUAGES:
            assert text_in(q, "title", lang)
        for item in _walk(q["item"]):
            vi, en = text_in(item, "text", "vi"), text_in(item, "text", "en")
            assert vi and en and vi != en, item["linkId"]
            for option in item.get("answerOption", []):
                coding = option["valueCoding"]
                assert text_in(coding, "display", "en") != coding["display"], coding["code"]


def test_copd_ps_link_ids_are_the_ones_screening_reads() -> None:
    from carehub.screening.codes import COPD_PS_LINK_IDS

    assert [i["linkId"] for i in questionnaire("copd-ps")["item"]] == list(COPD_PS_LINK_IDS)


@pytest.mark.parametrize("case", _cases("scoring.json"))
def test_scoring_golden_cases(client: TestClient, case: dict[str, Any]) -> None:
    url = f"/fhir/Questionnaire/{case['questionnaire']}/$score"
    response = client.post(url, json=response_of(case))
    assert response.status_code == 200, response.text
    params = {p["name"]: p for p in response.json()["parameter"]}
    expected = dict(case["expected"])
    assert params["risk"]["valueCode"] == expected.pop("risk")
    step = {p["name"]: p for p in params["nextStep"]["part"]}
    assert step["code"]["valueCoding"]["code"] == expected.pop("nextStep")
    for name, value in expected.items():
        got = params[name]
        assert next(v for k, v in got.items() if k.startswith("value")) == value, name
    risk = params["riskAssessment"]["resource"]
    assert risk["resourceType"] == "RiskAssessment" and risk["subject"] == {
        "reference": "Patient/p1"}
    assert risk["basis"] == [{"reference": "QuestionnaireResponse/r1"}]
    advice = {p["name"]: p["valueString"] for p in params["advice"]["part"]}
    assert advice["vi"] and advice["en"] and advice["vi"] != advice["en"]
    assert text_in(risk["note"][0], "text", "en") == advice["en"]


@pytest.mark.parametrize("case", _cases("responses.json"))
def test_invalid_responses_name_the_item(client: TestClient, case: dict[str, Any]) -> None:
    url = f"/fhir/Questionnaire/{case['questionnaire']}/$score"
    response = client.post(url, json=response_of(case))
    assert response.status_code == case["expected"]["status"], response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    issues = outcome["issue"]
    links = [i["expression"][0].split("'")[1] for i in issues]
    assert sorted(links) == sorted(case["expected"]["linkIds"])
    assert sorted(i["code"] for i in issues) == sorted(case["expected"]["codes"])
    for issue, link in zip(issues, links, strict=True):
        assert f"'{link}'" in issue["diagnostics"]


def test_score_by_response_and_by_parameters(client: TestClient) -> None:
    case = {"questionnaire": "copd-ps",
            "answers": {"q1": "most", "q2": "every_day", "q3": "agree", "q4": "yes", "q5": 72}}
    body = response_of(case)
    by_response = client.post("/fhir/QuestionnaireResponse/$score", json=body)
    wrapped = {"resourceType": "Parameters", "parameter": [{"name": "response", "resource": body}]}
    by_parameters = client.post("/fhir/Questionnaire/copd-ps/$score", json=wrapped)
    assert by_response.status_code == by_parameters.status_code == 200
    assert by_response.json() == by_parameters.json()
    step = {p["name"]: p for p in by_response.json()["parameter"]}["nextStep"]["part"]
    assert {"name": "url", "valueUrl": "https://carehub.example/booking"} in step


def test_bad_bodies(client: TestClient) -> None:
    assert client.post("/fhir/Questionnaire/nope/$score", json={}).status_code == 404
    bad_json = client.post("/fhir/Questionnaire/copd-ps/$score", content=b"{",
                           headers={"Content-Type": "application/fhir+json"})
    assert bad_json.status_code == 400
    assert "malformed JSON" in bad_json.json()["issue"][0]["diagnostics"]
    wrong = client.post("/fhir/Questionnaire/copd-ps/$score",
                        json={"resourceType": "QuestionnaireResponse", "status": "completed",
                              "questionnaire": "Questionnaire/lung-screening", "item": []})
    assert wrong.status_code == 400


def test_questionnaires_are_served(client: TestClient) -> None:
    bundle = client.get("/self-assessment/Questionnaire").json()
    assert bundle["total"] == 3
    assert client.get("/self-assessment/Questionnaire/copd-ps").json()["id"] == "copd-ps"
    assert client.get("/self-assessment/Questionnaire/copd").status_code == 404
