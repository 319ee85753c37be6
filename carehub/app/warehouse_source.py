"""The FHIR store as a warehouse :class:`~carehub.warehouse.sources.FhirSource`.

https://hl7.org/fhir/R4/http.html#history

Current resources come from :meth:`StoreSession.scan` in storage order, a
chunk per session so no transaction stays open for the whole build;
deletions come from type-level history (``since``): the ids whose newest
version is a deletion. This adapter is wiring: the warehouse itself
knows only the protocol.
"""

from __future__ import annotations

from collections.abc import Iterator

from carehub.fhir_model.values import date_range
from carehub.storage.base import HistoryQuery, ResourceStore

SCAN_CHUNK = 2000
"""Resources read per store session."""

HISTORY_PAGE = 1000
"""History entries read per page when looking for deletions."""


def store_instant(since: str) -> str:
    """A FHIR instant as the store's fixed-width UTC form.

    >>> store_instant("2024-01-02T03:04:05.5+01:00")
    '2024-01-02T02:04:05.500000'
    """
    return date_range(since)[0]


class StoreSource:
    """Reads resources from a :class:`~carehub.storage.base.ResourceStore`.

    Args:
        store: the FHIR store.
        chunk: resources read per session.
    """

    def __init__(self, store: ResourceStore, chunk: int = SCAN_CHUNK) -> None:
        self.store = store
        self.chunk = chunk

    def resource_types(self) -> list[str]:
        with self.store.session() as session:
            return sorted(t for t, n in session.count_by_type().items() if n)

    def resources(self, resource_type: str, since: str | None = None) -> Iterator[bytes]:
        low = store_instant(since) if since is not None else None
        after = 0
        while True:
            with self.store.session() as session:
                chunk = session.scan(resource_type, since=low, after=after, limit=self.chunk)
            for position, body in chunk:
                after = position
                yield body.encode() if isinstance(body, str) else bytes(body)
            if len(chunk) < self.chunk:
                return

    def deleted(self, resource_type: str, since: str) -> Iterator[str]:
        # History is newest first, so the first version seen of an id is its current one.
        low = store_instant(since)
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            query = HistoryQuery(resource_type, None, low, HISTORY_PAGE, cursor)
            with self.store.session() as session:
                page = session.history(query)
            for version in page.versions:
                if version.id not in seen:
                    seen.add(version.id)
                    if version.deleted:
                        yield version.id
            cursor = page.next_cursor
            if cursor is None:
                return
