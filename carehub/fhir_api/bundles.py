"""Bundle assembly for search, history and ``$everything`` results.

https://hl7.org/fhir/R4/bundle.html

Stored bodies are embedded as pre-serialized JSON (:class:`orjson.Fragment`),
so a page of results is never parsed and serialized again unless the client
asked for ``_elements`` or ``_summary``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import orjson

from carehub.errors import Issue
from carehub.fhir_api.errors import operation_outcome
from carehub.storage.base import SearchPage, StoredResource

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
}


def fragment(stored: StoredResource) -> orjson.Fragment:
    """The stored body as a JSON fragment."""
    assert stored.body is not None
    return orjson.Fragment(stored.body)


def shape(
    stored: StoredResource, elements: Sequence[str], summary: str | None
) -> orjson.Fragment | dict[str, Any]:
    """The resource as returned: whole, or reduced by ``_elements`` / ``_summary``."""
    if not elements and summary in (None, "false"):
        return fragment(stored)
    assert stored.body is not None
    res: dict[str, Any] = orjson.loads(stored.body)
    keep = {"resourceType", "id", "meta"}
    if elements:
        keep.update(elements)
        res = {k: v for k, v in res.items() if k in keep}
    elif summary == "data":
        res.pop("text", None)
    elif summary == "text":
        res = {k: v for k, v in res.items() if k in keep or k == "text"}
    meta = dict(res.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    res["meta"] = meta
    return res


def link(base: str, path: str, params: Sequence[tuple[str, str]]) -> str:
    """An absolute link to ``path`` under ``base`` with query ``params``.

    >>> link("http://h/fhir", "Patient", [("name", "Lê"), ("_count", "2")])
    'http://h/fhir/Patient?name=L%C3%AA&_count=2'
    """
    query = urlencode(list(params))
    return f"{base}/{path}" + (f"?{query}" if query else "")


def searchset(
    page: SearchPage,
    base: str,
    path: str,
    params: Sequence[tuple[str, str]],
    *,
    elements: Sequence[str] = (),
    summary: str | None = None,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """A ``searchset`` Bundle for one page, with self/next/previous links."""
    links = [{"relation": "self", "url": link(base, path, params)}]
    if page.next_cursor:
        links.append(
            {"relation": "next", "url": link(base, path, [*params, ("_cursor", page.next_cursor)])}
        )
    if page.prev_cursor:
        links.append(
            {
                "relation": "previous",
                "url": link(base, path, [*params, ("_cursor", page.prev_cursor)]),
            }
        )
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": f"{base}/{m.resource_type}/{m.id}",
            "resource": shape(m, elements, summary),
            "search": {"mode": "match"},
        }
        for m in page.matches
    ]
    entries.extend(
        {
            "fullUrl": f"{base}/{m.resource_type}/{m.id}",
            "resource": shape(m, elements, summary),
            "search": {"mode": "include"},
        }
        for m in page.included
    )
    if warnings:
        entries.append(
            {
                "resource": operation_outcome(
                    [Issue("warning", "not-supported", w) for w in warnings]
                ),
                "search": {"mode": "outcome"},
            }
        )
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if page.total is not None:
        bundle["total"] = page.total
    bundle["link"] = links
    if entries:
        bundle["entry"] = entries
    return bundle


def history_bundle(
    versions: Sequence[StoredResource],
    base: str,
    path: str,
    params: Sequence[tuple[str, str]],
    next_cursor: str | None,
) -> dict[str, Any]:
    """A ``history`` Bundle: each version with the request that made it."""
    links = [{"relation": "self", "url": link(base, path, params)}]
    if next_cursor:
        links.append(
            {"relation": "next", "url": link(base, path, [*params, ("_cursor", next_cursor)])}
        )
    entries: list[dict[str, Any]] = []
    for v in versions:
        url = f"{v.resource_type}/{v.id}"
        entry: dict[str, Any] = {"fullUrl": f"{base}/{url}"}
        if v.body is not None:
            entry["resource"] = fragment(v)
        method = v.method if v.method in ("POST", "PUT", "DELETE", "PATCH") else "PUT"
        entry["request"] = {"method": method, "url": v.resource_type if method == "POST" else url}
        status = {"POST": "201 Created", "DELETE": "204 No Content"}.get(method, "200 OK")
        entry["response"] = {
            "status": status,
            "etag": v.etag,
            "lastModified": v.last_updated,
        }
        entries.append(entry)
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "history", "link": links}
    if entries:
        bundle["entry"] = entries
    return bundle
