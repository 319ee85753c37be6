"""The patient-support HTTP API under ``/telemed``: secure messaging and education.

https://hl7.org/fhir/R4/communication.html

* ``GET  /telemed/messages?patient=Patient/x``: the conversation (a Bundle) and
  ``unread`` (for the caller's side); a patient may omit ``patient``;
* ``POST /telemed/messages`` {patient?, text, attachments?: [{contentType, data, title}]}: 201;
* ``POST /telemed/messages/{id}/$read``: mark read;
* ``GET  /telemed/education?lang=``: the library; ``GET /telemed/education/{id}?lang=``: one
  item as HTML;
* ``POST /telemed/education/$assign`` {patient, item, reason?}: assign (care team);
* ``GET  /telemed/education-assignments?patient=``; ``POST .../{id}/$read``: reading tracked.

Errors are OperationOutcomes (400 bad body or attachment, 403 another
patient's conversation, 404 unknown message).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from carehub.errors import Incorrect
from carehub.telemed import education, messaging
from carehub.telemed.actor import Actor
from carehub.telemed.router import bundle, fhir
from carehub.telemed.web_common import Telemed, field_str, json_body, request_actor, touched


def _patient(actor: Actor, given: str | None) -> str:
    if given:
        return given
    if actor.is_patient:
        return actor.reference
    raise Incorrect("'patient' is required", expression="patient")


def support_router(tm: Telemed) -> APIRouter:
    """The routes of the module docstring over ``tm``."""
    router = APIRouter(prefix="/telemed", tags=["telemedicine"])
    records = tm.records

    @router.get("/messages")
    async def conversation(request: Request, patient: str | None = None) -> Response:
        actor = request_actor(request)
        found = await run_in_threadpool(messaging.conversation, records, actor,
                                        _patient(actor, patient))
        touched(*found)
        return fhir({**bundle(found), "unread": messaging.unread(found, actor)})

    @router.post("/messages")
    async def send(request: Request) -> Response:
        body, actor = await json_body(request), request_actor(request)
        attachments = body.get("attachments", [])
        if not isinstance(attachments, list):
            raise Incorrect("'attachments' must be a list", expression="attachments")
        message = await run_in_threadpool(
            messaging.send, records, actor,
            _patient(actor, field_str(body, "patient", required=False) or None),
            field_str(body, "text", required=False), attachments, tm.clock())
        touched(message)
        return fhir(message, 201)

    @router.post("/messages/{message_id}/$read")
    async def read(message_id: str, request: Request) -> Response:
        actor = request_actor(request)
        message = await run_in_threadpool(messaging.mark_read, records, actor, message_id,
                                          tm.clock())
        touched(message)
        return fhir(message)

    @router.get("/education")
    async def library(lang: str = "vi") -> Response:
        items = [i for i in education.library().values() if i.lang == lang]
        return fhir({"items": [{"id": i.id, "programme": i.programme, "title": i.title,
                                "minutes": i.minutes} for i in items]})

    @router.get("/education/{item_id}")
    async def one_item(item_id: str, lang: str = "vi") -> Response:
        found = education.item(item_id, lang)
        return fhir({"id": found.id, "programme": found.programme, "lang": found.lang,
                     "title": found.title, "html": found.html()})

    @router.post("/education/$assign")
    async def assign(request: Request) -> Response:
        body, actor = await json_body(request), request_actor(request)
        created = await run_in_threadpool(
            education.assign, records, actor, field_str(body, "patient"), field_str(body, "item"),
            tm.clock(), field_str(body, "reason", required=False))
        touched(created)
        return fhir(created, 201)

    @router.get("/education-assignments")
    async def assignments(request: Request, patient: str | None = None) -> Response:
        actor = request_actor(request)
        found = await run_in_threadpool(education.assigned, records, actor,
                                        _patient(actor, patient))
        touched(*found)
        return fhir(bundle(found))

    @router.post("/education-assignments/{request_id}/$read")
    async def read_item(request_id: str, request: Request) -> Response:
        actor = request_actor(request)
        done = await run_in_threadpool(education.mark_read, records, actor, request_id,
                                       tm.clock())
        touched(done)
        return fhir(done)

    return router
