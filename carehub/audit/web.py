"""The privacy officer's audit search: ``GET /audit/AuditEvent``.

https://hl7.org/fhir/R4/auditevent.html#search

Parameters: ``patient`` (id or ``Patient/id``), ``agent`` (user name or
client id), ``date`` (repeatable, with ``ge``/``le``/``gt``/``lt`` prefixes
or a plain day), ``_count`` (≤ 500) and ``_offset``. Answers a ``searchset``
Bundle, newest first. The route needs ``carehub.audit`` or ``carehub.admin``
(see :mod:`carehub.security.web.route_table`); it reads the trail only after
the writer has caught up.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from carehub.audit.writer import AuditWriter
from carehub.errors import Incorrect
from carehub.fhir_api.http import json_response


def date_bounds(values: list[str]) -> tuple[str | None, str | None]:
    """(since, until) of ``date`` parameters.

    >>> date_bounds(["ge2025-01-01", "lt2025-02-01"])
    ('2025-01-01', '2025-02-01')
    >>> date_bounds(["2025-03-04"])
    ('2025-03-04', '2025-03-04T23:59:59.999Z')
    """
    since = until = None
    for value in values:
        prefix, rest = value[:2], value[2:]
        if prefix in ("ge", "gt"):
            since = rest
        elif prefix in ("le", "lt"):
            until = rest
        elif value[:1].isdigit():
            since = value
            until = value + "T23:59:59.999Z" if len(value) == 10 else value
        else:
            raise Incorrect(f"date '{value}' is not understood", expression="date")
    return since, until


def audit_router(writer: AuditWriter) -> APIRouter:
    """The audit search route over ``writer``'s trail."""
    r = APIRouter(tags=["audit"])

    @r.get("/audit/AuditEvent")
    async def search(request: Request) -> Response:
        q = request.query_params
        count_text = q.get("_count", "50")
        offset_text = q.get("_offset", "0")
        if not count_text.isdigit() or not offset_text.isdigit():
            raise Incorrect("_count and _offset must be whole numbers")
        since, until = date_bounds(q.getlist("date"))
        patient = (q.get("patient") or "").removeprefix("Patient/") or None

        def run() -> list[dict[str, Any]]:
            writer.flush()
            return writer.trail.search(patient=patient, agent=q.get("agent") or None,
                                       since=since, until=until,
                                       count=min(int(count_text), 500), offset=int(offset_text))

        events = await run_in_threadpool(run)
        bundle = {"resourceType": "Bundle", "type": "searchset",
                  "entry": [{"resource": e, "search": {"mode": "match"}} for e in events]}
        return json_response(bundle)

    return r
