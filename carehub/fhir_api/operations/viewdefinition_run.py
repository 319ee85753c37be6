"""``ViewDefinition/$run``: run a SQL-on-FHIR ViewDefinition over the hub's data.

https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/OperationDefinition-ViewDefinitionRun.html

=============================================  ===========================================
``POST /fhir/ViewDefinition/$run``             type level: a Parameters body with an inline
                                               ``viewResource`` (or ``viewReference``)
``GET  /fhir/ViewDefinition/$run``             type level: ``viewReference`` in the query
``GET|POST /fhir/ViewDefinition/{name}/$run``  instance level: one of CareHub's standard views
=============================================  ===========================================

Rows come from the store (the view's resource type; ``patient`` keeps one
patient's compartment, ``_since`` the resources changed since then) or from
``resource`` parameters given in the body. ``_format`` (or ``Accept``) picks
JSON, NDJSON, CSV (``header``) or Parquet; ``_limit`` caps the rows. An
invalid ViewDefinition is answered 422, with the JSON path of the problem in
``issue.expression``. The view runs on an in-memory DuckDB engine. This
router is included before the main FHIR router, whose ``/fhir/{rtype}/{rid}``
routes would otherwise take these paths.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from carehub.errors import Incorrect, Invalid, Issue, Unsupported
from carehub.fhir_api.http import check_json_body
from carehub.fhir_api.hub import Hub, parse_resource
from carehub.fhir_model.values import date_range
from carehub.warehouse.run import output_format, run_view
from carehub.warehouse.views import load_view

SCAN_CHUNK = 2000
STANDARD_VIEW_PREFIX = "ViewDefinition/"


@dataclass(slots=True)
class RunRequest:
    """The parameters of one ``$run`` call."""

    view: dict[str, Any] | None = None
    reference: str | None = None
    resources: list[dict[str, Any]] = field(default_factory=list)
    format: str | None = None
    header: bool = True
    patient: str | None = None
    since: str | None = None
    limit: int | None = None


def _value(part: dict[str, Any]) -> Any:
    for key, value in part.items():
        if key.startswith("value"):
            if key == "valueReference" and isinstance(value, dict):
                return value.get("reference")
            return value
    return None


def parse_parameters(body: dict[str, Any], into: RunRequest) -> RunRequest:
    """Read a ``Parameters`` body into ``into``.

    Raises:
        Incorrect: an unknown or unsupported parameter, or a malformed one.
    """
    if body.get("resourceType") != "Parameters":
        raise Incorrect("$run expects a Parameters resource", expression="resourceType")
    for i, part in enumerate(body.get("parameter") or []):
        name = part.get("name")
        where = f"Parameters.parameter[{i}]"
        if name == "viewResource":
            into.view = part.get("resource")
        elif name == "resource":
            if not isinstance(part.get("resource"), dict):
                raise Incorrect("a resource parameter needs a resource", expression=where)
            into.resources.append(part["resource"])
        elif name in ("group", "source"):
            raise Unsupported(f"the {name} parameter is not supported", expression=name)
        elif name in ("viewReference", "_format", "header", "patient", "_since", "_limit"):
            _set(into, name, _value(part), where)
        else:
            raise Incorrect(f"unknown $run parameter '{name}'", expression=where)
    return into


def _set(into: RunRequest, name: str, value: Any, where: str) -> None:
    if value is None:
        raise Incorrect(f"parameter {name} has no value", expression=where)
    if name == "viewReference":
        into.reference = str(value)
    elif name == "_format":
        into.format = str(value)
    elif name == "header":
        into.header = value if isinstance(value, bool) else str(value).lower() != "false"
    elif name == "patient":
        into.patient = str(value)
    elif name == "_since":
        into.since = str(value)
    else:
        try:
            into.limit = int(value)
        except ValueError:
            raise Incorrect("_limit must be an integer", expression="_limit") from None


def query_parameters(request: Request, into: RunRequest) -> RunRequest:
    """Read the URL query parameters of a ``$run`` call into ``into``."""
    for name, value in request.query_params.multi_items():
        if name in ("group", "source"):
            raise Unsupported(f"the {name} parameter is not supported", expression=name)
        if name in ("viewReference", "_format", "header", "patient", "_since", "_limit"):
            _set(into, name, value, name)
    return into


def standard_view(reference: str) -> dict[str, Any]:
    """The standard view a ``ViewDefinition/<name>`` reference (or bare name) points to.

    Raises:
        NotFound: no standard view of that name.
    """
    name = reference.rsplit("|", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return dict(load_view(name).raw)


def _patient_id(reference: str) -> str:
    return reference.removeprefix("Patient/")


class _Runner:
    """Runs one ``$run`` request against the hub (in a worker thread)."""

    def __init__(self, hub: Hub, request: RunRequest, accept: str | None) -> None:
        self.hub = hub
        self.request = request
        self.accept = accept

    def view(self) -> dict[str, Any]:
        req = self.request
        if req.view is not None and req.reference is not None:
            raise Incorrect("give either viewResource or viewReference, not both")
        if req.view is not None:
            return req.view
        if req.reference is not None:
            return standard_view(req.reference)
        raise Incorrect("viewResource or viewReference is required", issue_code="required")

    def resources(self, resource_type: str, folder: Path) -> Path:
        path = folder / "resources.ndjson"
        req = self.request
        with path.open("wb") as out:
            if req.resources:
                for resource in req.resources:
                    out.write(orjson.dumps(resource) + b"\n")
                return path
            since = date_range(req.since)[0] if req.since else None
            patients = [_patient_id(req.patient)] if req.patient else None
            after = 0
            while True:
                with self.hub.store.session() as session:
                    chunk = session.scan(
                        resource_type, since=since, after=after, limit=SCAN_CHUNK, patients=patients
                    )
                for position, body in chunk:
                    after = position
                    out.write((body.encode() if isinstance(body, str) else body) + b"\n")
                if len(chunk) < SCAN_CHUNK:
                    return path

    def __call__(self) -> Response:
        fmt = output_format(self.request.format, self.accept)
        if self.request.limit is not None and self.request.limit < 0:
            raise Incorrect("_limit must not be negative", expression="_limit")
        view = self.view()
        if not isinstance(view, dict):
            raise Invalid("viewResource must be a ViewDefinition object", expression="viewResource")
        prefix = "viewResource." if self.request.view is not None else ""
        with tempfile.TemporaryDirectory(prefix="carehub-run-") as tmp:
            resource_type = view.get("resource")
            files = []
            if isinstance(resource_type, str) and resource_type:
                files.append(self.resources(resource_type, Path(tmp)))
            try:
                result = run_view(
                    view, files, fmt, limit=self.request.limit, header=self.request.header
                )
            except Incorrect as exc:
                raise Invalid(exc.message, issues=_prefixed(exc.issues, prefix)) from None
        return Response(
            result.body, media_type=result.media_type, headers={"X-Row-Count": str(result.rows)}
        )


def _prefixed(issues: list[Issue], prefix: str) -> list[Issue]:
    """The issues with ``prefix`` before each expression (``viewResource.select[0]...``)."""
    return [
        Issue(i.severity, i.code, i.diagnostics, tuple(prefix + e for e in i.expression))
        for i in issues
    ]


def build_run_router(hub: Hub) -> APIRouter:
    """The ``$run`` routes, bound to ``hub``."""
    r = APIRouter(prefix="/fhir")

    async def run(request: Request, params: RunRequest) -> Response:
        runner = _Runner(hub, query_parameters(request, params), request.headers.get("accept"))
        response: Response = await run_in_threadpool(runner)
        return response

    async def body_parameters(request: Request) -> RunRequest:
        raw = await request.body()
        if not raw:
            return RunRequest()
        check_json_body(request)
        return parse_parameters(parse_resource(raw, "Parameters"), RunRequest())

    @r.post("/ViewDefinition/$run")
    async def run_type(request: Request) -> Response:
        return await run(request, await body_parameters(request))

    @r.get("/ViewDefinition/$run")
    async def run_type_get(request: Request) -> Response:
        return await run(request, RunRequest())

    @r.get("/ViewDefinition/{name}/$run")
    async def run_instance_get(request: Request, name: str) -> Response:
        return await run(request, RunRequest(view=standard_view(name)))

    @r.post("/ViewDefinition/{name}/$run")
    async def run_instance(request: Request, name: str) -> Response:
        params = await body_parameters(request)
        if params.view is not None or params.reference is not None:
            raise Incorrect("an instance-level $run takes its view from the URL")
        params.view = standard_view(name)
        return await run(request, params)

    return r
