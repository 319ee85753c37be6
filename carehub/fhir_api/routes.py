"""The route table of the FHIR REST API, mounted at ``/fhir``.

https://hl7.org/fhir/R4/http.html

Each route reads the request, opens one store session and calls an
interaction function; the database work runs in the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from carehub.errors import Incorrect
from carehub.fhir_api.bundles import fragment
from carehub.fhir_api.capabilities import capability_statement
from carehub.fhir_api.http import (
    base_url,
    check_json_body,
    json_response,
    prefer,
    resource_response,
)
from carehub.fhir_api.hub import Hub, parse_resource
from carehub.fhir_api.interactions.create import create
from carehub.fhir_api.interactions.delete import conditional_delete, delete
from carehub.fhir_api.interactions.entry import EntryRequest
from carehub.fhir_api.interactions.history import history
from carehub.fhir_api.interactions.outcome import Outcome, parse_if_match
from carehub.fhir_api.interactions.patch import patch
from carehub.fhir_api.interactions.read import read, vread
from carehub.fhir_api.interactions.search import search
from carehub.fhir_api.interactions.transaction import process_bundle, status_line
from carehub.fhir_api.interactions.update import conditional_update, update
from carehub.fhir_api.operations.patient_everything import patient_everything


def _items(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


def build_router(hub: Hub, default_count: int = 20, max_count: int = 1000) -> APIRouter:
    """Every FHIR route, bound to ``hub``."""
    r = APIRouter(prefix="/fhir")
    capability: dict[str, Any] = {}

    def base(request: Request) -> str:
        return base_url(request, hub.base_url)

    async def in_session(write: bool, fn: Callable[[Any], Any]) -> Any:
        def work() -> Any:
            with hub.store.session(write=write) as session:
                return fn(session)

        return await run_in_threadpool(work)

    def write_response(request: Request, outcome: Outcome) -> Response:
        return resource_response(
            outcome.stored,
            outcome.status,
            base(request),
            location=outcome.location,
            return_pref=prefer(request).get("return"),
        )

    @r.get("/metadata")
    async def metadata(request: Request) -> Response:
        if not capability:
            capability.update(capability_statement(hub.defs, hub.parser, base(request)))
        return json_response(capability)

    @r.post("")
    @r.post("/")
    async def bundle(request: Request) -> Response:
        check_json_body(request)
        raw = parse_resource(await request.body(), "Bundle")
        b = base(request)
        want_body = prefer(request).get("return") == "representation"

        def render(outcome: Outcome, req: EntryRequest) -> dict[str, Any]:
            resp: dict[str, Any] = {"status": status_line(outcome.status)}
            entry: dict[str, Any] = {}
            st = outcome.stored
            if st is not None:
                entry["fullUrl"] = f"{b}/{st.resource_type}/{st.id}"
                resp["etag"] = st.etag
                resp["lastModified"] = st.last_updated
                if req.method in ("POST", "PUT"):
                    resp["location"] = f"{st.resource_type}/{st.id}/_history/{st.version}"
                if st.body is not None and (want_body or req.method in ("GET", "HEAD")):
                    entry["resource"] = fragment(st)
            if outcome.body is not None:
                entry["resource"] = outcome.body
            entry["response"] = resp
            return entry

        result = await run_in_threadpool(process_bundle, hub, raw, b, render)
        return json_response(result)

    @r.get("/_history")
    async def history_system(request: Request) -> Response:
        items, b = _items(request), base(request)
        return json_response(
            await in_session(
                False, lambda s: history(hub, s, None, None, items, b, max_count, default_count)
            )
        )

    @r.get("/{rtype}")
    async def search_type(request: Request, rtype: str) -> Response:
        items, b = _items(request), base(request)
        strict = prefer(request).get("handling") == "strict"
        return json_response(
            await in_session(False, lambda s: search(hub, s, rtype, items, b, strict=strict))
        )

    @r.post("/{rtype}/_search")
    async def search_post(request: Request, rtype: str) -> Response:
        ctype = request.headers.get("content-type", "").split(";")[0].strip()
        body = (await request.body()).decode("utf-8", errors="replace")
        if body and ctype != "application/x-www-form-urlencoded":
            raise Incorrect("POST _search needs application/x-www-form-urlencoded parameters")
        items = _items(request) + parse_qsl(body, keep_blank_values=True)
        b = base(request)
        strict = prefer(request).get("handling") == "strict"
        return json_response(
            await in_session(False, lambda s: search(hub, s, rtype, items, b, strict=strict))
        )

    @r.post("/{rtype}")
    async def create_type(request: Request, rtype: str) -> Response:
        check_json_body(request)
        hub.check_type(rtype)
        resource = parse_resource(await request.body(), rtype)
        cond = request.headers.get("if-none-exist")
        outcome = await in_session(True, lambda s: create(hub, s, resource, cond))
        return write_response(request, outcome)

    @r.put("/{rtype}")
    async def update_conditional(request: Request, rtype: str) -> Response:
        check_json_body(request)
        query = request.url.query
        if not query:
            raise Incorrect("PUT on a type needs search parameters (conditional update)")
        resource = parse_resource(await request.body(), rtype)
        if_match = parse_if_match(request.headers.get("if-match"))
        outcome = await in_session(
            True, lambda s: conditional_update(hub, s, rtype, query, resource, if_match)
        )
        return write_response(request, outcome)

    @r.delete("/{rtype}")
    async def delete_conditional(request: Request, rtype: str) -> Response:
        query = request.url.query
        if not query:
            raise Incorrect("DELETE on a type needs search parameters (conditional delete)")
        outcome = await in_session(True, lambda s: conditional_delete(hub, s, rtype, query))
        return Response(status_code=outcome.status)

    @r.get("/{rtype}/_history")
    async def history_type(request: Request, rtype: str) -> Response:
        items, b = _items(request), base(request)
        return json_response(
            await in_session(
                False, lambda s: history(hub, s, rtype, None, items, b, max_count, default_count)
            )
        )

    @r.get("/Patient/{rid}/$everything")
    async def everything(request: Request, rid: str) -> Response:
        items, b = _items(request), base(request)
        return json_response(
            await in_session(False, lambda s: patient_everything(hub, s, rid, items, b, max_count))
        )

    @r.get("/{rtype}/{rid}")
    async def read_instance(request: Request, rtype: str, rid: str) -> Response:
        stored = await in_session(False, lambda s: read(hub, s, rtype, rid))
        if request.headers.get("if-none-match") == stored.etag:
            return Response(status_code=304, headers={"ETag": stored.etag})
        return resource_response(stored, 200, base(request))

    @r.put("/{rtype}/{rid}")
    async def update_instance(request: Request, rtype: str, rid: str) -> Response:
        check_json_body(request)
        hub.check_type(rtype)
        resource = parse_resource(await request.body(), rtype)
        if_match = parse_if_match(request.headers.get("if-match"))
        outcome = await in_session(True, lambda s: update(hub, s, rtype, rid, resource, if_match))
        return write_response(request, outcome)

    @r.patch("/{rtype}/{rid}")
    async def patch_instance(request: Request, rtype: str, rid: str) -> Response:
        check_json_body(request, patch=True)
        try:
            ops = orjson.loads(await request.body())
        except orjson.JSONDecodeError as exc:
            raise Incorrect(f"the JSON Patch is not valid JSON: {exc}") from None
        if_match = parse_if_match(request.headers.get("if-match"))
        outcome = await in_session(True, lambda s: patch(hub, s, rtype, rid, ops, if_match))
        return write_response(request, outcome)

    @r.delete("/{rtype}/{rid}")
    async def delete_instance(request: Request, rtype: str, rid: str) -> Response:
        if_match = parse_if_match(request.headers.get("if-match"))
        outcome = await in_session(True, lambda s: delete(hub, s, rtype, rid, if_match))
        headers = {"ETag": outcome.stored.etag} if outcome.stored is not None else None
        return Response(status_code=204, headers=headers)

    @r.get("/{rtype}/{rid}/_history")
    async def history_instance(request: Request, rtype: str, rid: str) -> Response:
        items, b = _items(request), base(request)
        return json_response(
            await in_session(
                False, lambda s: history(hub, s, rtype, rid, items, b, max_count, default_count)
            )
        )

    @r.get("/{rtype}/{rid}/_history/{vid}")
    async def vread_instance(request: Request, rtype: str, rid: str, vid: str) -> Response:
        stored = await in_session(False, lambda s: vread(hub, s, rtype, rid, vid))
        return resource_response(stored, 200, base(request))

    return r
