"""The storage protocol of the FHIR store.

https://hl7.org/fhir/R4/http.html

Every back-end (SQLite, PostgreSQL) implements :class:`ResourceStore`. Work is
done in a :class:`StoreSession`, one database transaction: all of its writes
become visible together on success and none of them on error, which is what
FHIR transaction Bundles and conditional interactions need. Sessions hold no
HTTP knowledge; preconditions (If-Match, conditional matches) are checked by
the caller with :meth:`StoreSession.lock` inside the same session, so the check
and the write are atomic.

Failure modes: read/vread return ``None`` for unknown resources; writes raise
:class:`~carehub.errors.Conflict` when a concurrent writer won a race that the
back-end could only detect at commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from carehub.search.model import SearchQuery


@dataclass(frozen=True, slots=True)
class StoredResource:
    """One stored version of a resource.

    ``body`` is the JSON (bytes or text) of the resource with ``meta.versionId``
    and ``meta.lastUpdated`` set; it is ``None`` for a deletion.
    ``last_updated`` is a FHIR instant in UTC (``...Z``).
    """

    resource_type: str
    id: str
    version: int
    last_updated: str
    deleted: bool
    body: bytes | str | None
    method: str = "PUT"
    seq: int = 0

    @property
    def etag(self) -> str:
        """The weak ETag of this version, ``W/"n"``."""
        return f'W/"{self.version}"'


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of search results.

    ``matches`` are the matching resources in order; ``included`` the resources
    added by ``_include``/``_revinclude``; ``next_cursor``/``prev_cursor`` are opaque
    tokens for the neighbouring pages (None at the ends); ``total`` is set when
    it was counted.
    """

    matches: list[StoredResource]
    included: list[StoredResource] = field(default_factory=list)
    next_cursor: str | None = None
    prev_cursor: str | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """A history request: instance (type and id), type (type only) or system level."""

    resource_type: str | None = None
    id: str | None = None
    since: str | None = None
    count: int = 20
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """One page of versions, newest first."""

    versions: list[StoredResource]
    next_cursor: str | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class EverythingQuery:
    """``Patient/{id}/$everything`` parameters."""

    patient_id: str
    since: str | None = None
    types: tuple[str, ...] = ()
    count: int = 100
    cursor: str | None = None


class StoreSession(Protocol):
    """One unit of work on the store (a database transaction)."""

    def read(self, resource_type: str, id: str) -> StoredResource | None:
        """The current version (possibly a deletion marker), or None if never stored."""
        ...

    def lock(self, resource_type: str, id: str) -> StoredResource | None:
        """Like :meth:`read`, and hold a write lock on the resource until the session ends."""
        ...

    def lock_key(self, key: str) -> None:
        """Serialize sessions that use the same ``key`` (e.g. a conditional create's query)."""
        ...

    def prefetch(self, keys: Sequence[tuple[str, str]]) -> None:
        """Lock the resources ``keys`` (type, id) now, as :meth:`lock` would one by one.

        A store may read them all in one round trip and answer later
        :meth:`lock` calls on them from it.
        """
        ...

    def vread(self, resource_type: str, id: str, version: int) -> StoredResource | None:
        """One version, or None if that version does not exist."""
        ...

    def put(self, resource: dict[str, Any], *, method: str = "PUT") -> StoredResource:
        """Store ``resource`` as the next version of ``resourceType/id``.

        Sets ``meta.versionId`` and ``meta.lastUpdated`` (the dict is changed in
        place) and the search index. ``method`` is recorded in history;
        ``POST`` promises a fresh server-assigned id, so a store need not look
        for a current version (an id that does exist fails the session).
        """
        ...

    def delete(self, resource_type: str, id: str) -> StoredResource | None:
        """Mark the resource deleted; None if it did not exist or was already deleted."""
        ...

    def search(self, query: SearchQuery) -> SearchPage:
        """Run a search (criteria, sort, paging, includes)."""
        ...

    def search_ids(self, query: SearchQuery, limit: int) -> list[tuple[str, str]]:
        """(type, id) of up to ``limit`` matches, for conditional interactions."""
        ...

    def history(self, query: HistoryQuery) -> HistoryPage:
        """Versions, newest first."""
        ...

    def everything(self, query: EverythingQuery) -> SearchPage:
        """The patient and every resource in its compartment (and what those refer to)."""
        ...

    def count_by_type(self) -> dict[str, int]:
        """Number of current (not deleted) resources per type."""
        ...

    def read_many(self, resource_type: str, ids: Sequence[str]) -> dict[str, StoredResource]:
        """Current versions of several resources of one type, by id (absent ids left out)."""
        ...

    def scan(
        self,
        resource_type: str,
        *,
        since: str | None = None,
        after: int = 0,
        limit: int = 1000,
        patients: Sequence[str] | None = None,
    ) -> list[tuple[int, bytes | str]]:
        """Current bodies of ``resource_type`` in storage order, for bulk export.

        Returns ``(position, body)`` pairs with ``position > after``; pass the
        last position back as ``after`` for the next chunk. ``since`` keeps
        versions written at or after that fixed-width UTC instant; ``patients``
        keeps resources in the compartment of those patient ids.
        """
        ...


class ResourceStore(Protocol):
    """A FHIR resource store."""

    name: str

    def session(self, *, write: bool = False) -> AbstractContextManager[StoreSession]:
        """Open a unit of work; ``write`` sessions may call put/delete/lock."""
        ...

    def optimize(self) -> None:
        """Refresh the query planner's statistics (after bulk loads)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def iter_bodies(items: Sequence[StoredResource]) -> Iterator[bytes | str]:
    """The bodies of the non-deleted items, in order."""
    for item in items:
        if item.body is not None:
            yield item.body
