"""What an interaction returns, before it becomes an HTTP response or a Bundle entry."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from carehub.errors import Incorrect, Issue
from carehub.storage.base import StoredResource

_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


@dataclass(slots=True)
class Outcome:
    """The result of one interaction.

    ``stored`` is the resource version written or read; ``body`` a resource
    built on the fly (a Bundle, an OperationOutcome); ``location`` asks for a
    Location header.
    """

    status: int
    stored: StoredResource | None = None
    body: dict[str, Any] | None = None
    location: bool = False
    issues: list[Issue] = field(default_factory=list)


def check_id(id: str) -> str:
    """Return ``id`` if it is a valid FHIR id.

    >>> check_id("abc-1.2")
    'abc-1.2'
    """
    if not _ID.match(id):
        raise Incorrect(f"'{id}' is not a valid FHIR id ([A-Za-z0-9-.]{{1,64}})", expression="id")
    return id


def parse_if_match(value: str | None) -> int | None:
    """The version named by an If-Match header (``W/"3"``), or None.

    >>> parse_if_match('W/"3"'), parse_if_match(None)
    (3, None)
    """
    if value is None or value.strip() == "":
        return None
    m = _ETAG.match(value.strip())
    if not m:
        raise Incorrect(f"If-Match must be a version ETag like W/\"1\", not '{value}'")
    return int(m.group(1))
