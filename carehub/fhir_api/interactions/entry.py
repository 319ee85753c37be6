"""One Bundle entry's request: parsing and dispatch to the ordinary interactions.

https://hl7.org/fhir/R4/http.html#trules

A batch or transaction entry is the same request as if it were sent alone;
this module turns ``entry.request`` into a call of the interaction functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from carehub.errors import Incorrect, MethodNotAllowed
from carehub.fhir_api.hub import Hub, parse_resource
from carehub.fhir_api.interactions.create import create
from carehub.fhir_api.interactions.delete import conditional_delete, delete
from carehub.fhir_api.interactions.history import history
from carehub.fhir_api.interactions.outcome import Outcome, parse_if_match
from carehub.fhir_api.interactions.patch import patch
from carehub.fhir_api.interactions.read import read, vread
from carehub.fhir_api.interactions.search import search
from carehub.fhir_api.interactions.update import conditional_update, update
from carehub.fhir_api.operations.patient_everything import patient_everything
from carehub.storage.base import StoreSession

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


@dataclass(slots=True)
class EntryRequest:
    """A parsed ``Bundle.entry``.

    ``path`` is the URL path split on ``/`` (relative to the FHIR base) and
    ``query`` the text after ``?``.
    """

    index: int
    method: str
    path: list[str]
    query: str | None
    resource: dict[str, Any] | None
    full_url: str | None
    if_none_exist: str | None
    if_match: int | None

    @property
    def url(self) -> str:
        """The relative URL as given."""
        return "/".join(self.path) + (f"?{self.query}" if self.query is not None else "")


def parse_entry(index: int, entry: Any, base: str) -> EntryRequest:
    """Parse one entry of a batch or transaction.

    Raises:
        Incorrect: the entry has no usable request.
    """
    where = f"Bundle.entry[{index}]"
    if not isinstance(entry, dict):
        raise Incorrect(f"{where} is not an object", expression=where)
    req = entry.get("request")
    if not isinstance(req, dict):
        raise Incorrect(f"{where} has no request", expression=f"{where}.request")
    method = req.get("method")
    url = req.get("url")
    if method not in METHODS:
        raise Incorrect(f"{where}.request.method '{method}' is not valid", expression=where)
    if not isinstance(url, str) or not url:
        raise Incorrect(f"{where}.request.url is missing", expression=f"{where}.request.url")
    if url.startswith(base + "/"):
        url = url[len(base) + 1 :]
    elif "://" in url:
        raise Incorrect(f"{where}.request.url '{url}' is not on this server")
    path_text, sep, query = url.lstrip("/").partition("?")
    resource = entry.get("resource")
    if resource is not None:
        resource = parse_resource(resource)
    if method in ("POST", "PUT") and resource is None:
        raise Incorrect(f"{where} ({method}) has no resource", expression=f"{where}.resource")
    if_match = parse_if_match(req.get("ifMatch"))
    full_url = entry.get("fullUrl")
    return EntryRequest(
        index,
        method,
        [p for p in path_text.split("/") if p],
        query if sep else None,
        resource,
        full_url if isinstance(full_url, str) else None,
        req.get("ifNoneExist"),
        if_match,
    )


def dispatch(
    hub: Hub,
    session: StoreSession,
    req: EntryRequest,
    base: str,
    assigned_id: str | None = None,
) -> Outcome:
    """Carry out one entry's request in ``session``.

    Raises:
        CareHubError: whatever the interaction raises; MethodNotAllowed for
            requests that are not interactions.
    """
    p, q = req.path, req.query
    items = parse_qsl(q or "", keep_blank_values=True)
    n = len(p)
    if req.method in ("GET", "HEAD"):
        if n == 1 and p[0] == "_history":
            return Outcome(200, body=history(hub, session, None, None, items, base))
        if n == 1:
            return Outcome(200, body=search(hub, session, p[0], items, base))
        if n == 2 and p[1] == "_history":
            return Outcome(200, body=history(hub, session, p[0], None, items, base))
        if n == 2:
            return Outcome(200, read(hub, session, p[0], p[1]))
        if n == 3 and p[0] == "Patient" and p[2] == "$everything":
            return Outcome(200, body=patient_everything(hub, session, p[1], items, base))
        if n == 3 and p[2] == "_history":
            return Outcome(200, body=history(hub, session, p[0], p[1], items, base))
        if n == 4 and p[2] == "_history":
            return Outcome(200, vread(hub, session, p[0], p[1], p[3]))
    elif req.method == "POST" and n == 1 and req.resource is not None:
        parse_resource(req.resource, p[0])
        return create(hub, session, req.resource, req.if_none_exist, assigned_id)
    elif req.method == "PUT" and n == 1 and q is not None and req.resource is not None:
        parse_resource(req.resource, p[0])
        return conditional_update(hub, session, p[0], q, req.resource, req.if_match)
    elif req.method == "PUT" and n == 2 and req.resource is not None:
        parse_resource(req.resource, p[0])
        return update(hub, session, p[0], p[1], req.resource, req.if_match)
    elif req.method == "PATCH" and n == 2:
        ops = _patch_operations(req)
        return patch(hub, session, p[0], p[1], ops, req.if_match)
    elif req.method == "DELETE" and n == 1 and q is not None:
        return conditional_delete(hub, session, p[0], q)
    elif req.method == "DELETE" and n == 2:
        return delete(hub, session, p[0], p[1], req.if_match)
    raise MethodNotAllowed(f"{req.method} {req.url} is not an interaction CareHub supports")


def _patch_operations(req: EntryRequest) -> Any:
    """JSON Patch in a Bundle travels as a Binary resource with base64 data."""
    import base64

    import orjson

    res = req.resource
    if res is None or res.get("resourceType") != "Binary" or "data" not in res:
        raise Incorrect(
            f"Bundle.entry[{req.index}]: PATCH needs a Binary resource holding a JSON Patch"
        )
    try:
        return orjson.loads(base64.b64decode(res["data"]))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise Incorrect(f"Bundle.entry[{req.index}]: the JSON Patch is unreadable: {exc}") from None
