"""The telemedicine services' access to the FHIR store: read, search and write resources.

https://hl7.org/fhir/R4/http.html

:class:`Records` pairs a :class:`~carehub.storage.base.ResourceStore` with the
hub's :class:`~carehub.search.parse.SearchParser`, so the services can search
with ordinary FHIR search parameters. Each call opens its own unit of work;
workflows that must be atomic (booking a slot) use :meth:`Records.write`.

Failure modes: :class:`~carehub.errors.NotFound` for unknown or deleted
resources; :class:`~carehub.errors.Incorrect` for search parameters the parser
does not know.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import orjson

from carehub.errors import NotFound
from carehub.search.parse import SearchParser
from carehub.storage.base import ResourceStore, StoredResource, StoreSession

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(UTC)


def instant(moment: datetime) -> str:
    """A FHIR instant (UTC, seconds precision) for an aware datetime.

    >>> from datetime import timezone, timedelta
    >>> instant(datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=7))))
    '2026-03-01T02:00:00Z'
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> datetime:
    """An aware datetime from a FHIR instant or dateTime with a zone (naive text is UTC).

    >>> parse_instant("2026-03-01T09:00:00+07:00").hour
    9
    >>> parse_instant("2026-03-01T02:00:00Z").tzinfo is not None
    True
    """
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def new_id() -> str:
    """A fresh resource id (a UUID)."""
    return str(uuid4())


def body_of(stored: StoredResource | None, resource_type: str, id: str) -> dict[str, Any]:
    """The JSON body of a stored resource.

    Raises:
        NotFound: not stored, or deleted.
    """
    if stored is None or stored.body is None:
        raise NotFound(f"{resource_type}/{id} is not known")
    result: dict[str, Any] = orjson.loads(stored.body)
    return result


@dataclass(slots=True)
class Records:
    """A resource store with its search parser (see the module docstring)."""

    store: ResourceStore
    parser: SearchParser

    def get(self, resource_type: str, id: str) -> dict[str, Any]:
        """The current version of ``resource_type/id``.

        Raises:
            NotFound: unknown or deleted.
        """
        with self.store.session() as s:
            return body_of(s.read(resource_type, id), resource_type, id)

    def search(self, resource_type: str, params: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        """The first page (up to ``_count``, default 200) of a search, as bodies."""
        items = list(params)
        if not any(k == "_count" for k, _ in items):
            items.append(("_count", "200"))
        query = self.parser.parse(resource_type, items)
        with self.store.session() as s:
            page = s.search(query)
        return [orjson.loads(m.body) for m in page.matches if m.body is not None]

    def put(self, resource: dict[str, Any]) -> dict[str, Any]:
        """Store ``resource`` (an id is assigned when missing) and return it with its meta."""
        resource.setdefault("id", new_id())
        with self.store.session(write=True) as s:
            s.put(resource, method="PUT")
        return resource

    @contextmanager
    def write(self) -> Iterator[StoreSession]:
        """One atomic unit of work (all its writes or none)."""
        with self.store.session(write=True) as s:
            yield s

    def lock_get(self, session: StoreSession, resource_type: str, id: str) -> dict[str, Any]:
        """Lock ``resource_type/id`` in ``session`` and return its current body.

        Raises:
            NotFound: unknown or deleted.
        """
        session.lock(resource_type, id)
        return body_of(session.read(resource_type, id), resource_type, id)


def ref_id(reference: str, resource_type: str) -> str | None:
    """The id of a relative reference of ``resource_type``, else None.

    >>> ref_id("Patient/p1", "Patient"), ref_id("Practitioner/d", "Patient")
    ('p1', None)
    """
    prefix = resource_type + "/"
    return reference[len(prefix):] if reference.startswith(prefix) else None
