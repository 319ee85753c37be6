"""The clinician's consultation schedule: publish availability, see and join booked sessions.

https://hl7.org/fhir/R4/schedule.html and https://hl7.org/fhir/R4/slot.html

* ``GET /app/schedule``: a form to publish availability (date, start, end,
  slot minutes, in the hospital's local time), the clinician's upcoming booked
  video consultations (patient, time, reason, recording consent, a "Join"
  link and the patient's messages) and their open slots by day;
* ``POST /app/schedule/publish``: CSRF-checked; the slots are created by
  :func:`carehub.telemed.scheduling.publish`, then back to the page (303)
  saying how many; a bad form re-renders the page (422) with a translated
  message and the values typed, and stores nothing;
* ``GET /app/schedule/{id}/join``: the room with a fresh join token (see
  :func:`carehub.web.screens.consultations.join_redirect`).

The clinician is the session user's ``fhirUser`` Practitioner (with
authorization off, the ``X-CareHub-Actor`` header).

Failure modes: a caller who is not a Practitioner (a patient, or a staff
account that names no Practitioner) gets a 403 page; a bad CSRF field a 403
page; the services not mounted a 503 page.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from carehub.errors import Forbidden, Incorrect
from carehub.telemed import scheduling as sch
from carehub.telemed.actor import Actor
from carehub.telemed.records import parse_instant
from carehub.telemed.web_common import Telemed, touched
from carehub.web.app import Web
from carehub.web.i18n import Translator
from carehub.web.screens.consultations import (
    NOTICES,
    join_redirect,
    slot_label,
    upcoming,
)
from carehub.web.telemed_pages import (
    LOCAL,
    checked_form,
    local_day,
    local_time,
    person_name,
    room_opens,
    telemed_of,
    web_actor,
)

DEFAULT_MINUTES = 20


def availability(values: dict[str, str], now: datetime) -> tuple[datetime, datetime, int]:
    """(start, end, minutes) of the publish form (local date and times).

    Raises:
        Incorrect: a field that does not parse (``expression`` names the form's message
            key: ``bad_time``, ``minutes``, ``end`` or ``past``).

    >>> from datetime import UTC
    >>> s, e, m = availability({"date": "2026-03-02", "start": "08:00", "end": "09:00",
    ...                         "minutes": "15"}, datetime(2026, 3, 1, tzinfo=UTC))
    >>> s.isoformat(), e.hour, m
    ('2026-03-02T08:00:00+07:00', 9, 15)
    """
    try:
        day = date.fromisoformat(values.get("date", "").strip())
        start = datetime.combine(day, time.fromisoformat(values.get("start", "").strip()), LOCAL)
        end = datetime.combine(day, time.fromisoformat(values.get("end", "").strip()), LOCAL)
    except ValueError:
        raise Incorrect("date or time not understood", expression="bad_time") from None
    try:
        minutes = int(values.get("minutes", "").strip())
    except ValueError:
        raise Incorrect("minutes is not a whole number", expression="minutes") from None
    if not 5 <= minutes <= 240:
        raise Incorrect("a slot lasts 5 to 240 minutes", expression="minutes")
    if end <= start:
        raise Incorrect("the end must be after the start", expression="end")
    if start <= now:
        raise Incorrect("the availability must be in the future", expression="past")
    return start, end, minutes


def clinician_view(tm: Telemed, actor: Actor, t: Translator) -> dict[str, Any]:
    """Template values of the clinician's page: booked sessions and open slots."""
    records, now = tm.records, tm.clock()
    names: dict[str, str] = {}
    booked = []
    mine = upcoming(records, actor.reference, now)
    for a in mine:
        patient = sch.patient_of(a) or ""
        start = parse_instant(str(a["start"]))
        booked.append({"id": a["id"], "day": local_day(start, t), "time": slot_label(a),
                       "patient": person_name(records, patient, names) if patient else "",
                       "pid": patient.removeprefix("Patient/"),
                       "reason": a.get("description", ""),
                       "recording": sch.recording_allowed(a),
                       "opens": local_time(room_opens(a)), "open": room_opens(a) <= now})
    free = sch.free_slots(records, actor.reference, now=now)
    days: dict[str, list[str]] = {}
    for s in free:
        days.setdefault(local_day(parse_instant(s["start"]), t), []).append(slot_label(s))
    touched(*mine, *free)
    return {"booked": booked, "open_days": list(days.items())}


def router(web: Web) -> APIRouter:
    """The clinician's schedule routes, bound to ``web``."""
    r = APIRouter(include_in_schema=False)

    async def page(request: Request, status: int = 200, error: str = "",
                   values: dict[str, str] | None = None) -> Response:
        tm, actor = telemed_of(request), web_actor(request)
        if tm is None:
            return web.pages.error(request, 503, "consult.unavailable")
        if actor is None or not actor.reference.startswith("Practitioner/"):
            return web.pages.error(request, 403, "consult.clinicians_only")
        ctx = web.pages.context(request)
        view = await run_in_threadpool(clinician_view, tm, actor, Translator(ctx.lang))
        q = request.query_params
        if not error and q.get("error") in NOTICES:
            error = str(q.get("error"))
        published = q.get("published", "") if not error else ""
        tomorrow = tm.clock().astimezone(LOCAL).date().toordinal() + 1
        shown = values or {"date": date.fromordinal(tomorrow).isoformat(), "start": "08:00",
                           "end": "11:00", "minutes": str(DEFAULT_MINUTES)}
        return web.pages.render(request, "consult_schedule.html", status=status, page=ctx,
                                error=f"consult.error.{error}" if error else "",
                                published=published if published.isdigit() else "",
                                values=shown, **view)

    @r.get("/app/schedule")
    async def show(request: Request) -> Response:
        return await page(request)

    @r.post("/app/schedule/publish")
    async def publish(request: Request) -> Response:
        form = await checked_form(request)
        if form is None:
            return web.pages.error(request, 403, "error.csrf")
        tm, actor = telemed_of(request), web_actor(request)
        if tm is None or actor is None or not actor.reference.startswith("Practitioner/"):
            return await page(request)  # the page says why
        values = {k: str(form.get(k, "")) for k in ("date", "start", "end", "minutes")}
        try:
            start, end, minutes = availability(values, tm.clock())
            _, slots = await run_in_threadpool(sch.publish, tm.records, actor, actor.reference,
                                               start, end, minutes)
        except Incorrect as exc:
            where = exc.issues[0].expression if exc.issues else ()
            key = where[0] if where and where[0] in ("bad_time", "minutes", "end",
                                                      "past") else "too_many"
            return await page(request, 422, key, values)
        except Forbidden:
            return web.pages.error(request, 403, "consult.clinicians_only")
        touched(*slots)
        return RedirectResponse(f"/app/schedule?published={len(slots)}", status_code=303)

    @r.get("/app/schedule/{appointment_id}/join")
    async def join(request: Request, appointment_id: str) -> Response:
        return await join_redirect(web, request, appointment_id, "/app/schedule")

    return r
