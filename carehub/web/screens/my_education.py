"""The patient's education: what the care team (or a rule) assigned, read or not yet.

https://hl7.org/fhir/R4/communicationrequest.html and https://hl7.org/fhir/R4/communication.html

* ``GET /app/my-education``: the items assigned to the signed-in patient,
  unread first (each marked new or read), then a link to the public health
  information pages (:mod:`carehub.web.screens.education`);
* ``GET /app/my-education/{request_id}``: one assigned item in the page's
  language. Opening it records the reading
  (:func:`carehub.telemed.education.mark_read`: a Communication, the request
  completed); opening it again changes nothing.

The patient is the one of the session's grant; with authorization off (a
development server) ``?patient=<id>`` names them
(:func:`~carehub.web.screens.home_monitoring.patient_of`).

Failure modes: a session without a patient in context gets a 403 page; an
assignment that is not the patient's own (or not known) a 404 page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from carehub.errors import NotFound
from carehub.telemed import education
from carehub.telemed.actor import Actor
from carehub.telemed.web_common import touched
from carehub.web.app import Web
from carehub.web.screens.education_team import records_of, title_of
from carehub.web.screens.home_monitoring import patient_of
from carehub.web.templating import render_markdown


def _query(request: Request) -> str:
    """``?patient=`` carried along with authorization off (nothing otherwise)."""
    asked = request.query_params.get("patient", "")
    if getattr(request.app.state, "auth", None) is not None or not asked:
        return ""
    return "?" + urlencode({"patient": asked})


def router(web: Web) -> APIRouter:
    """The patient's education routes, bound to ``web``."""
    r = APIRouter(include_in_schema=False)

    @r.get("/app/my-education")
    async def mine(request: Request) -> Response:
        records, patient = records_of(request), patient_of(request)
        if records is None:
            return web.pages.error(request, 503, "eduteam.unavailable")
        if patient is None:
            return web.pages.error(request, 403, "myedu.patient_only")
        ctx = web.pages.context(request)

        def load() -> list[dict[str, Any]]:
            found = education.assigned(records, Actor(patient), patient)
            touched(*found)
            rows = []
            for a in found:
                try:
                    minutes = education.item(education.item_of(a), ctx.lang).minutes
                except NotFound:
                    minutes = 0
                rows.append({"id": a["id"], "item": education.item_of(a),
                             "title": title_of(a, ctx.lang), "minutes": minutes,
                             "read": a.get("status") == "completed",
                             "on": str(a.get("authoredOn", ""))})
            rows.sort(key=lambda x: x["on"], reverse=True)
            return sorted(rows, key=lambda x: x["read"])

        rows = await run_in_threadpool(load)
        return web.pages.render(request, "my_education.html", page=ctx, rows=rows,
                                query=_query(request))

    @r.get("/app/my-education/{request_id}")
    async def one(request: Request, request_id: str) -> Response:
        records, patient = records_of(request), patient_of(request)
        if records is None:
            return web.pages.error(request, 503, "eduteam.unavailable")
        if patient is None:
            return web.pages.error(request, 403, "myedu.patient_only")
        ctx = web.pages.context(request)
        now = request.app.state.telemed.clock()

        def open_item() -> education.Item | None:
            try:
                assignment = records.get("CommunicationRequest", request_id)
            except NotFound:
                return None
            if ((assignment.get("subject") or {}).get("reference") != patient
                    or education.CATEGORY not in assignment.get("category", [])):
                return None
            touched(education.mark_read(records, Actor(patient), request_id, now))
            try:
                return education.item(education.item_of(assignment), ctx.lang)
            except NotFound:
                return None

        found = await run_in_threadpool(open_item)
        if found is None:
            return web.pages.error(request, 404, "myedu.unknown")
        return web.pages.render(request, "my_education_item.html", page=ctx, item=found,
                                body=render_markdown(found.body), query=_query(request))

    return r
