"""The self-assessment HTTP API: the Questionnaires and the ``$score`` operation.

https://hl7.org/fhir/R4/questionnaire.html · https://hl7.org/fhir/R4/operations.html

* ``GET  /self-assessment/Questionnaire``: a Bundle of the packaged Questionnaires;
* ``GET  /self-assessment/Questionnaire/{id}``: one of them;
* ``POST /fhir/Questionnaire/{id}/$score``: score a QuestionnaireResponse (the
  body, or a Parameters resource with a ``response`` parameter);
* ``POST /fhir/QuestionnaireResponse/$score``: the same, the Questionnaire taken
  from ``QuestionnaireResponse.questionnaire``.

``$score`` answers a Parameters resource
(:func:`~carehub.self_assessment.risk_assessment.score_parameters`). Errors are
OperationOutcomes: 400 for a body that is not JSON or not a
QuestionnaireResponse, 404 for an unknown Questionnaire, 422 for invalid or
missing answers with one issue per item naming its linkId.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from carehub.errors import CareHubError, Incorrect
from carehub.fhir_api.errors import FHIR_JSON, error_response
from carehub.self_assessment.questionnaires import questionnaire, questionnaires
from carehub.self_assessment.responses import read_answers
from carehub.self_assessment.risk_assessment import risk_assessment, score_parameters
from carehub.self_assessment.scoring import SCORERS


def _fhir(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type=FHIR_JSON)


async def _response_body(request: Request) -> Mapping[str, Any]:
    raw = await request.body()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Incorrect(f"malformed JSON in the request body: {exc}") from exc
    if isinstance(body, Mapping) and body.get("resourceType") == "Parameters":
        for p in body.get("parameter") or ():
            if isinstance(p, Mapping) and p.get("name") == "response":
                body = p.get("resource")
                break
        else:
            raise Incorrect("the Parameters have no 'response' parameter",
                            expression="Parameters.parameter")
    if not isinstance(body, Mapping) or body.get("resourceType") != "QuestionnaireResponse":
        raise Incorrect("expected a QuestionnaireResponse (or Parameters with 'response')")
    return body


def questionnaire_id(reference: Any) -> str:
    """The packaged Questionnaire id a ``QuestionnaireResponse.questionnaire`` names.

    >>> questionnaire_id("urn:carehub:questionnaire:copd-ps"), questionnaire_id("Questionnaire/x")
    ('copd-ps', 'x')
    """
    if not isinstance(reference, str) or not reference:
        raise Incorrect("QuestionnaireResponse.questionnaire is required",
                        expression="QuestionnaireResponse.questionnaire")
    for q in questionnaires().values():
        if reference == q.get("url"):
            return str(q["id"])
    return reference.rstrip("/").rsplit("/", 1)[-1]


def score(
    qid: str, response: Mapping[str, Any], booking_url: str, now: datetime.datetime
) -> dict[str, Any]:
    """Check and score ``response`` to Questionnaire ``qid``; the ``$score`` output.

    Raises:
        NotFound: no such Questionnaire.
        Incorrect: not a response to it.
        Invalid: answers missing or invalid (issues name the linkIds).
    """
    answers = read_answers(questionnaire(qid), response)
    assessment = SCORERS[qid](answers)
    return score_parameters(assessment, risk_assessment(assessment, response, now), booking_url)


def self_assessment_router(
    booking_url: str = "/booking",
    *,
    now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
) -> APIRouter:
    """The router of the self-assessment API.

    Args:
        booking_url: the next-step link for booking (``CAREHUB_SELF_ASSESSMENT_BOOKING_URL``).
        now: the clock stamped on RiskAssessments.
    """
    router = APIRouter(tags=["Self-assessment"])

    @router.get("/self-assessment/Questionnaire", summary="The self-assessment Questionnaires")
    async def list_all() -> Response:
        entries = [{"resource": q} for q in questionnaires().values()]
        return _fhir({"resourceType": "Bundle", "type": "collection", "total": len(entries),
                      "entry": entries})

    @router.get("/self-assessment/Questionnaire/{qid}", summary="One self-assessment")
    async def read(qid: str) -> Response:
        try:
            return _fhir(questionnaire(qid))
        except CareHubError as exc:
            return error_response(exc)

    @router.post("/fhir/Questionnaire/{qid}/$score", summary="Score a self-assessment")
    async def score_by_questionnaire(qid: str, request: Request) -> Response:
        try:
            questionnaire(qid)
            return _fhir(score(qid, await _response_body(request), booking_url, now()))
        except CareHubError as exc:
            return error_response(exc)

    @router.post("/fhir/QuestionnaireResponse/$score", summary="Score a response")
    async def score_response(request: Request) -> Response:
        try:
            body = await _response_body(request)
            qid = questionnaire_id(body.get("questionnaire"))
            return _fhir(score(qid, body, booking_url, now()))
        except CareHubError as exc:
            return error_response(exc)

    return router
