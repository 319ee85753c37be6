"""The FHIR hub's shared state: store, definitions, search parser and write rules.

The HTTP routes and the Bundle processor both call the interaction functions
with a :class:`Hub`, so a transaction entry behaves exactly like the same
request sent alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import orjson

from carehub.errors import Incorrect, NotFound, did_you_mean
from carehub.fhir_model.definitions import Definitions
from carehub.search.parse import SearchParser
from carehub.security.policy import AccessPolicy, PermitAll
from carehub.storage.base import ResourceStore, StoredResource

Validator = Callable[[dict[str, Any]], None]


def _no_validation(resource: dict[str, Any]) -> None:
    """Accept everything (validation switched off by configuration)."""


@dataclass(slots=True)
class Hub:
    """Everything an interaction needs.

    Args:
        store: the resource store.
        defs: the R4 definitions.
        parser: the search parser.
        validate: raises :class:`~carehub.errors.Invalid` for a structurally invalid resource.
        base_url: the public base of the FHIR API when fixed by configuration.
        access: the access policy of operations that decide before touching the
            store (bulk export types); data access itself is guarded by the store.
    """

    store: ResourceStore
    defs: Definitions
    parser: SearchParser
    validate: Validator = field(default=_no_validation)
    base_url: str | None = None
    access: AccessPolicy = field(default_factory=PermitAll)

    def check_type(self, resource_type: str) -> str:
        """Return ``resource_type`` if R4 defines it.

        Raises:
            NotFound: unknown type (with a suggestion).
        """
        if not self.defs.is_resource_type(resource_type):
            raise NotFound(
                f"unknown resource type '{resource_type}'."
                + did_you_mean(resource_type, self.defs.resource_types()),
                issue_code="not-supported",
            )
        return resource_type


def new_id() -> str:
    """A fresh server-assigned id (UUID, 36 characters, valid as a FHIR id)."""
    return str(uuid4())


def parse_resource(raw: bytes | dict[str, Any], expected_type: str | None = None) -> dict[str, Any]:
    """Parse a request body as one resource.

    Raises:
        Incorrect: not JSON, not an object, no ``resourceType``, or a type other
            than ``expected_type``.
    """
    if isinstance(raw, dict):
        data: Any = raw
    else:
        if not raw:
            raise Incorrect("the request has no body; a FHIR resource was expected")
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise Incorrect(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Incorrect("the body must be a JSON object (a FHIR resource)")
    rtype = data.get("resourceType")
    if not isinstance(rtype, str):
        raise Incorrect("the resource has no resourceType", expression="resourceType")
    if expected_type is not None and rtype != expected_type:
        raise Incorrect(
            f"resourceType '{rtype}' does not match the URL type '{expected_type}'",
            expression="resourceType",
        )
    return data


def load_body(stored: StoredResource) -> dict[str, Any]:
    """The stored body as a dict."""
    if stored.body is None:
        raise NotFound(f"{stored.resource_type}/{stored.id} has no content (deleted)")
    result: dict[str, Any] = orjson.loads(stored.body)
    return result
