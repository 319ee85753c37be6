"""The CDS Hooks HTTP API: discovery, service calls and feedback.

https://cds-hooks.hl7.org/2.0/#discovery · https://cds-hooks.hl7.org/2.0/#calling-a-cds-service ·
https://cds-hooks.hl7.org/2.0/#feedback

* ``GET  /cds-services``: the discovery document;
* ``POST /cds-services/{id}``: call a service; 200 with ``{"cards": [...]}``;
* ``POST /cds-services/{id}/feedback``: store feedback; 200 with ``{}``.

Errors are CareHub errors rendered as OperationOutcomes by
:func:`carehub.fhir_api.errors.error_response` (the one error shape): 400 for
malformed JSON, a missing or mistyped field, an unknown hook, a hook the
service does not answer or a context that does not fit it; 404 for an unknown
service; 412 when the service cannot get the FHIR data it needs (prefetch
missing and no usable ``fhirServer``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from carehub.cds_hooks.discovery import CdsService, ServiceCall, ServiceRegistry
from carehub.cds_hooks.feedback import FeedbackStore, MemoryFeedbackStore, parse_feedback
from carehub.cds_hooks.fhir_fetch import FetchSettings, fetch_missing
from carehub.cds_hooks.models import parse_request, response_json
from carehub.cds_hooks.prefetch import split_prefetch
from carehub.errors import CareHubError, Incorrect
from carehub.fhir_api.errors import error_response

JSON = "application/json"


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type=JSON)


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise Incorrect("the request body is empty; expected a JSON object")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Incorrect(f"malformed JSON in the request body: {exc}") from exc


async def call_service(
    service: CdsService, body: Any, fetch: FetchSettings, as_of: datetime.date
) -> dict[str, Any]:
    """Check ``body``, complete its prefetch data, run ``service`` and return the response body.

    Raises:
        Incorrect: the request breaks the specification or does not fit the service.
        PreconditionFailed: prefetch data missing and the FHIR server unusable.
    """
    request = parse_request(body, service.hook)
    data, missing = split_prefetch(service.prefetch, request.prefetch)
    if missing:
        data.update(await fetch_missing(request, service.prefetch, missing, fetch))
    call = ServiceCall(request, data, as_of)
    cards = await run_in_threadpool(service.handler, call)
    return response_json(cards)


def cds_hooks_router(
    services: Iterable[CdsService] | None = None,
    *,
    feedback_store: FeedbackStore | None = None,
    fetch: FetchSettings | None = None,
    today: Callable[[], datetime.date] = datetime.date.today,
) -> APIRouter:
    """The router serving ``services`` (default: the built-in ones) at ``/cds-services``.

    Args:
        services: the CDS Services; ``None`` for
            :func:`~carehub.cds_hooks.services.default_services`.
        feedback_store: where feedback goes (default: in memory).
        fetch: how services reach a client's FHIR server (timeout, on/off,
            transport for tests).
        today: the evaluation date of each call.
    """
    if services is None:
        from carehub.cds_hooks.services import default_services

        services = default_services()
    registry = ServiceRegistry(services)
    store: FeedbackStore = feedback_store if feedback_store is not None else MemoryFeedbackStore()
    fetch_settings = fetch or FetchSettings()
    router = APIRouter(tags=["CDS Hooks"])

    @router.get("/cds-services", summary="CDS Hooks discovery")
    async def discovery() -> Response:
        return _json(registry.discovery())

    @router.post("/cds-services/{service_id}", summary="Call a CDS Service")
    async def call(service_id: str, request: Request) -> Response:
        try:
            service = registry.get(service_id)
            body = await _body(request)
            return _json(await call_service(service, body, fetch_settings, today()))
        except CareHubError as exc:
            return error_response(exc)

    @router.post("/cds-services/{service_id}/feedback", summary="Feedback on cards")
    async def feedback(service_id: str, request: Request) -> Response:
        try:
            registry.get(service_id)
            entries = parse_feedback(service_id, await _body(request))
            store.add(entries)
            return _json({})
        except CareHubError as exc:
            return error_response(exc)

    return router
