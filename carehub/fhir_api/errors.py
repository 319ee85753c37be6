"""The one place where CareHub errors become HTTP statuses and OperationOutcomes.

https://hl7.org/fhir/R4/operationoutcome.html

Every non-2xx response of the FHIR API is an OperationOutcome. The table
:data:`STATUS` maps each error category (most specific first) to its status.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from carehub.errors import (
    Busy,
    CareHubError,
    Conflict,
    Fault,
    Forbidden,
    Gone,
    Incorrect,
    Invalid,
    Issue,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
    Unauthorized,
    Unsupported,
    UnsupportedMediaType,
)

log = logging.getLogger("carehub.fhir_api")

FHIR_JSON = "application/fhir+json; charset=utf-8"

#: category → HTTP status, most specific first
STATUS: tuple[tuple[type[CareHubError], int], ...] = (
    (Invalid, 422),
    (Incorrect, 400),
    (NotFound, 404),
    (Gone, 410),
    (PreconditionFailed, 412),
    (Conflict, 409),
    (Unauthorized, 401),
    (Forbidden, 403),
    (MethodNotAllowed, 405),
    (UnsupportedMediaType, 415),
    (Unsupported, 501),
    (Busy, 503),
    (Fault, 500),
)


def status_of(exc: CareHubError) -> int:
    """The HTTP status of an error category.

    >>> status_of(Gone("x")), status_of(Invalid("y")), status_of(CareHubError("z"))
    (410, 422, 500)
    """
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    """An OperationOutcome resource holding ``issues``.

    >>> operation_outcome([Issue("error", "not-found", "no")])["resourceType"]
    'OperationOutcome'
    """
    return {"resourceType": "OperationOutcome", "issue": [i.to_fhir() for i in issues]}


def outcome_response(
    status: int, issues: list[Issue], headers: dict[str, str] | None = None
) -> Response:
    """A response carrying an OperationOutcome."""
    return Response(
        orjson.dumps(operation_outcome(issues)),
        status_code=status,
        media_type=FHIR_JSON,
        headers=headers,
    )


#: the challenge of a 401 (RFC 6750 §3)
WWW_AUTHENTICATE = 'Bearer realm="CareHub", error="invalid_token"'


def error_response(exc: CareHubError) -> Response:
    """The response for a CareHub error (a 401 carries ``WWW-Authenticate``)."""
    status = status_of(exc)
    headers = {"WWW-Authenticate": WWW_AUTHENTICATE} if status == 401 else None
    return outcome_response(status, exc.issues, headers)


_HTTP_CODES = {404: "not-found", 405: "not-supported", 415: "not-supported"}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the OperationOutcome shape."""

    async def carehub_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, CareHubError)
        if isinstance(exc, Fault):
            log.error("internal error: %s", exc.message)
        return error_response(exc)

    async def http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "processing")
        detail = str(exc.detail) if exc.detail else "request failed"
        if exc.status_code == 404:
            detail = "no such route in the FHIR API"
        return outcome_response(exc.status_code, [Issue("error", code, detail)])

    async def validation_error(_: Request, exc: Exception) -> Response:
        return outcome_response(400, [Issue("error", "invalid", f"malformed request: {exc}")])

    async def unexpected(_: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return outcome_response(
            500, [Issue("fatal", "exception", f"internal error: {type(exc).__name__}")]
        )

    app.add_exception_handler(CareHubError, carehub_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)
