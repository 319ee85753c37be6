"""Screening worklists: per programme, filtered, sorted, paged, worked and exported.

* ``GET /app/worklists``: the programmes with their number of entries;
* ``GET /app/worklists/{programme}``: filters (screening status such as due,
  overdue or positive; department; age range), sorting, paging; each row
  shows the patient (read through the guarded store), the finding, and the
  current status of its FHIR Task with the actions contacted, booked, done
  and declined;
* ``POST /app/worklists/{programme}/tasks/{task_id}``: one action
  (:mod:`carehub.web.task_actions`), CSRF-checked, then back to the list;
* ``GET /app/worklists/{programme}/export.csv``: every row of the filtered
  list as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read
  Vietnamese names).

Rows come from :class:`~carehub.web.worklist_source.WorklistSource`; a
department-scoped user only gets their department's patients.

Failure modes: malformed filters are a 400 page; an unknown programme a 404
page; a forbidden action a 403 page; nothing is written on any of them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from carehub.errors import Forbidden, Incorrect, NotFound
from carehub.screening.evaluate import PROGRAMMES
from carehub.screening.writeback import resource_id
from carehub.security.context import current_grant
from carehub.web.app import Web
from carehub.web.explanations import explain, stored_message
from carehub.web.i18n import Translator
from carehub.web.patient_search import display_name
from carehub.web.screens.signin import safe_next
from carehub.web.session import checked_form
from carehub.web.task_actions import ACTIONS, WORKFLOW_SYSTEM, record_action
from carehub.web.worklist_source import SORTS, STATUSES, WorklistQuery, WorklistRow

CSV_COLUMNS = ("patient_id", "name", "programme", "rule", "status", "title", "due_date", "age",
               "sex", "department", "task_status")


def _int(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 4:
        raise Incorrect(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def parse_query(programme: str, params: Any, page_size: int) -> WorklistQuery:
    """The :class:`WorklistQuery` of a request's query parameters.

    Raises:
        Incorrect: a malformed number, an unknown status or sort.

    >>> from starlette.datastructures import QueryParams
    >>> q = parse_query("kidney", QueryParams("status=due&status=overdue&age_min=40&sort=age"), 50)
    >>> q.statuses, q.age_min, q.sort, q.page
    (('due', 'overdue'), 40, 'age', 1)
    >>> parse_query("kidney", QueryParams("age_min=forty"), 50)
    Traceback (most recent call last):
    carehub.errors.Incorrect: age_min must be a whole number, not 'forty'
    """
    statuses = tuple(s for s in params.getlist("status") if s)
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise Incorrect(f"unknown worklist status {bad[0]!r}")
    sort = params.get("sort") or "due"
    if sort not in SORTS:
        raise Incorrect(f"unknown worklist sort {sort!r}")
    grant = current_grant.get()
    return WorklistQuery(
        programme=programme, statuses=statuses, department=params.get("department") or None,
        age_min=_int(params, "age_min"), age_max=_int(params, "age_max"), sort=sort,
        descending=params.get("order") == "desc", page=_int(params, "page") or 1,
        page_size=page_size,
        restrict_department=grant.department if grant is not None else None,
    )


def _task_ids(rows: list[WorklistRow]) -> dict[tuple[str, str], str]:
    return {(r.patient_id, r.rule): resource_id("task", r.patient_id, f"{r.programme}.{r.rule}")
            for r in rows}


def _decorate(web: Web, rows: list[WorklistRow]) -> tuple[list[dict[str, Any]], int]:
    """Rows with patient names and Task states read through the hub; hidden ones dropped."""
    ids = _task_ids(rows)
    pids = sorted({r.patient_id.removeprefix("Patient/") for r in rows})
    with web.hub.store.session() as session:
        patients = session.read_many("Patient", pids) if pids else {}
        try:
            tasks = session.read_many("Task", sorted(ids.values())) if ids else {}
        except Forbidden:
            tasks = {}
    out: list[dict[str, Any]] = []
    hidden = 0
    for row in rows:
        stored = patients.get(row.patient_id.removeprefix("Patient/"))
        if stored is None or stored.body is None:
            hidden += 1
            continue
        tid = ids[(row.patient_id, row.rule)]
        task = tasks.get(tid)
        body = orjson.loads(task.body) if task is not None and task.body else None
        out.append({"row": row, "name": display_name(orjson.loads(stored.body)),
                    "pid": row.patient_id.removeprefix("Patient/"), "task_id": tid,
                    "task_status": body.get("status") if body else None,
                    "workflow": workflow_code(body)})
    return out, hidden


def workflow_code(task: dict[str, Any] | None) -> str | None:
    """The worklist action last recorded on a Task (None before any).

    >>> workflow_code({"businessStatus": {"coding": [{"system": WORKFLOW_SYSTEM,
    ...                                                "code": "booked"}]}})
    'booked'
    >>> workflow_code({"businessStatus": {"coding": [{"code": "due"}]}}) is None
    True
    """
    for coding in ((task or {}).get("businessStatus") or {}).get("coding") or []:
        if coding.get("system") == WORKFLOW_SYSTEM and coding.get("code") in ACTIONS:
            return str(coding["code"])
    return None


def _known(web: Web, programme: str) -> bool:
    return programme in PROGRAMMES or programme in dict(web.worklists.programmes())


def router(web: Web) -> APIRouter:
    """The worklist routes bound to ``web``."""
    r = APIRouter(include_in_schema=False)

    @r.get("/app/worklists")
    async def overview(request: Request) -> Response:
        counts = await run_in_threadpool(web.worklists.programmes)
        return web.pages.render(request, "worklists.html", counts=counts,
                                available=bool(counts))

    @r.get("/app/worklists/{programme}")
    async def worklist(request: Request, programme: str) -> Response:
        if not _known(web, programme):
            return web.pages.error(request, 404, "error.no_programme")
        try:
            q = parse_query(programme, request.query_params, web.config.page_size)
        except Incorrect:
            return web.pages.error(request, 400, "error.bad_filter")
        page = await run_in_threadpool(web.worklists.page, q)
        try:
            rows, hidden = await run_in_threadpool(_decorate, web, page.rows)
        except Forbidden:
            return web.pages.error(request, 403, "error.forbidden")
        departments = await run_in_threadpool(web.worklists.departments)
        t = Translator(web.pages.context(request).lang)
        for item in rows:
            row = item["row"]
            item["title"] = explain(stored_message(row.messages, "title"), t, row.title)
        base = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page",
                                                                                  "updated")]
        return web.pages.render(
            request, "worklist.html", programme=programme, q=q, page_info=page, rows=rows,
            hidden=hidden, departments=departments, statuses=STATUSES, sorts=list(SORTS),
            actions=list(ACTIONS), updated=request.query_params.get("updated"),
            back=request.url.path + ("?" + request.url.query if request.url.query else ""),
            page_url=lambda n: f"{request.url.path}?{urlencode([*base, ('page', str(n))])}",
            export_url=f"{request.url.path}/export.csv?{urlencode(base)}",
        )

    @r.post("/app/worklists/{programme}/tasks/{task_id}")
    async def act(request: Request, programme: str, task_id: str) -> Response:
        form = await checked_form(request)
        if form is None:
            return web.pages.error(request, 403, "error.csrf")
        grant = current_grant.get()
        who = grant.subject if grant is not None else "carehub-web"
        try:
            await run_in_threadpool(record_action, web.hub, task_id, str(form.get("action", "")),
                                    who)
        except Forbidden:
            return web.pages.error(request, 403, "error.forbidden")
        except NotFound:
            return web.pages.error(request, 404, "error.no_task")
        except Incorrect:
            return web.pages.error(request, 400, "error.bad_action")
        back = safe_next(str(form.get("back", "")))
        sep = "&" if "?" in back else "?"
        return RedirectResponse(f"{back}{sep}{urlencode({'updated': task_id})}", status_code=303)

    @r.get("/app/worklists/{programme}/export.csv")
    async def export(request: Request, programme: str) -> Response:
        if not _known(web, programme):
            return web.pages.error(request, 404, "error.no_programme")
        try:
            q = parse_query(programme, request.query_params, web.config.page_size)
        except Incorrect:
            return web.pages.error(request, 400, "error.bad_filter")
        text = await run_in_threadpool(_csv, web, q)
        return StreamingResponse(
            iter([text]), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="worklist-{programme}.csv"',
                     "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    return r


def _csv(web: Web, q: WorklistQuery) -> str:
    """The whole filtered worklist as CSV text (rows hidden from the user left out)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for chunk in _chunks(web.worklists.all_rows(replace(q, page=1), chunk=500), 500):
        rows, _ = _decorate(web, chunk)
        for item in rows:
            row: WorklistRow = item["row"]
            writer.writerow([row.patient_id, item["name"], row.programme, row.rule, row.status,
                             row.title, row.due_date or "", row.age or "", row.sex or "",
                             row.department or "", item["task_status"] or ""])
    return buffer.getvalue()


def _chunks(rows: Iterator[WorklistRow], size: int) -> Iterator[list[WorklistRow]]:
    chunk: list[WorklistRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
