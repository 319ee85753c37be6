"""The patient search screen (``GET /app/patients?q=...``).

See :mod:`carehub.web.patient_search` for what the box understands.

Failure modes: a user who may not search patients gets a 403 page.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from carehub.errors import Forbidden
from carehub.web.app import Web
from carehub.web.patient_search import search_patients


def router(web: Web) -> APIRouter:
    """The search route bound to ``web``."""
    r = APIRouter(include_in_schema=False)

    @r.get("/app/patients")
    async def patients(request: Request) -> Response:
        text = request.query_params.get("q", "")[:200]
        try:
            kind, hits = await run_in_threadpool(search_patients, web.hub, text)
        except Forbidden:
            return web.pages.error(request, 403, "error.forbidden")
        return web.pages.render(request, "patient_search.html", q=text, kind=kind, hits=hits,
                                searched=bool(text.strip()))

    return r
