"""delete (soft: history is kept; later reads give 410 Gone) and conditional delete.

https://hl7.org/fhir/R4/http.html#delete and https://hl7.org/fhir/R4/http.html#3.1.0.7.1
"""

from __future__ import annotations

from carehub.errors import NotFound, PreconditionFailed
from carehub.fhir_api.hub import Hub
from carehub.fhir_api.interactions.create import find_matches
from carehub.fhir_api.interactions.outcome import Outcome
from carehub.storage.base import StoreSession


def delete(
    hub: Hub, session: StoreSession, resource_type: str, id: str, if_match: int | None = None
) -> Outcome:
    """Delete one resource; deleting an already deleted one is a no-op (204).

    Raises:
        NotFound: never stored. PreconditionFailed: ``if_match`` is stale.
    """
    hub.check_type(resource_type)
    current = session.lock(resource_type, id)
    if current is None:
        raise NotFound(f"{resource_type}/{id} is not known")
    if if_match is not None and (current.deleted or current.version != if_match):
        raise PreconditionFailed(
            f"version conflict: If-Match {if_match} but {resource_type}/{id} is at "
            f"version {current.version}"
        )
    stored = session.delete(resource_type, id)
    return Outcome(204, stored)


def conditional_delete(
    hub: Hub, session: StoreSession, resource_type: str, condition: str
) -> Outcome:
    """Delete the one resource matching ``condition`` (none: 204 as well).

    Raises:
        PreconditionFailed: several matches.
    """
    hub.check_type(resource_type)
    matches = find_matches(hub, session, resource_type, condition)
    if len(matches) > 1:
        raise PreconditionFailed(f"the condition '{condition}' matches several {resource_type}")
    if not matches:
        return Outcome(204)
    return Outcome(204, session.delete(*matches[0]))
