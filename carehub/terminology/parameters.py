"""Input parameters of the terminology operations, from a query string or a Parameters body.

https://hl7.org/fhir/R4/parameters.html and https://hl7.org/fhir/R4/operations.html#request

Both forms become one :class:`OperationInput`: name → list of values, where a
``Coding``/``CodeableConcept`` stays a dict and every primitive becomes a string.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from carehub.errors import Incorrect

Resource = dict[str, Any]


@dataclass(slots=True)
class OperationInput:
    """The parameters of one call: ``values`` maps a name to its values in order."""

    values: dict[str, list[Any]] = field(default_factory=dict)

    def one(self, name: str) -> Any:
        """The single value of ``name``, or None.

        Raises:
            Incorrect: ``name`` was given more than once.

        >>> OperationInput({"code": ["I10"]}).one("code")
        'I10'
        """
        found = self.values.get(name, [])
        if len(found) > 1:
            raise Incorrect(f"parameter '{name}' may be given only once", expression=name)
        return found[0] if found else None

    def text(self, name: str) -> str | None:
        """The single value of ``name`` as text (an empty value counts as absent)."""
        value = self.one(name)
        return None if value in (None, "") else str(value)

    def required(self, name: str, operation: str) -> str:
        """The single text value of ``name``.

        Raises:
            Incorrect: absent (issue code ``required``).
        """
        value = self.text(name)
        if value is None:
            raise Incorrect(f"{operation} needs the parameter '{name}'", issue_code="required",
                            expression=name)
        return value

    def integer(self, name: str) -> int | None:
        """The single value of ``name`` as a non-negative integer, or None.

        Raises:
            Incorrect: not a non-negative whole number.
        """
        value = self.text(name)
        if value is None:
            return None
        if not value.isdigit():
            raise Incorrect(f"{name} must be a non-negative whole number, not '{value}'",
                            expression=name)
        return int(value)


def from_query(items: Iterable[tuple[str, str]]) -> OperationInput:
    """Query parameters as input (``_format``/``_pretty`` are ignored).

    >>> from_query([("system", "s"), ("_format", "json")]).values
    {'system': ['s']}
    """
    out = OperationInput()
    for name, value in items:
        if name not in ("_format", "_pretty"):
            out.values.setdefault(name, []).append(value)
    return out


def from_parameters(body: Resource, into: OperationInput | None = None) -> OperationInput:
    """A ``Parameters`` body as input, added to ``into``.

    Raises:
        Incorrect: not a Parameters resource, or a parameter without a name or value.

    >>> from_parameters({"resourceType": "Parameters", "parameter": [
    ...     {"name": "code", "valueCode": "I10"}]}).values
    {'code': ['I10']}
    """
    if body.get("resourceType") != "Parameters":
        raise Incorrect("the body must be a Parameters resource", expression="resourceType")
    out = into or OperationInput()
    for i, part in enumerate(body.get("parameter") or []):
        name = part.get("name")
        values = [v for k, v in part.items() if k.startswith("value")]
        if not isinstance(name, str) or len(values) != 1:
            raise Incorrect("each parameter needs a name and one value[x]",
                            expression=f"Parameters.parameter[{i}]")
        value = values[0]
        out.values.setdefault(name, []).append(
            value if isinstance(value, dict) else str(value).lower()
            if isinstance(value, bool) else str(value)
        )
    return out


def parameters(parts: Iterable[Resource]) -> Resource:
    """A ``Parameters`` resource of ``parts``.

    >>> parameters([{"name": "result", "valueBoolean": True}])["parameter"][0]["name"]
    'result'
    """
    return {"resourceType": "Parameters", "parameter": list(parts)}
