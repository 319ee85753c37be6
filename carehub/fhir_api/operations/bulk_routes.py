"""HTTP routes of bulk data: ``$export`` and ``$import`` kick-off, status, files, cancel.

https://hl7.org/fhir/uv/bulkdata/STU2/export.html and
https://hl7.org/fhir/R4/async.html

=========================================  =========================================
``GET  /fhir/$export``                     system-level export kick-off
``GET  /fhir/Patient/$export``             Patient-level export kick-off
``GET  /fhir/Group/{id}/$export``          Group-level export kick-off
``POST /fhir/$import``                     import kick-off (Parameters or NDJSON upload)
``GET  /fhir/$bulk-status/{job}``          202 + ``X-Progress`` while running, 200 + manifest
``DELETE /fhir/$bulk-status/{job}``        cancel the job and delete its files (202)
``GET  /fhir/$bulk-file/{job}/{file}``     one output or error file (``application/fhir+ndjson``)
=========================================  =========================================

Kick-offs need ``Prefer: respond-async`` and answer 202 with the status URL in
``Content-Location``. A failed job's status is its OperationOutcome with 500.
This router must be included before the main FHIR router, whose
``/fhir/{rtype}`` and ``/fhir/{rtype}/{rid}`` routes would otherwise take
these paths.
"""

from __future__ import annotations

from contextvars import copy_context
from dataclasses import replace
from functools import partial

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, Response

from carehub.bulk.export import ExportPlan, parse_export_request, plan_export, run_export
from carehub.bulk.import_job import run_import
from carehub.bulk.jobs import FAILED, UNFINISHED, Job, Runner
from carehub.bulk.manifest import issues_of, manifest
from carehub.bulk.ndjson import NDJSON_CONTENT_TYPES, NDJSON_MEDIA_TYPE
from carehub.bulk.service import BulkService
from carehub.bulk.sources import UPLOAD_NAME, ImportInput, parse_parameters
from carehub.errors import Fault, Incorrect, Issue, UnsupportedMediaType
from carehub.fhir_api.errors import operation_outcome
from carehub.fhir_api.http import JSON_TYPES, base_url, json_response, prefer
from carehub.fhir_api.hub import Hub, parse_resource

STATUS_PATH = "$bulk-status"
FILE_PATH = "$bulk-file"
RETRY_AFTER_S = 1


def require_async(request: Request) -> None:
    """Bulk kick-offs are asynchronous only.

    Raises:
        Incorrect: the request lacks ``Prefer: respond-async``.
    """
    if "respond-async" not in prefer(request):
        raise Incorrect(
            "bulk data requests are asynchronous: send the header Prefer: respond-async",
            issue_code="not-supported",
        )


def build_bulk_router(hub: Hub, bulk: BulkService) -> APIRouter:
    """The bulk data routes, bound to ``hub`` and ``bulk``."""
    r = APIRouter(prefix="/fhir")

    def base(request: Request) -> str:
        return base_url(request, hub.base_url)

    def launch(request: Request, job: Job, runner: Runner, what: str) -> Response:
        context = copy_context()  # the job runs with the kick-off's grant (access control)
        try:
            bulk.jobs.start(job, lambda job_context: context.run(runner, job_context))
        except BaseException:
            bulk.jobs.discard(job)
            raise
        status_url = f"{base(request)}/{STATUS_PATH}/{job.id}"
        note = Issue("information", "informational", f"{what} started; poll {status_url}")
        return json_response(
            operation_outcome([note]), 202, headers={"Content-Location": status_url}
        )

    async def kick_off_export(request: Request, level: str, group_id: str | None) -> Response:
        require_async(request)
        export = parse_export_request(
            hub,
            level,
            list(request.query_params.multi_items()),
            group_id=group_id,
            lenient=prefer(request).get("handling") == "lenient",
        )
        export = replace(export, types=hub.access.export_types(export.types))

        def plan_it() -> ExportPlan:
            with hub.store.session() as session:
                return plan_export(hub, session, export)

        plan = await run_in_threadpool(plan_it) if level == "group" else ExportPlan(export)
        job = bulk.jobs.create("export", str(request.url))
        runner = partial(run_export, hub, plan)
        return launch(request, job, runner, f"{level.capitalize()}-level export")

    @r.get("/$export")
    async def export_system(request: Request) -> Response:
        return await kick_off_export(request, "system", None)

    @r.get("/Patient/$export")
    async def export_patients(request: Request) -> Response:
        return await kick_off_export(request, "patient", None)

    @r.get("/Group/{gid}/$export")
    async def export_group(request: Request, gid: str) -> Response:
        return await kick_off_export(request, "group", gid)

    @r.post("/$import")
    async def import_kick_off(request: Request) -> Response:
        require_async(request)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype in NDJSON_CONTENT_TYPES:
            job = bulk.jobs.create("import", str(request.url))
            try:
                path = job.folder / UPLOAD_NAME
                size = 0
                with path.open("wb") as out:
                    async for chunk in request.stream():
                        out.write(chunk)
                        size += len(chunk)
                if size == 0:
                    raise Incorrect("the NDJSON upload is empty")
            except BaseException:
                bulk.jobs.discard(job)
                raise
            inputs = [ImportInput(UPLOAD_NAME, UPLOAD_NAME, str(path))]
        elif not ctype or ctype in JSON_TYPES or ctype.endswith("+json"):
            body = parse_resource(await request.body(), "Parameters")
            inputs = parse_parameters(body, hub.defs, bulk.imports)
            job = bulk.jobs.create("import", str(request.url))
        else:
            raise UnsupportedMediaType(
                f"$import takes a Parameters resource (application/fhir+json) or an NDJSON "
                f"upload ({NDJSON_MEDIA_TYPE}), not '{ctype}'"
            )
        return launch(request, job, partial(run_import, hub, inputs, bulk.imports), "import")

    @r.get(f"/{STATUS_PATH}/{{job_id}}")
    async def job_status(request: Request, job_id: str) -> Response:
        record = await run_in_threadpool(bulk.jobs.record, job_id)
        if record.status in UNFINISHED:
            # the IG asks for under 100 characters; headers must be plain ASCII here
            progress = (record.progress or record.status)[:99].encode("ascii", "replace").decode()
            headers = {"X-Progress": progress, "Retry-After": str(RETRY_AFTER_S)}
            return Response(status_code=202, headers=headers)
        if record.status == FAILED:
            raise Fault(f"bulk job {job_id} failed", issues=issues_of(record))
        files = f"{base(request)}/{FILE_PATH}/{job_id}/"
        body = manifest(record, lambda name: files + name)
        return Response(orjson.dumps(body), 200, media_type="application/json")

    @r.delete(f"/{STATUS_PATH}/{{job_id}}")
    async def job_cancel(request: Request, job_id: str) -> Response:
        await run_in_threadpool(bulk.jobs.cancel, job_id)
        note = Issue("information", "informational", f"bulk job {job_id} cancelled and removed")
        return json_response(operation_outcome([note]), 202)

    @r.get(f"/{FILE_PATH}/{{job_id}}/{{name}}")
    async def job_file(request: Request, job_id: str, name: str) -> Response:
        path = await run_in_threadpool(bulk.jobs.file, job_id, name)
        return FileResponse(path, media_type=NDJSON_MEDIA_TYPE)

    return r
