"""history at instance, type and system level (``_since``, ``_count``).

https://hl7.org/fhir/R4/http.html#history
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carehub.errors import Incorrect, NotFound
from carehub.fhir_api.bundles import history_bundle
from carehub.fhir_api.hub import Hub
from carehub.fhir_model.values import date_range
from carehub.storage.base import HistoryQuery, StoreSession


def history(
    hub: Hub,
    session: StoreSession,
    resource_type: str | None,
    id: str | None,
    items: Sequence[tuple[str, str]],
    base: str,
    max_count: int = 1000,
    default_count: int = 20,
) -> dict[str, Any]:
    """A ``history`` Bundle, newest version first.

    Raises:
        Incorrect: a bad ``_since`` or ``_count``. NotFound: unknown instance.
    """
    if resource_type is not None:
        hub.check_type(resource_type)
    since = cursor = None
    count = default_count
    params: list[tuple[str, str]] = []
    for key, value in items:
        if key == "_since":
            since = date_range(value)[0]
        elif key == "_count":
            if not value.isdigit():
                raise Incorrect(f"_count must be a whole number, not '{value}'")
            count = min(int(value), max_count)
        elif key == "_cursor":
            cursor = value
            continue
        elif key in ("_format", "_pretty"):
            pass
        else:
            raise Incorrect(f"history does not understand parameter '{key}'")
        params.append((key, value))
    if id is not None and resource_type is not None and session.read(resource_type, id) is None:
        raise NotFound(f"{resource_type}/{id} is not known")
    page = session.history(HistoryQuery(resource_type, id, since, count, cursor))
    path = "/".join(p for p in (resource_type, id) if p) + (
        "/_history" if resource_type else "_history"
    )
    return history_bundle(page.versions, base, path, params, page.next_cursor)
