"""The public self-assessment: COPD, heart-and-kidney risk and lung-screening eligibility.

https://hl7.org/fhir/R4/questionnaire.html (the packaged Questionnaires of
:mod:`carehub.self_assessment`, Vietnamese with English translations)

* ``GET /app/self-check``: the three checks;
* ``GET /app/self-check/{qid}``: one check as a form (no sign-in; works on a
  phone and by keyboard alone, without JavaScript; ``self_check.js`` only
  hides questions that do not apply);
* ``POST /app/self-check/{qid}``: the answers are checked and scored exactly
  as ``$score`` does (:func:`~carehub.self_assessment.responses.read_answers`
  and :data:`~carehub.self_assessment.scoring.SCORERS`) and the result is
  shown at once in plain language: the risk, what it means and the next
  step, with a link to the programme's education page.

Nothing is stored and nobody is identified: the page takes no name and keeps
no answer, so it needs neither a session nor a CSRF token.

Failure modes: an unknown check is a 404 page; missing or invalid answers
re-show the form (422) with a message at each question concerned and the
other answers kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from carehub.errors import Incorrect, Invalid, NotFound
from carehub.self_assessment.questionnaires import questionnaire, questionnaires, text_in
from carehub.self_assessment.responses import read_answers
from carehub.self_assessment.scoring import SCORERS, Assessment
from carehub.web.app import Web
from carehub.web.screens.self_check_form import (
    field_errors,
    form_fields,
    response_from_form,
)

CHECKS = ("copd-ps", "heart-kidney-check", "lung-screening")
"""The checks offered, in menu order (each a packaged Questionnaire id)."""
PROGRAMME_OF = {"copd-ps": "respiratory", "heart-kidney-check": "kidney",
                "lung-screening": "lung_cancer"}
"""The screening programme whose education page follows each check."""
RISK_KEYS = {"low": "selfcheck.risk.low", "moderate": "selfcheck.risk.moderate",
             "high": "selfcheck.risk.high"}
"""Translation key of each risk level (FHIR risk-probability codes)."""


def advice_in(assessment: Assessment, lang: str) -> dict[str, str]:
    """The result's texts in ``lang`` (Vietnamese unless ``en``).

    >>> from carehub.self_assessment.scoring import score_copd_ps
    >>> a = score_copd_ps({"q1": "none", "q2": "never", "q3": "disagree", "q4": "no", "q5": 40})
    >>> advice_in(a, "en")["next_step"]
    'Nothing more is needed now.'
    """
    texts = (assessment.outcome, assessment.advice, assessment.next_step.text)
    outcome, advice, step = ((x.en if lang == "en" else x.vi) for x in texts)
    return {"outcome": outcome, "advice": advice, "next_step": step}


def _form_values(raw: FormData) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in raw.multi_items():
        if isinstance(value, str):
            out.setdefault(str(key), []).append(value[:100])
    return out


def router(web: Web) -> APIRouter:
    """The self-assessment routes bound to ``web`` (public: no session needed)."""
    r = APIRouter(include_in_schema=False)

    def show_form(request: Request, qid: str, status: int = 200,
                  form: Mapping[str, list[str]] | None = None,
                  errors: Mapping[str, str] | None = None) -> Response:
        page = web.pages.context(request)
        q = questionnaire(qid)
        return web.pages.render(
            request, "self_check_form.html", status=status, page=page, qid=qid,
            title=text_in(q, "title", page.lang), description=text_in(q, "description", page.lang),
            fields=form_fields(q, page.lang, form), errors=errors or {})

    @r.get("/app/self-check")
    async def overview(request: Request) -> Response:
        page = web.pages.context(request)
        table = questionnaires()
        checks = [(qid, text_in(table[qid], "title", page.lang),
                   text_in(table[qid], "description", page.lang))
                  for qid in CHECKS if qid in table]
        return web.pages.render(request, "self_check.html", page=page, checks=checks)

    @r.get("/app/self-check/{qid}")
    async def check_form(request: Request, qid: str) -> Response:
        if qid not in CHECKS:
            return web.pages.error(request, 404, "selfcheck.unknown")
        return show_form(request, qid)

    @r.post("/app/self-check/{qid}")
    async def check_submit(request: Request, qid: str) -> Response:
        if qid not in CHECKS:
            return web.pages.error(request, 404, "selfcheck.unknown")
        form = _form_values(await request.form())
        q = questionnaire(qid)
        response, errors = response_from_form(q, form)
        try:
            answers = read_answers(q, response)
        except Invalid as exc:
            return show_form(request, qid, 422, form, {**field_errors(exc.issues), **errors})
        except (Incorrect, NotFound):
            return show_form(request, qid, 422, form, errors)
        if errors:
            return show_form(request, qid, 422, form, errors)
        assessment = SCORERS[qid](answers)
        page = web.pages.context(request)
        return web.pages.render(
            request, "self_check_result.html", page=page, qid=qid,
            title=text_in(q, "title", page.lang), assessment=assessment,
            risk_key=RISK_KEYS.get(assessment.risk, "selfcheck.risk.moderate"),
            texts=advice_in(assessment, page.lang), programme=PROGRAMME_OF[qid])

    return r
