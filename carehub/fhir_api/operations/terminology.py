"""The terminology operations of the FHIR API.

https://hl7.org/fhir/R4/terminology-service.html

==========================================  =======================================
``GET|POST /fhir/CodeSystem/$lookup``       :func:`carehub.terminology.lookup`
``GET|POST /fhir/CodeSystem/$validate-code`` :func:`~carehub.terminology.validate_in_code_system`
``GET|POST /fhir/ValueSet/$validate-code``  :func:`~carehub.terminology.validate_in_value_set`
``GET|POST /fhir/ValueSet/$expand``         :func:`carehub.terminology.expand`
==========================================  =======================================

GET takes the query string, POST a Parameters body (query parameters are
added to it). The answers are Parameters (``$expand``: the ValueSet). A
missing parameter is a 400, an unknown code system or value set a 404 with a
suggestion, both as OperationOutcome. This router is included before the
main FHIR router, whose ``/fhir/{rtype}/{rid}`` routes would otherwise take
these paths.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from carehub.fhir_api.http import check_json_body, json_response
from carehub.fhir_api.hub import parse_resource
from carehub.terminology import (
    OperationInput,
    Terminology,
    expand,
    from_parameters,
    from_query,
    lookup,
    validate_in_code_system,
    validate_in_value_set,
)

Operation = Callable[[Terminology, OperationInput], dict[str, Any]]

ROUTES: tuple[tuple[str, Operation], ...] = (
    ("/CodeSystem/$lookup", lookup),
    ("/CodeSystem/$validate-code", validate_in_code_system),
    ("/ValueSet/$validate-code", validate_in_value_set),
    ("/ValueSet/$expand", expand),
)


def build_terminology_router(terminology: Terminology) -> APIRouter:
    """The terminology routes, bound to ``terminology``."""
    r = APIRouter(prefix="/fhir")

    def handlers(op: Operation) -> tuple[Callable[[Request], Awaitable[Response]],
                                         Callable[[Request], Awaitable[Response]]]:
        async def get(request: Request) -> Response:
            given = from_query(request.query_params.multi_items())
            return json_response(await run_in_threadpool(op, terminology, given))

        async def post(request: Request) -> Response:
            given = from_query(request.query_params.multi_items())
            raw = await request.body()
            if raw:
                check_json_body(request)
                given = from_parameters(parse_resource(raw, "Parameters"), given)
            return json_response(await run_in_threadpool(op, terminology, given))

        return get, post

    for path, op in ROUTES:
        get, post = handlers(op)
        r.add_api_route(path, get, methods=["GET"], name=f"{path} GET")
        r.add_api_route(path, post, methods=["POST"], name=f"{path} POST")
    return r
