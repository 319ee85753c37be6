"""The home-monitoring HTTP API under ``/telemed/monitoring`` (JSON in, FHIR resources out).

https://hl7.org/fhir/R4/observation.html, https://hl7.org/fhir/R4/task.html

* ``POST /telemed/monitoring/readings``: one reading or a batch, as
  ``{patient?, readings: [...]}``, a single short-form reading, a FHIR
  Observation or a Bundle of Observations (devices); ``patient`` defaults to
  the calling patient or the Observations' ``subject``. 201 with
  ``{"observations": Bundle, "alerts": Bundle}``; a bad reading refuses the
  whole request with a 422 OperationOutcome naming each element, and nothing
  is stored;
* ``GET /telemed/monitoring/readings?patient=&measure=&days=``: the trend (oldest first);
* ``GET /telemed/monitoring/measures``: the measures, units, ranges and symptoms;
* ``GET /telemed/monitoring/thresholds?patient=``: the thresholds in force;
* ``POST /telemed/monitoring/thresholds`` {patient, programme?, targets?}: the
  patient's monitoring Goal (care team);
* ``GET /telemed/monitoring/alerts?status=open|all&patient=``: the care team's worklist;
* ``POST /telemed/monitoring/alerts/{id}/$acknowledge`` and ``.../$resolve`` {note?}.

Every route needs a token with a clinical scope
(:mod:`carehub.security.web.route_table`, prefix ``/telemed/``); the caller is
:func:`~carehub.telemed.web_common.request_actor`. Errors are
OperationOutcomes (400 bad body, 403 not allowed, 404 unknown, 422 bad reading).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from carehub.errors import Incorrect
from carehub.telemed.actor import Actor
from carehub.telemed.monitoring import alerts
from carehub.telemed.monitoring.measures import measures, symptoms
from carehub.telemed.monitoring.service import Monitoring, MonitoringConfig
from carehub.telemed.monitoring.thresholds import programme_defaults
from carehub.telemed.router import bundle, fhir
from carehub.telemed.web_common import Telemed, field_str, json_body, request_actor, touched

SERVICE_KEY = "monitoring"
"""Where the service is kept in :attr:`Telemed.extra` (the web screens read it there)."""


def monitoring_of(tm: Telemed) -> Monitoring:
    """The home-monitoring service mounted on ``tm``.

    Raises:
        KeyError: :func:`monitoring_router` was not called for ``tm``.
    """
    service: Monitoring = tm.extra[SERVICE_KEY]
    return service


def _patient(actor: Actor, given: Any) -> str:
    if isinstance(given, str) and given:
        return given
    if actor.is_patient:
        return actor.reference
    raise Incorrect("'patient' is required", expression="patient")


def split_body(body: dict[str, Any], actor: Actor) -> tuple[str, Any]:
    """(patient, readings) of a submission in any accepted shape (see the module docstring).

    >>> split_body({"measure": "spo2", "value": 97, "unit": "%"}, Actor("Patient/p1"))[0]
    'Patient/p1'
    >>> split_body({"resourceType": "Bundle", "entry": [{"resource": {
    ...     "resourceType": "Observation", "subject": {"reference": "Patient/p2"}}}]},
    ...     Actor("Device/d", system=True))[0]
    'Patient/p2'
    """
    kind = body.get("resourceType")
    if kind in ("Bundle", "Observation"):
        items = ([e.get("resource") if isinstance(e, dict) else e for e in body.get("entry") or []]
                 if kind == "Bundle" else [body])
        subjects = {str(((i.get("subject") or {}) if isinstance(i, dict) else {}).get(
            "reference", "")) for i in items} - {""}
        if len(subjects) > 1:
            raise Incorrect("the Observations of one request must share one subject",
                            expression="Observation.subject")
        return _patient(actor, next(iter(subjects), None)), items
    if "readings" in body:
        return _patient(actor, body.get("patient")), body["readings"]
    rest = {k: v for k, v in body.items() if k != "patient"}
    return _patient(actor, body.get("patient")), [rest]


def _days(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 0 < int(raw) <= 3660:
        raise Incorrect("'days' must be a whole number from 1 to 3660", expression="days")
    return int(raw)


def monitoring_router(tm: Telemed, settings: Any = None) -> APIRouter:
    """The routes of the module docstring; the service is kept in ``tm.extra``.

    ``settings`` (the application's :class:`~carehub.settings.Settings`) gives the
    ``CAREHUB_MONITORING_*`` values, read once here; None: the defaults.

    Raises:
        Incorrect: ``CAREHUB_MONITORING_PROGRAMME`` names no programme.
    """
    config = MonitoringConfig() if settings is None else MonitoringConfig.from_settings(settings)
    programme_defaults(config.programme)  # an unknown default programme fails at start-up
    service = Monitoring(tm.records, config, clock=lambda: tm.clock(), notifier=tm.notifier)
    tm.extra[SERVICE_KEY] = service
    router = APIRouter(prefix="/telemed/monitoring", tags=["telemedicine"])

    @router.post("/readings")
    async def submit(request: Request) -> Response:
        body, actor = await json_body(request), request_actor(request)
        patient, items = split_body(body, actor)
        done = await run_in_threadpool(service.submit, actor, patient, items)
        touched(*done.observations, *done.alerts)
        return fhir({"observations": bundle(done.observations), "alerts": bundle(done.alerts)},
                    201)

    @router.get("/readings")
    async def trend(request: Request, patient: str | None = None, measure: str | None = None,
                    days: str | None = None) -> Response:
        actor = request_actor(request)
        found = await run_in_threadpool(service.readings, actor, _patient(actor, patient),
                                        measure or None, _days(days))
        touched(*found)
        return fhir(bundle(found))

    @router.get("/measures")
    async def catalogue(request: Request) -> Response:
        request_actor(request)
        return fhir({
            "measures": [{"id": m.id, "code": m.code, "display": m.display, "elements": [
                {"name": e.name, "code": e.code, "units": [
                    {"code": u.code, "display": u.display, "low": u.low, "high": u.high}
                    for u in e.units]} for e in m.elements]} for m in measures().values()],
            "symptoms": [{"code": s.code, "snomed": s.snomed, "display": s.display}
                         for s in symptoms().values()],
        })

    @router.get("/thresholds")
    async def thresholds(request: Request, patient: str | None = None) -> Response:
        actor = request_actor(request)
        found = await run_in_threadpool(service.thresholds, actor, _patient(actor, patient))
        return fhir(found.as_json())

    @router.post("/thresholds")
    async def set_thresholds(request: Request) -> Response:
        body, actor = await json_body(request), request_actor(request)
        goal = await run_in_threadpool(
            service.set_thresholds, actor, field_str(body, "patient"),
            field_str(body, "programme", required=False) or None, body.get("targets"))
        touched(goal)
        return fhir(goal)

    @router.get("/alerts")
    async def worklist(request: Request, status: str = "open",
                       patient: str | None = None) -> Response:
        actor = request_actor(request)
        if status not in ("open", "all"):
            raise Incorrect("'status' is open or all", expression="status")
        found = await run_in_threadpool(lambda: alerts.worklist(
            tm.records, actor, open_only=status == "open", patient=patient or None))
        touched(*found)
        return fhir(bundle(found))

    @router.post("/alerts/{task_id}/$acknowledge")
    async def acknowledge(task_id: str, request: Request) -> Response:
        actor = request_actor(request)
        task = await run_in_threadpool(alerts.acknowledge, tm.records, actor, task_id, tm.clock())
        touched(task)
        return fhir(task)

    @router.post("/alerts/{task_id}/$resolve")
    async def resolve(task_id: str, request: Request) -> Response:
        body, actor = await json_body(request), request_actor(request)
        written = await run_in_threadpool(alerts.resolve, tm.records, actor, task_id,
                                          field_str(body, "note", required=False), tm.clock())
        touched(*written)
        return fhir(bundle(written))

    return router
