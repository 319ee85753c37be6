"""Fetching what the CDS Client did not prefetch from its FHIR server.

https://cds-hooks.hl7.org/2.0/#fhir-resource-access

When a prefetch key is missing (or holds an OperationOutcome), the service
renders the key's template and GETs it from ``request.fhirServer``, sending the
``fhirAuthorization.access_token`` as a bearer token. Searchset pages are
followed (``link[relation=next]``, on the same server only, so the token never
leaves it) up to :data:`MAX_PAGES`. The service answers
412 Precondition Failed when it cannot get data it needs
(:class:`~carehub.errors.PreconditionFailed`): no ``fhirServer``, or the server
fails or refuses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from carehub.cds_hooks.models import HookRequest
from carehub.cds_hooks.prefetch import render
from carehub.errors import PreconditionFailed

MAX_PAGES = 10
"""Searchset pages followed per template."""
FHIR_JSON = "application/fhir+json"


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """How a service reaches a CDS Client's FHIR server.

    Args:
        enabled: whether the service may call ``fhirServer`` at all.
        timeout: seconds per HTTP request.
        transport: replaces the network (tests: ``httpx.MockTransport`` or an
            ``httpx.ASGITransport`` over a FHIR app).
    """

    enabled: bool = True
    timeout: float = 10.0
    transport: httpx.AsyncBaseTransport | None = None


def _base(url: str) -> str:
    return url.rstrip("/") + "/"


def _same_server(url: str, base: str) -> bool:
    """Whether ``url`` lies under ``base`` (so the bearer token may go there).

    >>> _same_server("https://a.org/fhir/Observation?x", "https://a.org/fhir/")
    True
    >>> _same_server("https://evil.org/fhir/Observation", "https://a.org/fhir/")
    False
    """
    return url.startswith(base)


async def _get(client: httpx.AsyncClient, url: str, what: str) -> Any:
    try:
        response = await client.get(url)
    except httpx.HTTPError as exc:
        raise PreconditionFailed(
            f"cannot fetch {what} from the FHIR server: {type(exc).__name__}: {exc}"
        ) from exc
    if response.status_code in (404, 410):
        return None
    if response.status_code != 200:
        raise PreconditionFailed(
            f"the FHIR server answered {response.status_code} for {what}; "
            "the service cannot get the data it needs"
        )
    try:
        return response.json()
    except ValueError as exc:
        raise PreconditionFailed(f"the FHIR server's answer for {what} is not JSON") from exc


def _next_link(bundle: Mapping[str, Any]) -> str | None:
    for link in bundle.get("link") or ():
        if isinstance(link, Mapping) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) else None
    return None


async def _fetch_one(client: httpx.AsyncClient, base: str, relative: str) -> Any:
    first = await _get(client, base + relative.lstrip("/"), relative)
    if not isinstance(first, dict) or first.get("resourceType") != "Bundle":
        return first
    entries = list(first.get("entry") or [])
    page, pages = first, 1
    while (nxt := _next_link(page)) is not None and pages < MAX_PAGES:
        if not _same_server(nxt, base):
            break
        page = await _get(client, nxt, relative)
        if not isinstance(page, dict):
            break
        entries.extend(page.get("entry") or [])
        pages += 1
    merged = {k: v for k, v in first.items() if k != "link"}
    merged["entry"] = entries
    return merged


async def fetch_missing(
    request: HookRequest,
    templates: Mapping[str, str],
    keys: Sequence[str],
    settings: FetchSettings,
) -> dict[str, Any]:
    """Fetch the prefetch ``keys`` of ``templates`` from the request's FHIR server.

    A template whose tokens have no value in the context (e.g. no
    ``encounterId``) yields ``None`` without a request.

    Returns:
        key → the resource, the searchset Bundle (pages merged), or ``None``.

    Raises:
        PreconditionFailed: keys to fetch but no ``fhirServer`` (or fetching is
            switched off), a network failure, or a status other than 200/404/410.
    """
    urls = {key: render(templates[key], request.context) for key in keys}
    out: dict[str, Any] = {key: None for key, url in urls.items() if url is None}
    todo = {key: url for key, url in urls.items() if url is not None}
    if not todo:
        return out
    if request.fhir_server is None or not settings.enabled:
        why = "no fhirServer was given" if settings.enabled else "FHIR fetch is switched off"
        raise PreconditionFailed(
            f"prefetch {', '.join(sorted(todo))} missing and {why}; "
            "send the prefetch data or a fhirServer with fhirAuthorization"
        )
    headers = {"Accept": FHIR_JSON}
    if request.fhir_authorization is not None:
        headers["Authorization"] = f"Bearer {request.fhir_authorization.access_token}"
    base = _base(request.fhir_server)
    async with httpx.AsyncClient(
        transport=settings.transport, timeout=settings.timeout, headers=headers
    ) as client:
        values = await asyncio.gather(*(_fetch_one(client, base, url) for url in todo.values()))
    out.update(zip(todo, values, strict=True))
    return out
