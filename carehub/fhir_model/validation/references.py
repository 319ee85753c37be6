"""The form of ``Reference.reference`` values.

https://hl7.org/fhir/R4/references.html#literal

A literal reference is one of:

* ``Type/id`` or ``Type/id/_history/vid`` (relative to the server base);
* an absolute URL (``https://example.org/fhir/Patient/1``);
* ``urn:uuid:<uuid>`` or ``urn:oid:<oid>`` (Bundle-internal identities);
* ``#id`` to a contained resource, or ``#`` to the containing resource;
* ``Type?search`` - a conditional reference, which transaction and batch
  processing resolves (https://hl7.org/fhir/R4/http.html#trules); bulk
  exports such as Synthea's carry them too.

``Type`` must be an R4 resource type and, when the element restricts its
targets, one of them (``Resource`` allows any type).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Set
from typing import Any

from carehub.errors import did_you_mean
from carehub.fhir_model.validation.primitives import (
    ID_PATTERN,
    check_id,
    check_oid,
    check_uri,
    check_uuid,
)

_ID_RE = ID_PATTERN

#: ``reference`` value → ``None`` or a message.
ReferenceCheck = Callable[[Any], str | None]


def reference_check(resource_types: Set[str], targets: Collection[str]) -> ReferenceCheck:
    """Build the check of ``Reference.reference`` for one element.

    Args:
        resource_types: every R4 resource type.
        targets: the allowed target types; empty or containing ``Resource``
            means any type.

    Returns:
        a function returning ``None`` for a valid reference, else a message.

    >>> check = reference_check({"Patient", "Group", "Encounter"}, ["Patient", "Group"])
    >>> [check(r) for r in ("Patient/1", "Group/g/_history/2", "#c1", "urn:uuid:" + "0" * 8
    ...     + "-0000-0000-0000-" + "0" * 12, "Patient?identifier=x|1", "https://x.org/P/1")]
    [None, None, None, None, None, None]
    >>> check("Encounter/1")
    "Reference to Encounter is not allowed here (allowed: 'Patient', 'Group')"
    >>> check("Patinet/1")
    "Unknown resource type 'Patinet' in reference. Did you mean 'Patient'?"
    >>> check("Patient/a_b")
    "Not a valid reference: 'Patient/a_b'"
    """
    allowed = frozenset(targets)
    any_type = not allowed or "Resource" in allowed
    shown = ", ".join(repr(t) for t in targets)

    def check_type(type_name: str) -> str | None:
        if type_name not in resource_types:
            return f"Unknown resource type {type_name!r} in reference." + did_you_mean(
                type_name, resource_types
            )
        if not any_type and type_name not in allowed:
            return f"Reference to {type_name} is not allowed here (allowed: {shown})"
        return None

    def check(value: Any) -> str | None:
        problem = check_uri(value)
        if problem is not None:
            return problem
        text: str = value
        if text[0] == "#":
            return None if len(text) == 1 or check_id(text[1:]) is None else _bad(text)
        if text.startswith("urn:"):
            if text.startswith("urn:uuid:"):
                return check_uuid(text)
            if text.startswith("urn:oid:"):
                return check_oid(text)
            return _bad(text)
        if "://" in text:
            return None
        head, sep, query = text.partition("?")
        if sep:
            return check_type(head) if query and "/" not in head else _bad(text)
        parts = text.split("/")
        if len(parts) == 2:
            if _ID_RE.fullmatch(parts[1]):
                return check_type(parts[0])
        elif (
            len(parts) == 4
            and parts[2] == "_history"
            and _ID_RE.fullmatch(parts[1])
            and _ID_RE.fullmatch(parts[3])
        ):
            return check_type(parts[0])
        return _bad(text)

    return check


def _bad(text: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return f"Not a valid reference: {shown!r}"
