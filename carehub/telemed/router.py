"""The telemedicine HTTP API under ``/telemed`` (JSON in, FHIR resources out).

https://hl7.org/fhir/R4/appointment.html, https://hl7.org/fhir/R4/operations.html

Scheduling and rooms:

* ``POST /telemed/Schedule/$publish`` {practitioner, start, end, minutes}: free Slots;
* ``GET  /telemed/Slot?practitioner=Practitioner/x``: free future slots;
* ``POST /telemed/Appointment`` {slot, patient, reason?}: book (201);
* ``POST /telemed/Appointment/{id}/$reschedule`` {slot}; ``.../$cancel`` {reason?};
* ``POST /telemed/Appointment/{id}/$consent`` {recording: bool}: the patient's consent;
* ``POST /telemed/Appointment/{id}/$join``: a short-lived join token and the room's URL;
* ``POST /telemed/conference`` {clinicians, patient, start, end, title}: a case conference;
* ``POST /telemed/conference/{id}/$conclude`` {text}: the signed conclusion;
* ``POST /telemed/reminders/$send``: send the reminders due now (care team).

Who may do what is decided by :mod:`carehub.telemed.scheduling` and friends on
the caller (:func:`~carehub.telemed.web_common.request_actor`); every route
needs a token with a clinical scope (:mod:`carehub.security.web.route_table`).
Errors are OperationOutcomes (400 bad body, 403 not allowed, 404 unknown,
409 slot taken or appointment closed).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from carehub.errors import Incorrect
from carehub.fhir_api.errors import FHIR_JSON
from carehub.telemed import conference as conf
from carehub.telemed import scheduling as sch
from carehub.telemed.join import issue_join
from carehub.telemed.reminders import send_reminders
from carehub.telemed.web_common import (
    Telemed,
    field_str,
    field_time,
    json_body,
    request_actor,
    touched,
)


def fhir(body: Any, status: int = 200) -> Response:
    """A FHIR JSON response."""
    return Response(orjson.dumps(body), status_code=status, media_type=FHIR_JSON)


def bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A searchset Bundle of ``resources``.

    >>> bundle([{"resourceType": "Slot", "id": "s"}])["total"]
    1
    """
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"resource": r} for r in resources]}


def telemed_router(tm: Telemed) -> APIRouter:
    """The routes of the module docstring over ``tm``."""
    router = APIRouter(prefix="/telemed", tags=["telemedicine"])
    records = tm.records

    @router.post("/Schedule/$publish")
    async def publish(request: Request) -> Response:
        body, actor = await json_body(request), request_actor(request)
        minutes = body.get("minutes", 20)
        if not isinstance(minutes, int):
            raise Incorrect("'minutes' must be a whole number", expression="minutes")
        schedule, slots = await run_in_threadpool(
            sch.publish, records, actor, field_str(body, "practitioner"),
            field_time(body, "start"), field_time(body, "end"), minutes)
        touched(schedule, *slots)
        return fhir({"schedule": schedule, "slots": bundle(slots)}, 201)

    @router.get("/Slot")
    async def slots(request: Request, practitioner: str | None = None) -> Response:
        request_actor(request)
        found = await run_in_threadpool(sch.free_slots, records, practitioner, now=tm.clock())
        return fhir(bundle(found))

    @router.post("/Appointment")
    async def book(request: Request) -> Response:
        body, actor = await json_body(request), request_actor(request)
        patient = field_str(body, "patient", required=False) or actor.reference
        appointment = await run_in_threadpool(
            lambda: sch.book(records, actor, field_str(body, "slot"), patient,
                             reason=field_str(body, "reason", required=False) or None,
                             clock=tm.clock))
        touched(appointment)
        return fhir(appointment, 201)

    @router.post("/Appointment/{appointment_id}/$reschedule")
    async def reschedule(appointment_id: str, request: Request) -> Response:
        body, actor = await json_body(request), request_actor(request)
        appointment = await run_in_threadpool(
            lambda: sch.reschedule(records, actor, appointment_id, field_str(body, "slot"),
                                   clock=tm.clock))
        touched(appointment)
        return fhir(appointment)

    @router.post("/Appointment/{appointment_id}/$cancel")
    async def cancel(appointment_id: str, request: Request) -> Response:
        body, actor = await json_body(request), request_actor(request)
        appointment = await run_in_threadpool(
            sch.cancel, records, actor, appointment_id,
            field_str(body, "reason", required=False) or None)
        touched(appointment)
        return fhir(appointment)

    @router.post("/Appointment/{appointment_id}/$consent")
    async def consent(appointment_id: str, request: Request) -> Response:
        body, actor = await json_body(request), request_actor(request)
        allowed = body.get("recording")
        if not isinstance(allowed, bool):
            raise Incorrect("'recording' must be true or false", expression="recording")
        appointment = await run_in_threadpool(
            sch.set_recording_consent, records, actor, appointment_id, allowed)
        touched(appointment)
        return fhir(appointment)

    @router.post("/Appointment/{appointment_id}/$join")
    async def join(appointment_id: str, request: Request) -> Response:
        actor = request_actor(request)
        token, _ = await run_in_threadpool(
            issue_join, records, tm.tokens, actor, appointment_id, tm.clock())
        return fhir({"token": token, "room": appointment_id, "expiresIn": tm.tokens.lifetime_s,
                     "url": f"/telemed/room/{appointment_id}#{token}"})

    @router.post("/conference")
    async def create_conference(request: Request) -> Response:
        body, actor = await json_body(request), request_actor(request)
        clinicians = body.get("clinicians")
        if not isinstance(clinicians, list) or not all(isinstance(c, str) for c in clinicians):
            raise Incorrect("'clinicians' must be a list of references", expression="clinicians")
        appointment = await run_in_threadpool(
            sch.create_conference, records, actor, clinicians, field_str(body, "patient"),
            field_time(body, "start"), field_time(body, "end"), field_str(body, "title"))
        touched(appointment)
        return fhir(appointment, 201)

    @router.post("/conference/{appointment_id}/$conclude")
    async def conclude(appointment_id: str, request: Request) -> Response:
        body, actor = await json_body(request), request_actor(request)
        written = await run_in_threadpool(
            conf.conclude, records, tm.signer, actor, appointment_id, field_str(body, "text"),
            tm.clock())
        touched(*written.values())
        return fhir(bundle(list(written.values())), 201)

    @router.post("/reminders/$send")
    async def reminders(request: Request) -> Response:
        request_actor(request).require_staff()
        sent = await run_in_threadpool(send_reminders, records, tm.notifier, tm.clock(),
                                       tm.config.reminder_hours)
        return fhir(bundle(sent))

    return router
