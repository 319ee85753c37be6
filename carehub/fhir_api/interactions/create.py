"""create and conditional create (If-None-Exist).

https://hl7.org/fhir/R4/http.html#create and https://hl7.org/fhir/R4/http.html#ccreate
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from carehub.errors import Incorrect, PreconditionFailed
from carehub.fhir_api.hub import Hub, new_id
from carehub.fhir_api.interactions.outcome import Outcome
from carehub.search.model import SearchQuery
from carehub.storage.base import StoreSession


def conditional_query(hub: Hub, resource_type: str, text: str) -> SearchQuery:
    """Parse the search of a conditional interaction strictly (unknown parameters fail).

    Raises:
        Incorrect: no criteria, or a parameter CareHub cannot search.
    """
    items = parse_qsl(text.lstrip("?"), keep_blank_values=True)
    query = hub.parser.parse(resource_type, items, strict=True)
    if not query.criteria:
        raise Incorrect(f"the condition '{text}' has no search criteria")
    return query


def find_matches(
    hub: Hub, session: StoreSession, resource_type: str, text: str
) -> list[tuple[str, str]]:
    """Up to two (type, id) matches of a conditional search, serialized per condition."""
    query = conditional_query(hub, resource_type, text)
    session.lock_key(f"{resource_type}?{text}")
    return session.search_ids(query, 2)


def create(
    hub: Hub,
    session: StoreSession,
    resource: dict[str, Any],
    if_none_exist: str | None = None,
    assigned_id: str | None = None,
) -> Outcome:
    """Create ``resource`` with a server-assigned id (any client id is replaced).

    With ``if_none_exist``: one match returns it (200) without writing; more
    than one is a 412.

    Raises:
        Invalid: the resource fails validation. PreconditionFailed: several matches.
    """
    rtype = hub.check_type(str(resource["resourceType"]))
    if if_none_exist:
        matches = find_matches(hub, session, rtype, if_none_exist)
        if len(matches) > 1:
            raise PreconditionFailed(
                f"If-None-Exist '{if_none_exist}' matches more than one {rtype}"
            )
        if matches:
            return Outcome(200, session.read(*matches[0]), location=True)
    resource["id"] = assigned_id or new_id()
    hub.validate(resource)
    stored = session.put(resource, method="POST")
    return Outcome(201, stored, location=True)
