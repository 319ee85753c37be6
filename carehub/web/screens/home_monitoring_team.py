"""The care team's home-monitoring pages: the alert worklist and a patient's trends.

https://hl7.org/fhir/R4/task.html and https://hl7.org/fhir/R4/flag.html

* ``GET /app/monitoring/alerts?status=open|all``: the alert Tasks
  (:mod:`carehub.telemed.monitoring.alerts`), newest first: the patient (a
  link to their trends), the measure, the latest out-of-range reading, how
  many readings, since when, the status, and the actions acknowledge and
  resolve (with a note);
* ``POST /app/monitoring/alerts/{task_id}``: one action, CSRF-checked, then
  back to the list (303);
* ``GET /app/monitoring/patients/{pid}``: the patient's trend charts with
  their thresholds, the readings table and their alerts.

The caller is care team: a signed-in user of a worklist role (clinician,
nurse, admin: their ``fhirUser`` Practitioner, else the user acting for the
care team), or anyone with authorization off.

Failure modes: a patient session gets a 403 page; an unknown patient or
alert a 404 page; an unknown action a 400 page; nothing is written on any
of them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from carehub.errors import Forbidden, Incorrect, NotFound
from carehub.security.context import current_grant
from carehub.telemed.actor import Actor, parse_actor
from carehub.telemed.monitoring import alerts
from carehub.telemed.monitoring.service import Monitoring
from carehub.telemed.web_common import relative_ref, touched
from carehub.web.app import Web
from carehub.web.i18n import Translator
from carehub.web.nav import WORKLIST_ROLES
from carehub.web.patient_search import display_name
from carehub.web.screens.home_monitoring import service_of, trend_view
from carehub.web.screens.home_monitoring_charts import rows
from carehub.web.screens.signin import safe_next
from carehub.web.session import checked_form

ACTIONS = ("acknowledge", "resolve")


def staff_actor() -> Actor | None:
    """The care-team caller of this request, or None for a patient or a non-clinical role.

    With authorization off the caller is the system (a development server).
    """
    grant = current_grant.get()
    if grant is None:
        return Actor("system", system=True)
    if grant.role not in WORKLIST_ROLES:
        return None
    if grant.fhir_user and not grant.fhir_user.startswith(("Patient/", "patient/")):
        try:
            return parse_actor(relative_ref(grant.fhir_user))
        except Incorrect:
            return None
    return Actor(f"user:{grant.subject}", system=True)


def _worklist(service: Monitoring, actor: Actor, open_only: bool, t: Translator,
              patient: str | None = None) -> list[dict[str, Any]]:
    tasks = alerts.worklist(service.records, actor, open_only=open_only, patient=patient)
    touched(*tasks)
    names: dict[str, str] = {}
    out = []
    for task in tasks:
        patient = str((task.get("for") or {}).get("reference", ""))
        if patient not in names:
            try:
                names[patient] = display_name(service.records.get(
                    "Patient", patient.removeprefix("Patient/")))
            except NotFound:
                names[patient] = patient
        evidence = [str((i.get("valueReference") or {}).get("reference", ""))
                    for i in task.get("input") or ()]
        latest = ""
        if evidence and evidence[-1].startswith("Observation/"):
            try:
                obs = service.records.get("Observation", evidence[-1].removeprefix("Observation/"))
                shown = rows([obs], t)
                latest = f"{shown[0]['value']} ({shown[0]['when']})" if shown else ""
            except NotFound:
                latest = ""
        status = str(task.get("status", ""))
        out.append({"id": task["id"], "pid": patient.removeprefix("Patient/"),
                    "name": names[patient],
                    "measure": t(f"monitoring.measure.{alerts.measure_of(task)}"),
                    "latest": latest, "count": len(evidence),
                    "since": str(task.get("authoredOn", ""))[:16].replace("T", " "),
                    "status": status, "status_label": t(f"monitoring.alerts.status.{status}"),
                    "open": status in alerts.OPEN, "acknowledged": status == "in-progress"})
    return out


def router(web: Web) -> APIRouter:
    """The care team's home-monitoring routes, bound to ``web``."""
    r = APIRouter(include_in_schema=False)

    @r.get("/app/monitoring/alerts")
    async def worklist(request: Request) -> Response:
        service, actor = service_of(request), staff_actor()
        if service is None:
            return web.pages.error(request, 503, "monitoring.unavailable")
        if actor is None:
            return web.pages.error(request, 403, "monitoring.staff_only")
        show_all = request.query_params.get("status") == "all"
        ctx = web.pages.context(request)
        try:
            items = await run_in_threadpool(_worklist, service, actor, not show_all,
                                            Translator(ctx.lang))
        except Forbidden:
            return web.pages.error(request, 403, "monitoring.staff_only")
        return web.pages.render(request, "home_monitoring_alerts.html", page=ctx, items=items,
                                show_all=show_all, updated=request.query_params.get("updated"),
                                back=request.url.path + (
                                    "?" + request.url.query if request.url.query else ""))

    @r.post("/app/monitoring/alerts/{task_id}")
    async def act(request: Request, task_id: str) -> Response:
        form = await checked_form(request)
        if form is None:
            return web.pages.error(request, 403, "error.csrf")
        service, actor = service_of(request), staff_actor()
        if service is None:
            return web.pages.error(request, 503, "monitoring.unavailable")
        if actor is None:
            return web.pages.error(request, 403, "monitoring.staff_only")
        action = str(form.get("action", ""))
        if action not in ACTIONS:
            return web.pages.error(request, 400, "monitoring.bad_action")
        clock = service.clock
        try:
            if action == "acknowledge":
                written = [await run_in_threadpool(alerts.acknowledge, service.records, actor,
                                                   task_id, clock())]
            else:
                written = await run_in_threadpool(alerts.resolve, service.records, actor,
                                                  task_id, str(form.get("note", "")), clock())
        except Forbidden:
            return web.pages.error(request, 403, "monitoring.staff_only")
        except NotFound:
            return web.pages.error(request, 404, "monitoring.no_alert")
        touched(*written)
        back = safe_next(str(form.get("back", "")) or "/app/monitoring/alerts")
        sep = "&" if "?" in back else "?"
        return RedirectResponse(f"{back}{sep}{urlencode({'updated': task_id})}", status_code=303)

    @r.get("/app/monitoring/patients/{pid}")
    async def patient_page(request: Request, pid: str) -> Response:
        service, actor = service_of(request), staff_actor()
        if service is None:
            return web.pages.error(request, 503, "monitoring.unavailable")
        if actor is None:
            return web.pages.error(request, 403, "monitoring.staff_only")
        ctx = web.pages.context(request)
        t = Translator(ctx.lang)

        def load() -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
            person = service.records.get("Patient", pid)
            view = trend_view(service, actor, f"Patient/{pid}", t)
            mine = _worklist(service, actor, False, t, f"Patient/{pid}")
            return display_name(person), view, mine

        try:
            name, view, items = await run_in_threadpool(load)
        except NotFound:
            return web.pages.error(request, 404, "monitoring.no_patient")
        except Forbidden:
            return web.pages.error(request, 403, "monitoring.staff_only")
        return web.pages.render(request, "home_monitoring_patient.html", page=ctx, name=name,
                                pid=pid, items=items, back=request.url.path, **view)

    return r
