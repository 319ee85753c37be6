"""HTTP details of the FHIR API: headers, Prefer, formats and resource responses.

https://hl7.org/fhir/R4/http.html#general
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from carehub.errors import Issue, UnsupportedMediaType
from carehub.fhir_api.errors import FHIR_JSON, operation_outcome
from carehub.storage.base import StoredResource

JSON_TYPES = ("application/fhir+json", "application/json", "application/json-patch+json")


def http_date(instant: str) -> str:
    """A FHIR instant as an HTTP date (Last-Modified).

    >>> http_date("2024-01-02T03:04:05.123456Z")
    'Tue, 02 Jan 2024 03:04:05 GMT'
    """
    dt = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    return format_datetime(dt, usegmt=True)


def base_url(request: Request, configured: str | None) -> str:
    """The public base of the FHIR API (no trailing slash)."""
    if configured:
        return configured.rstrip("/")
    return str(request.base_url).rstrip("/") + "/fhir"


def prefer(request: Request) -> dict[str, str]:
    """The Prefer header as a dict (``return``, ``handling``, ``respond-async``).

    Parsing is lenient: unknown preferences are kept, malformed ones ignored.
    """
    out: dict[str, str] = {}
    for part in request.headers.get("prefer", "").split(","):
        for item in part.split(";"):
            key, _, value = item.strip().partition("=")
            if key:
                out[key.lower()] = value.strip().strip('"')
    return out


def check_json_body(request: Request, patch: bool = False) -> None:
    """Reject bodies that are not JSON (415).

    Raises:
        UnsupportedMediaType: XML or another format was sent.
    """
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not ctype:
        return
    if patch:
        if ctype != "application/json-patch+json":
            raise UnsupportedMediaType(f"PATCH needs application/json-patch+json, not '{ctype}'")
        return
    if ctype not in JSON_TYPES and not ctype.endswith("+json"):
        raise UnsupportedMediaType(f"CareHub reads FHIR JSON only, not '{ctype}'")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A FHIR JSON response."""
    return Response(orjson.dumps(body), status_code=status, media_type=FHIR_JSON, headers=headers)


def resource_headers(stored: StoredResource, base: str, location: bool) -> dict[str, str]:
    """ETag, Last-Modified and (for creates) Location of a stored version."""
    headers = {"ETag": stored.etag, "Last-Modified": http_date(stored.last_updated)}
    if location:
        headers["Location"] = f"{base}/{stored.resource_type}/{stored.id}/_history/{stored.version}"
    return headers


def resource_response(
    stored: StoredResource | None,
    status: int,
    base: str,
    *,
    location: bool = False,
    return_pref: str | None = None,
) -> Response:
    """The response of a read or write, shaped by ``Prefer: return``."""
    if stored is None or stored.body is None:
        return Response(status_code=status)
    headers = resource_headers(stored, base, location)
    if return_pref == "minimal":
        return Response(status_code=status, headers=headers)
    if return_pref == "OperationOutcome":
        outcome = operation_outcome(
            [
                Issue(
                    "information",
                    "informational",
                    f"{stored.resource_type}/{stored.id} version {stored.version} stored",
                )
            ]
        )
        return json_response(outcome, status, headers)
    return Response(stored.body, status_code=status, media_type=FHIR_JSON, headers=headers)
