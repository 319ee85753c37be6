"""update (including create-on-update with a client id) and conditional update.

https://hl7.org/fhir/R4/http.html#update and https://hl7.org/fhir/R4/http.html#cond-update
"""

from __future__ import annotations

from typing import Any

from carehub.errors import Incorrect, PreconditionFailed
from carehub.fhir_api.hub import Hub, new_id
from carehub.fhir_api.interactions.create import find_matches
from carehub.fhir_api.interactions.outcome import Outcome, check_id
from carehub.storage.base import StoreSession


def update(
    hub: Hub,
    session: StoreSession,
    resource_type: str,
    id: str,
    resource: dict[str, Any],
    if_match: int | None = None,
) -> Outcome:
    """Write a new version of ``resource_type/id`` (201 when it did not exist or was deleted).

    Raises:
        Incorrect: the body's id is missing or differs from the URL.
        Invalid: validation failed. PreconditionFailed: ``if_match`` is not the
            current version.
    """
    hub.check_type(resource_type)
    check_id(id)
    body_id = resource.get("id")
    if body_id is None:
        raise Incorrect(
            "the resource has no id; an update needs the id of the URL", expression="id"
        )
    if body_id != id:
        raise Incorrect(
            f"the resource id '{body_id}' does not match the URL id '{id}'", expression="id"
        )
    hub.validate(resource)
    current = session.lock(resource_type, id)
    if if_match is not None:
        if current is None or current.deleted:
            raise PreconditionFailed(
                f"If-Match version {if_match} given but {resource_type}/{id} does not exist"
            )
        if current.version != if_match:
            raise PreconditionFailed(
                f"version conflict: If-Match {if_match} but {resource_type}/{id} is at "
                f"version {current.version}"
            )
    stored = session.put(resource, method="PUT")
    created = current is None or current.deleted
    return Outcome(201 if created else 200, stored, location=created)


def conditional_update(
    hub: Hub,
    session: StoreSession,
    resource_type: str,
    condition: str,
    resource: dict[str, Any],
    if_match: int | None = None,
) -> Outcome:
    """Update the one resource matching ``condition``, or create when none matches.

    Raises:
        PreconditionFailed: several matches. Incorrect: the body id names another resource.
    """
    hub.check_type(resource_type)
    matches = find_matches(hub, session, resource_type, condition)
    if len(matches) > 1:
        raise PreconditionFailed(f"the condition '{condition}' matches several {resource_type}")
    if matches:
        target = matches[0][1]
        if resource.get("id") not in (None, target):
            raise Incorrect(
                f"the resource id '{resource.get('id')}' differs from the matched {target}",
                expression="id",
            )
    else:
        target = str(resource.get("id") or new_id())
    resource["id"] = target
    return update(hub, session, resource_type, target, resource, if_match)
