"""The patient's own view: their results and appointments, and nothing of anybody else.

https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html (``patient/`` scopes)

``GET /app/my-health`` shows the signed-in patient's recent results (lab
tests and measurements, newest first, with the trend charts of
:mod:`carehub.web.lab_trends`), their Appointments, and their screening
follow-ups (the screening Tasks, in plain words, with the programme's
education page). The patient is the one of the session's grant (a user of
role ``patient`` whose account names ``Patient/<id>``); the page takes no
patient id from the request, and every read goes through the guarded
store, whose ``patient/`` scopes confine it to that patient's compartment.

Failure modes: a session without a patient in context (staff, or
authorization off) gets a 403 page; a patient record that cannot be read is a
404 page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from carehub.errors import Forbidden
from carehub.screening.writeback import RULE_SYSTEM
from carehub.security.context import current_grant
from carehub.web.app import Web
from carehub.web.i18n import Translator
from carehub.web.lab_trends import figures
from carehub.web.patient_record import PatientRecord, concept_text, load_record, newest_first
from carehub.web.patient_search import display_name

RESULTS_SHOWN = 30
"""Most results listed (charts use every one read)."""
RESULT_CATEGORIES = frozenset({"laboratory", "vital-signs"})
APPOINTMENT_KEYS = {s: f"myhealth.appt.{s}" for s in (
    "proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow")}
"""Translation key of each Appointment.status shown in words."""
TASK_KEYS = {s: f"myhealth.task.{s}" for s in (
    "requested", "accepted", "in-progress", "completed", "rejected", "cancelled")}
"""Translation key of each screening Task.status, in a patient's words."""


def value_text(obs: Mapping[str, Any]) -> str:
    """An Observation's value (or its components' values) as text.

    >>> value_text({"valueQuantity": {"value": 7.1, "unit": "%"}})
    '7.1 %'
    >>> value_text({"component": [{"valueQuantity": {"value": 130, "unit": "mmHg"}},
    ...                           {"valueQuantity": {"value": 85, "unit": "mmHg"}}]})
    '130 mmHg / 85 mmHg'
    """
    if "valueQuantity" in obs:
        q = obs["valueQuantity"]
        value = q.get("value")
        shown = f"{value:g}" if isinstance(value, (int, float)) else str(value or "")
        return f"{shown} {q.get('unit') or q.get('code') or ''}".strip()
    if "valueCodeableConcept" in obs:
        return concept_text(obs["valueCodeableConcept"])
    for key in ("valueString", "valueInteger", "valueBoolean"):
        if key in obs:
            return str(obs[key])
    parts = [value_text(c) for c in obs.get("component") or ()]
    return " / ".join(p for p in parts if p)


def _categories(obs: Mapping[str, Any]) -> set[str]:
    return {str(c.get("code")) for cat in obs.get("category") or ()
            for c in cat.get("coding") or () if c.get("code")}


def programme_of(task: Mapping[str, Any]) -> str | None:
    """The screening programme of a screening Task (``programme.rule`` code), if any.

    >>> programme_of({"code": {"coding": [{"system": RULE_SYSTEM, "code": "kidney.acr"}]}})
    'kidney'
    """
    for coding in (task.get("code") or {}).get("coding") or ():
        if coding.get("system") == RULE_SYSTEM and coding.get("code"):
            return str(coding["code"]).split(".", 1)[0]
    return None


def _appointments(web: Web, pid: str) -> list[dict[str, Any]]:
    with web.hub.store.session() as session:
        try:
            page = session.search(web.hub.parser.parse(
                "Appointment", [("patient", f"Patient/{pid}"), ("_count", "50")]))
        except Forbidden:
            return []
        found = [orjson.loads(m.body) for m in page.matches if m.body is not None]
    return sorted(found, key=lambda a: str(a.get("start", "")), reverse=True)


def load_my_health(web: Web, pid: str) -> tuple[PatientRecord, list[dict[str, Any]]] | None:
    """The patient's record and Appointments (None when the record cannot be read)."""
    record = load_record(web.hub, pid)
    if record is None:
        return None
    return record, _appointments(web, pid)


def view(record: PatientRecord, appointments: list[dict[str, Any]],
         t: Translator) -> dict[str, Any]:
    """Template values of the patient's page."""
    observations = [o for o in record.of("Observation")
                    if _categories(o) & RESULT_CATEGORIES or not o.get("category")]
    results = [{"name": concept_text(o.get("code")), "value": value_text(o),
                "date": str(o.get("effectiveDateTime") or o.get("issued") or "")[:10]}
               for o in newest_first(observations, "effectiveDateTime", "issued")]
    follow_ups = []
    for task in record.of("Task"):
        programme = programme_of(task)
        if programme is None:
            continue
        status = str(task.get("status", "requested"))
        follow_ups.append({
            "programme": programme, "status": status, "status_key": TASK_KEYS.get(status),
            "programme_key": f"programme.{programme}" if t.has(f"programme.{programme}") else None,
            "due": str(((task.get("restriction") or {}).get("period") or {}).get("end", ""))[:10],
        })
    follow_ups.sort(key=lambda f: (f["due"] or "9999", f["programme"]))
    return {
        "name": display_name(record.patient),
        "birth_date": record.patient.get("birthDate", ""),
        "results": [r for r in results if r["value"]][:RESULTS_SHOWN],
        "charts": [{"id": f"chart-{c.id}", "title": t(c.title_key), "figure": fig}
                   for c, fig in figures(record.of("Observation"), t)],
        "appointments": [{"start": str(a.get("start", ""))[:16].replace("T", " "),
                          "status": str(a.get("status", "")),
                          "status_key": APPOINTMENT_KEYS.get(str(a.get("status", ""))),
                          "what": a.get("description") or concept_text(
                              (a.get("serviceType") or [None])[0])}
                         for a in appointments],
        "follow_ups": follow_ups,
    }


def router(web: Web) -> APIRouter:
    """The patient's own page, bound to ``web``."""
    r = APIRouter(include_in_schema=False)

    @r.get("/app/my-health")
    async def my_health(request: Request) -> Response:
        grant = current_grant.get()
        pid = grant.patient if grant is not None else None
        if not pid:
            return web.pages.error(request, 403, "myhealth.patients_only")
        try:
            found = await run_in_threadpool(load_my_health, web, pid)
        except Forbidden:
            return web.pages.error(request, 403, "error.forbidden")
        if found is None:
            return web.pages.error(request, 404, "myhealth.no_record")
        page = web.pages.context(request)
        return web.pages.render(request, "my_health.html", page=page,
                                **view(*found, Translator(page.lang)))

    return r
