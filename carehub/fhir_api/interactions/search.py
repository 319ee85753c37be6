"""search (type and system level, GET and POST ``_search``).

https://hl7.org/fhir/R4/http.html#search
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carehub.errors import Unsupported
from carehub.fhir_api.bundles import searchset
from carehub.fhir_api.hub import Hub
from carehub.storage.base import StoreSession


def search(
    hub: Hub,
    session: StoreSession,
    resource_type: str | None,
    items: Sequence[tuple[str, str]],
    base: str,
    *,
    strict: bool = False,
) -> dict[str, Any]:
    """Run a search and return its ``searchset`` Bundle.

    Raises:
        Incorrect: malformed parameters (or unknown ones when ``strict``).
        Unsupported: ``_summary=true`` (summary element flags are not tracked).
    """
    if resource_type is not None:
        hub.check_type(resource_type)
    query = hub.parser.parse(resource_type, items, strict=strict)
    if query.summary == "true":
        raise Unsupported("_summary=true is not supported; use _elements or _summary=data")
    page = session.search(query)
    path = resource_type or ""
    return searchset(
        page,
        base,
        path,
        query.self_params,
        elements=query.elements,
        summary=query.summary,
        warnings=query.warnings,
    )
