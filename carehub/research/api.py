"""``/research``: research access requests over HTTP.

https://hl7.org/fhir/R4/auditevent.html (each step is audited)

Routes (the security layer requires scope ``carehub.research`` or
``carehub.research.steward`` under ``/research/``, and the steward scope under
``/research/steward/``):

* ``POST /research/requests``: body ``{"project", "purpose", "protocol",
  "ethics_approval", "title"?, "cohort"?}``; 201 with the request;
* ``GET /research/requests``: a researcher's own requests (a steward's: all);
* ``GET /research/requests/{rid}``: one request (its requester or a steward);
* ``POST /research/steward/requests/{rid}/approve`` and ``.../reject`` and
  ``.../revoke``: body ``{"note"}`` (required to reject or revoke).

The caller is the token's subject (``anonymous`` when authorization is off).
Errors are :class:`~carehub.errors.CareHubError` and take the application's
error shape (400 missing field, 403 not allowed, 404 unknown request, 409
already decided).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from carehub.errors import Forbidden, Incorrect
from carehub.research.access.service import AccessService
from carehub.security.context import current_grant
from carehub.security.scopes import ADMIN, RESEARCH_STEWARD

JSON = "application/json"


def caller() -> tuple[str, bool]:
    """(the caller's name, whether they are a data steward) from the request's grant.

    >>> caller()
    ('anonymous', True)
    """
    grant = current_grant.get()
    if grant is None:  # authorization off: a trusted local deployment
        return "anonymous", True
    steward = grant.scopes.has(RESEARCH_STEWARD) or grant.scopes.has(ADMIN)
    return grant.subject, steward


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Incorrect(f"request body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Incorrect("request body must be a JSON object")
    return data


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=JSON)


def research_router(service: Callable[[], AccessService]) -> APIRouter:
    """Routes under ``/research``; ``service`` gives the access service (opened on first use)."""
    router = APIRouter(prefix="/research", tags=["research"])

    @router.post("/requests")
    async def submit(request: Request) -> Response:
        data = await _body(request)
        who, _ = caller()
        made = await run_in_threadpool(service().submit, data, who)
        return _json(made.to_json(), 201)

    @router.get("/requests")
    async def list_requests() -> Response:
        who, steward = caller()
        found = await run_in_threadpool(service().store.list, None if steward else who)
        return _json({"requests": [r.to_json() for r in found]})

    @router.get("/requests/{rid}")
    async def read(rid: str) -> Response:
        who, steward = caller()
        found = await run_in_threadpool(service().get, rid)
        if not steward and found.requester != who:
            raise Forbidden("only its requester or a data steward may read this request")
        return _json(found.to_json())

    async def _decide(request: Request, rid: str, step: str) -> Response:
        note = (await _body(request)).get("note")
        if note is not None and not isinstance(note, str):
            raise Incorrect("note: expected text", expression="note")
        who, _ = caller()
        if step == "revoke":
            done = await run_in_threadpool(service().revoke, rid, who, note or "")
        else:
            done = await run_in_threadpool(service().decide, rid, who, step == "approve", note)
        return _json(done.to_json())

    @router.post("/steward/requests/{rid}/approve")
    async def approve(request: Request, rid: str) -> Response:
        return await _decide(request, rid, "approve")

    @router.post("/steward/requests/{rid}/reject")
    async def reject(request: Request, rid: str) -> Response:
        return await _decide(request, rid, "reject")

    @router.post("/steward/requests/{rid}/revoke")
    async def revoke(request: Request, rid: str) -> Response:
        return await _decide(request, rid, "revoke")

    return router
