"""patch with JSON Patch (RFC 6902).

https://hl7.org/fhir/R4/http.html#patch
"""

from __future__ import annotations

from typing import Any

import jsonpatch
import jsonpointer

from carehub.errors import Gone, Incorrect, Invalid, NotFound, PreconditionFailed
from carehub.fhir_api.hub import Hub, load_body
from carehub.fhir_api.interactions.outcome import Outcome
from carehub.storage.base import StoreSession


def patch(
    hub: Hub,
    session: StoreSession,
    resource_type: str,
    id: str,
    operations: Any,
    if_match: int | None = None,
) -> Outcome:
    """Apply JSON Patch ``operations`` to the current version and store the result.

    Raises:
        Incorrect: the patch document is not a list of operations.
        Invalid: the patch cannot be applied, changes id or type, or the result
            is not a valid resource.
        NotFound, Gone, PreconditionFailed: as for update.
    """
    hub.check_type(resource_type)
    if not isinstance(operations, list):
        raise Incorrect("a JSON Patch document must be an array of operations")
    current = session.lock(resource_type, id)
    if current is None:
        raise NotFound(f"{resource_type}/{id} is not known")
    if current.deleted:
        raise Gone(f"{resource_type}/{id} was deleted")
    if if_match is not None and current.version != if_match:
        raise PreconditionFailed(
            f"version conflict: If-Match {if_match} but {resource_type}/{id} is at "
            f"version {current.version}"
        )
    full = session.read(resource_type, id)
    assert full is not None
    doc = load_body(full)
    try:
        result = jsonpatch.JsonPatch(operations).apply(doc)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise Invalid(f"the patch cannot be applied: {exc}", issue_code="processing") from None
    except (TypeError, KeyError, AttributeError) as exc:
        raise Incorrect(f"the patch document is malformed: {exc}") from None
    if not isinstance(result, dict):
        raise Invalid("the patch did not produce a resource")
    if result.get("resourceType") != resource_type or result.get("id") != id:
        raise Invalid("a patch may not change resourceType or id", expression="id")
    hub.validate(result)
    return Outcome(200, session.put(result, method="PATCH"))
