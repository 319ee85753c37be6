"""The patient's home-monitoring page: record a reading, see one's own trends.

https://hl7.org/fhir/R4/observation-vitalsigns.html

* ``GET /app/monitoring``: one small form per measure (blood pressure,
  glucose, weight, SpO2, peak flow, symptoms), the patient's trend charts
  with their alert thresholds, and their recent readings as a table;
* ``POST /app/monitoring``: one reading (CSRF-checked) through the
  home-monitoring service (:mod:`carehub.telemed.monitoring.service`), then
  back to the page (303) saying it was saved and whether the care team was
  alerted. A bad reading re-renders the page (422) with a message per field
  in the page's language; nothing is stored.

The patient is the one of the session's grant; with authorization off (a
development server) ``?patient=<id>`` names them. Staff use the care-team
pages (:mod:`carehub.web.screens.home_monitoring_team`).

Failure modes: a session without a patient in context gets a 403 page; an
unknown patient a 404 page; the service not mounted a 503 page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from carehub.errors import Forbidden, Invalid, Issue, NotFound
from carehub.security.context import current_grant
from carehub.telemed.actor import Actor
from carehub.telemed.monitoring.measures import Measure, measures, symptoms
from carehub.telemed.monitoring.router import monitoring_of
from carehub.telemed.monitoring.service import Monitoring
from carehub.telemed.web_common import touched
from carehub.web.app import Web
from carehub.web.i18n import Translator
from carehub.web.screens.home_monitoring_charts import figures, points, rows
from carehub.web.session import checked_form

Form = Mapping[str, Any]


def service_of(request: Request) -> Monitoring | None:
    """The home-monitoring service of the application, if mounted."""
    tm = getattr(request.app.state, "telemed", None)
    try:
        return monitoring_of(tm) if tm is not None else None
    except KeyError:
        return None


def patient_of(request: Request) -> str | None:
    """``Patient/<id>`` of the signed-in patient (or ``?patient=`` with authorization off)."""
    grant = current_grant.get()
    if grant is not None:
        return f"Patient/{grant.patient}" if grant.patient and grant.role in (
            None, "patient") else None
    asked = request.query_params.get("patient", "")
    return f"Patient/{asked}" if asked and "/" not in asked else None


def _number(text: str) -> float | str | None:
    """A form number (a comma is a decimal separator too); text that is not one is kept.

    >>> _number("7,2"), _number(""), _number("abc")
    (7.2, None, 'abc')
    """
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def reading_from_form(form: Form) -> dict[str, Any]:
    """The short-form reading of a submitted form (see :mod:`~carehub.telemed.monitoring.readings`).

    >>> reading_from_form({"measure": "bp", "systolic": "150", "diastolic": "95",
    ...                    "unit": "mmHg"})
    {'measure': 'bp', 'unit': 'mmHg', 'systolic': 150.0, 'diastolic': 95.0}
    """
    measure_id = str(form.get("measure", ""))
    reading: dict[str, Any] = {"measure": measure_id}
    if measure_id == "symptoms":
        reading["symptoms"] = list(form.get("symptoms") or [])
        return reading
    reading["unit"] = str(form.get("unit", ""))
    for name in ("systolic", "diastolic", "value"):
        if name in form:
            reading[name] = _number(str(form.get(name, "")))
    return reading


def _field(m: Measure | None, name: str, t: Translator) -> str:
    if m is None:
        return t("monitoring.title")
    if name in ("systolic", "diastolic"):
        return f"{t('monitoring.measure.bp')} ({t(f'monitoring.element.{name}')})"
    return t(f"monitoring.measure.{m.id}")


def messages(issues: list[Issue], reading: Mapping[str, Any], t: Translator) -> list[str]:
    """One message per issue in the page's language.

    >>> from carehub.errors import Issue
    >>> messages([Issue("error", "value", "x", ("readings[0].value",))],
    ...          {"measure": "spo2", "value": 140.0, "unit": "%"}, Translator("en"))
    ['SpO2 (oxygen saturation): 140 % is not possible (expected 50 to 100 %).']
    """
    m = measures().get(str(reading.get("measure")))
    out = []
    for issue in issues:
        where = issue.expression[0] if issue.expression else ""
        name = where.rsplit(".", 1)[-1].split("[")[0]
        field = _field(m, name, t)
        raw = reading.get(name)
        element = m.element(name) if m and name != "value" else (
            m.elements[0] if m and m.elements else None)
        unit = element.unit(str(reading.get("unit", ""))) if element else None
        if issue.code == "required" and name == "symptoms":
            out.append(t("monitoring.error.pick_symptom"))
        elif issue.code == "required":
            out.append(t("monitoring.error.required", field=field))
        elif name == "unit":
            out.append(t("monitoring.error.unit", field=field))
        elif issue.code == "business-rule":
            out.append(t("monitoring.error.order"))
        elif name == "symptoms":
            out.append(t("monitoring.error.symptom"))
        elif isinstance(raw, str):
            out.append(t("monitoring.error.number", field=field))
        elif isinstance(raw, float) and unit is not None:
            out.append(t("monitoring.error.range", field=field, value=f"{raw:g}",
                         unit=unit.display, low=f"{unit.low:g}", high=f"{unit.high:g}"))
        else:
            out.append(t("monitoring.error.other"))
    return out


def forms(t: Translator) -> list[dict[str, Any]]:
    """What the template draws for each measure's form."""
    out = []
    for m in measures().values():
        fields = [{"name": e.name if m.is_panel else "value",
                   "label": t(f"monitoring.element.{e.name}") if m.is_panel
                   else t(f"monitoring.measure.{m.id}"),
                   "low": f"{e.canonical.low:g}", "high": f"{e.canonical.high:g}"}
                  for e in m.elements]
        units = [u.display for u in m.elements[0].units] if m.elements else []
        out.append({"id": m.id, "title": t(f"monitoring.measure.{m.id}"), "fields": fields,
                    "units": units, "symptoms": [
                        {"code": s.code, "label": t(f"monitoring.symptom.{s.code}")}
                        for s in symptoms().values()] if m.id == "symptoms" else []})
    return out


def trend_view(service: Monitoring, actor: Actor, patient: str,
               t: Callable[..., str]) -> dict[str, Any]:
    """Charts, table rows and thresholds of ``patient`` (read through the service)."""
    found = service.readings(actor, patient)
    limits = service.thresholds(actor, patient)
    touched(*found)
    return {"charts": figures(points(found), limits, t), "rows": rows(found, t),
            "programme": t(f"monitoring.programme.{limits.programme}"),
            "bounds": [{"measure": t(f"monitoring.measure.{m}"),
                        "element": t(f"monitoring.element.{e}") if measures()[m].is_panel
                        else "", "low": b.low, "high": b.high,
                        "unit": measures()[m].elements[0].canonical.display,
                        "own": (m, e) in limits.overridden}
                       for (m, e), b in limits.bounds.items()]}


def router(web: Web) -> APIRouter:
    """The patient's home-monitoring page and the care team's pages, bound to ``web``."""
    r = APIRouter(include_in_schema=False)

    async def page(request: Request, status: int = 200, errors: list[str] | None = None,
                   chosen: str = "") -> Response:
        service, patient = service_of(request), patient_of(request)
        if service is None:
            return web.pages.error(request, 503, "monitoring.unavailable")
        if patient is None:
            return web.pages.error(request, 403, "monitoring.patients_only")
        ctx = web.pages.context(request)
        t = Translator(ctx.lang)
        try:
            view = await run_in_threadpool(trend_view, service, Actor(patient), patient, t)
        except NotFound:
            return web.pages.error(request, 404, "monitoring.no_patient")
        except Forbidden:
            return web.pages.error(request, 403, "error.forbidden")
        q = request.query_params
        grant = current_grant.get()
        return web.pages.render(
            request, "home_monitoring.html", status=status, page=ctx, forms=forms(t),
            errors=errors or [], chosen=chosen or q.get("saved", ""),
            saved=q.get("saved", "") if not errors else "",
            alerted=q.get("alerted") == "1" and not errors,
            patient_field="" if grant is not None else patient.removeprefix("Patient/"),
            **view)

    @r.get("/app/monitoring")
    async def show(request: Request) -> Response:
        return await page(request)

    @r.post("/app/monitoring")
    async def record(request: Request) -> Response:
        form = await checked_form(request)
        if form is None:
            return web.pages.error(request, 403, "error.csrf")
        service, patient = service_of(request), patient_of(request)
        if patient is None and current_grant.get() is None and form.get("patient"):
            patient = f"Patient/{str(form.get('patient')).replace('/', '')}"
        if service is None:
            return web.pages.error(request, 503, "monitoring.unavailable")
        if patient is None:
            return web.pages.error(request, 403, "monitoring.patients_only")
        values = {k: form.getlist(k) if k == "symptoms" else form.get(k) for k in form}
        reading = reading_from_form(values)
        t = Translator(web.pages.context(request).lang)
        try:
            done = await run_in_threadpool(service.submit, Actor(patient), patient, [reading])
        except Invalid as exc:
            request.scope["query_string"] = urlencode(
                [(k, v) for k, v in request.query_params.multi_items()
                 if k not in ("saved", "alerted")]).encode()
            return await page(request, 422, messages(exc.issues, reading, t),
                              str(reading.get("measure", "")))
        except NotFound:
            return web.pages.error(request, 404, "monitoring.no_patient")
        except Forbidden:
            return web.pages.error(request, 403, "error.forbidden")
        touched(*done.observations, *done.alerts)
        params = [("saved", reading["measure"]), ("alerted", "1" if done.alerts else "0")]
        if current_grant.get() is None:
            params.append(("patient", patient.removeprefix("Patient/")))
        return RedirectResponse(f"/app/monitoring?{urlencode(params)}", status_code=303)

    from carehub.web.screens import home_monitoring_team  # it imports this module

    r.include_router(home_monitoring_team.router(web))
    return r
