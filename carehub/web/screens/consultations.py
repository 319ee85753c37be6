"""The patient's teleconsultations: open slots, booking, rescheduling, cancelling, joining.

https://hl7.org/fhir/R4/slot.html and https://hl7.org/fhir/R4/appointment.html

* ``GET /app/consultations?clinician=Practitioner/x``: the free slots of the
  next :data:`DAYS_SHOWN` days, by clinician and day (one clinician when
  ``clinician`` is given), and the patient's upcoming video consultations
  with their recording-consent state, a "Join" link and forms to move
  (another free slot of the same clinician) or cancel them;
* ``POST /app/consultations/book`` {slot, reason?}; ``POST .../{id}/reschedule``
  {slot}; ``POST .../{id}/cancel``; ``POST .../{id}/consent`` {recording: yes|no}:
  CSRF-checked, through :mod:`carehub.telemed.scheduling`, then back to the
  page (303) saying what was done;
* ``GET /app/consultations/{id}/join``: a fresh join token
  (:mod:`carehub.telemed.join`) and a redirect to the room page
  ``/telemed/room/{id}#<token>``; before the room opens, back to the page
  with a message.

The patient is the session's (:func:`carehub.web.telemed_pages.web_actor`).
A refused change (the slot was just taken, the appointment is no longer
active, the time has passed) re-renders the page with a translated message
and the matching status (409, 400, 404); nothing is stored.

Failure modes: a caller who is not a patient gets a 403 page, a bad CSRF
field a 403 page, the services not mounted a 503 page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from carehub.errors import CareHubError, Conflict, Forbidden, Incorrect, NotFound
from carehub.telemed import scheduling as sch
from carehub.telemed.actor import Actor
from carehub.telemed.records import Records, parse_instant
from carehub.telemed.web_common import Telemed, touched
from carehub.web.app import Web
from carehub.web.i18n import Translator
from carehub.web.telemed_pages import (
    checked_form,
    join_url,
    local_day,
    local_time,
    person_name,
    room_opens,
    telemed_of,
    web_actor,
)

DAYS_SHOWN = 14
"""Free slots are offered this many days ahead."""
REASON_MAX = 500
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
"""Headers of the redirect that carries a join token."""
DONE = ("booked", "rescheduled", "cancelled", "consent")
"""What a successful change reports back (``?done=``)."""
NOTICES = ("not_open",)
"""Messages a redirect may ask the page to show (``?error=``)."""
STATUS = {"taken": 409, "closed": 409, "unavailable": 400, "unknown": 404, "pick_slot": 400,
          "forbidden": 403}


def error_key(exc: CareHubError) -> str:
    """The page's message (``consult.error.<key>``) for a refused change.

    >>> error_key(Conflict("Slot/s is already taken", expression="Slot.status"))
    'taken'
    >>> error_key(Conflict("Appointment/a is cancelled")), error_key(Incorrect("started"))
    ('closed', 'unavailable')
    """
    if isinstance(exc, Conflict):
        where = exc.issues[0].expression if exc.issues else ()
        return "taken" if "Slot.status" in where else "closed"
    if isinstance(exc, NotFound):
        return "unknown"
    if isinstance(exc, Forbidden):
        return "forbidden"
    return "unavailable"


def telemed_schedules(records: Records) -> dict[str, str]:
    """Schedule id → ``Practitioner/x`` of every video-consultation Schedule."""
    found = records.search("Schedule", [("service-type", sch.VIDEO), ("_count", "500")])
    return {str(s["id"]): str(s["actor"][0]["reference"]) for s in found if s.get("actor")}


def slot_label(slot: dict[str, Any]) -> str:
    """``08:00–08:20`` in local time.

    >>> slot_label({"start": "2026-03-02T01:00:00Z", "end": "2026-03-02T01:20:00Z"})
    '08:00–08:20'
    """
    return (f"{local_time(parse_instant(slot['start']))}"
            f"–{local_time(parse_instant(slot['end']))}")


def group_slots(slots: list[dict[str, Any]], schedules: dict[str, str], names: dict[str, str],
                t: Translator) -> list[dict[str, Any]]:
    """Free slots grouped by clinician (by name), then by local day, earliest first."""
    by: dict[str, dict[str, list[dict[str, str]]]] = {}
    for slot in slots:
        ref = schedules.get(slot["schedule"]["reference"].split("/", 1)[1])
        if ref is None:
            continue
        day = local_day(parse_instant(slot["start"]), t)
        by.setdefault(ref, {}).setdefault(day, []).append(
            {"id": str(slot["id"]), "label": slot_label(slot)})
    return [{"ref": ref, "name": names.get(ref, ref), "key": f"c{n}",
             "days": [{"label": day, "key": f"c{n}d{m}", "slots": items}
                      for m, (day, items) in enumerate(days.items())]}
            for n, (ref, days) in enumerate(sorted(by.items(),
                                                    key=lambda kv: names.get(kv[0], kv[0])))]


def upcoming(records: Records, who: str, now: datetime) -> list[dict[str, Any]]:
    """Active video consultations of ``who`` that have not ended, earliest first."""
    found = records.search("Appointment", [("actor", who), ("_sort", "date"), ("_count", "200")])
    return [a for a in found if a.get("status") in sch.ACTIVE and sch.kind_of(a) == sch.VIDEO
            and parse_instant(str(a.get("end", a.get("start")))) > now]


def patient_view(tm: Telemed, actor: Actor, clinician: str | None,
                 t: Translator) -> dict[str, Any]:
    """Template values of the patient's page (slots, own appointments)."""
    records, now = tm.records, tm.clock()
    schedules = telemed_schedules(records)
    names: dict[str, str] = {}
    for ref in schedules.values():
        person_name(records, ref, names)
    horizon = now + timedelta(days=DAYS_SHOWN)
    wanted = clinician if clinician in names else None
    free = [s for s in sch.free_slots(records, wanted, now=now)
            if parse_instant(s["start"]) < horizon]
    mine = upcoming(records, actor.reference, now)
    appointments = []
    for a in mine:
        others = [r for r in sch.participants(a) if r != actor.reference]
        doctor = next((r for r in others if r.startswith("Practitioner/")), "")
        start = parse_instant(str(a["start"]))
        moves = [{"id": str(s["id"]), "label": f"{local_day(parse_instant(s['start']), t)} "
                                                f"{slot_label(s)}"}
                 for s in (sch.free_slots(records, doctor, now=now) if doctor else [])][:60]
        appointments.append({
            "id": a["id"], "doctor": person_name(records, doctor, names) if doctor else "",
            "day": local_day(start, t), "time": slot_label(a), "reason": a.get("description", ""),
            "recording": sch.recording_allowed(a),
            "opens": local_time(room_opens(a)), "open": room_opens(a) <= now, "moves": moves})
    touched(*mine)
    return {"groups": group_slots(free, schedules, names, t), "appointments": appointments,
            "clinicians": sorted(names.items(), key=lambda kv: kv[1]), "clinician": wanted or "",
            "days": DAYS_SHOWN}


def router(web: Web) -> APIRouter:
    """The patient's teleconsultation routes, bound to ``web``."""
    r = APIRouter(include_in_schema=False)

    async def page(request: Request, status: int = 200, error: str = "") -> Response:
        tm, actor = telemed_of(request), web_actor(request)
        if tm is None:
            return web.pages.error(request, 503, "consult.unavailable")
        if actor is None or not actor.is_patient:
            return web.pages.error(request, 403, "consult.patients_only")
        ctx = web.pages.context(request)
        q = request.query_params
        view = await run_in_threadpool(patient_view, tm, actor, q.get("clinician"),
                                       Translator(ctx.lang))
        done = q.get("done", "") if not error else ""
        if not error and q.get("error") in NOTICES:
            error = str(q.get("error"))
        return web.pages.render(request, "consultations.html", status=status, page=ctx,
                                error=f"consult.error.{error}" if error else "",
                                done=f"consult.done.{done}" if done in DONE else "", **view)

    @r.get("/app/consultations")
    async def show(request: Request) -> Response:
        return await page(request)

    async def change(request: Request, done: str, work: Any) -> Response:
        form = await checked_form(request)
        if form is None:
            return web.pages.error(request, 403, "error.csrf")
        tm, actor = telemed_of(request), web_actor(request)
        if tm is None:
            return web.pages.error(request, 503, "consult.unavailable")
        if actor is None or not actor.is_patient:
            return web.pages.error(request, 403, "consult.patients_only")
        if done in ("booked", "rescheduled") and not str(form.get("slot", "")).strip():
            return await page(request, STATUS["pick_slot"], "pick_slot")
        try:
            written = await run_in_threadpool(work, tm, actor, form)
        except (Conflict, Incorrect, NotFound, Forbidden) as exc:
            key = error_key(exc)
            return await page(request, STATUS[key], key)
        touched(written)
        return RedirectResponse(f"/app/consultations?done={done}", status_code=303)

    @r.post("/app/consultations/book")
    async def book(request: Request) -> Response:
        def work(tm: Telemed, actor: Actor, form: Any) -> dict[str, Any]:
            reason = str(form.get("reason", "")).strip()[:REASON_MAX] or None
            return sch.book(tm.records, actor, str(form.get("slot")), actor.reference,
                            reason=reason, clock=tm.clock)
        return await change(request, "booked", work)

    @r.post("/app/consultations/{appointment_id}/reschedule")
    async def reschedule(request: Request, appointment_id: str) -> Response:
        def work(tm: Telemed, actor: Actor, form: Any) -> dict[str, Any]:
            return sch.reschedule(tm.records, actor, appointment_id, str(form.get("slot")),
                                  clock=tm.clock)
        return await change(request, "rescheduled", work)

    @r.post("/app/consultations/{appointment_id}/cancel")
    async def cancel(request: Request, appointment_id: str) -> Response:
        def work(tm: Telemed, actor: Actor, form: Any) -> dict[str, Any]:
            return sch.cancel(tm.records, actor, appointment_id,
                              str(form.get("reason", "")).strip()[:REASON_MAX] or None)
        return await change(request, "cancelled", work)

    @r.post("/app/consultations/{appointment_id}/consent")
    async def consent(request: Request, appointment_id: str) -> Response:
        def work(tm: Telemed, actor: Actor, form: Any) -> dict[str, Any]:
            return sch.set_recording_consent(tm.records, actor, appointment_id,
                                             form.get("recording") == "yes")
        return await change(request, "consent", work)

    @r.get("/app/consultations/{appointment_id}/join")
    async def join(request: Request, appointment_id: str) -> Response:
        return await join_redirect(web, request, appointment_id, "/app/consultations")

    return r


async def join_redirect(web: Web, request: Request, appointment_id: str, back: str) -> Response:
    """Redirect a participant to the room with a fresh token; else back to ``back`` with
    a message (the room is not open yet or closed), or a 403/404 page."""
    tm, actor = telemed_of(request), web_actor(request)
    if tm is None:
        return web.pages.error(request, 503, "consult.unavailable")
    if actor is None:
        return web.pages.error(request, 403, "consult.no_person")
    lang = web.pages.context(request).lang
    try:
        appointment = await run_in_threadpool(tm.records.get, "Appointment", appointment_id)
        if actor.reference not in sch.participants(appointment):
            return web.pages.error(request, 403, "consult.not_participant")
        url = await run_in_threadpool(join_url, tm, actor, appointment_id, lang)
    except NotFound:
        return web.pages.error(request, 404, "consult.error.unknown")
    except Forbidden:
        return RedirectResponse(f"{back}?error=not_open", status_code=303)
    touched(appointment)
    return RedirectResponse(url, status_code=303, headers=NO_STORE)
