"""fhirpathpy as the evaluator of expressions outside CareHub's compiled subset.

https://hl7.org/fhirpath/N1/ and https://github.com/beda-software/fhirpath-py

:mod:`carehub.fhir_model.fhirpath_subset` compiles the FHIRPath of the R4
search parameters natively; an expression it cannot compile is evaluated here
with fhirpathpy and the R4 model, so that it still indexes (slowly). Each
top-level ``|`` branch is evaluated separately so that every value keeps the
FHIR type fhirpathpy knows for it. Two additions make fhirpathpy agree with the
native compiler:

* ``resolve()`` returns a stub resource of the type the reference names
  (:func:`carehub.fhir_model.values.reference_type`), so ``resolve() is T`` works
  without a database;
* ``as`` applied to several items, which fhirpathpy rejects, is re-run as
  ``ofType`` (the R4 search parameters rely on that reading).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import fhirpathpy
from fhirpathpy.engine.nodes import FP_Type, ResourceNode
from fhirpathpy.models import models

from carehub.errors import Fault
from carehub.fhir_model.definitions import Definitions
from carehub.fhir_model.values import reference_type

Typed = list[tuple[str, list[Any]]]
_R4 = models["r4"]
_AS_INFIX = re.compile(r"\(([^()]+?) as ([A-Za-z_.]+)\)")


def _resolve(inputs: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in inputs:
        target = reference_type(item)
        if target is not None:
            out.append(ResourceNode.create_node({"resourceType": target}))  # type: ignore[no-untyped-call]
    return out


_OPTIONS: dict[str, Any] = {
    "returnRawData": True,
    "userInvocationTable": {"resolve": {"fn": _resolve, "arity": {0: []}}},
}


def split_union(expression: str) -> list[str]:
    """Split an expression at its top-level ``|`` operators.

    >>> split_union("(A.b as C) | A.d.where(e='|')")
    ['(A.b as C)', "A.d.where(e='|')"]
    """
    parts: list[str] = []
    depth, start, quote = 0, 0, ""
    for i, ch in enumerate(expression):
        if quote:
            if ch == quote and expression[i - 1] != "\\":
                quote = ""
        elif ch in "'`":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(expression[start:i].strip())
            start = i + 1
    parts.append(expression[start:].strip())
    return parts


def lenient(expression: str) -> str:
    """Rewrite ``(X as T)`` and ``X.as(T)`` as ``X.ofType(T)``.

    >>> lenient("(Observation.component.value as Quantity)")
    'Observation.component.value.ofType(Quantity)'
    """
    return _AS_INFIX.sub(r"\1.ofType(\2)", expression).replace(".as(", ".ofType(")


def _guess_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float | Decimal):
        return "decimal"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        if "resourceType" in value:
            return str(value["resourceType"])
        keys = set(value)
        for type_code, marks in _SHAPES:
            if keys & marks:
                return type_code
    return "Element"


_SHAPES: tuple[tuple[str, frozenset[str]], ...] = (
    ("Reference", frozenset({"reference", "identifier"})),
    ("CodeableConcept", frozenset({"coding"})),
    ("HumanName", frozenset({"family", "given"})),
    ("Address", frozenset({"line", "city", "postalCode", "country"})),
    ("Period", frozenset({"start", "end"})),
    ("Range", frozenset({"low", "high"})),
    ("Quantity", frozenset({"value", "unit", "comparator"})),
    ("Coding", frozenset({"system", "code"})),
)


def _unwrap(item: Any, defs: Definitions) -> tuple[Any, str]:
    if isinstance(item, FP_Type):
        return str(item), type(item).__name__.removeprefix("FP_").replace("DateTime", "dateTime")
    if not isinstance(item, ResourceNode):
        return item, _guess_type(item)
    value, path = item.data, item.path
    if not isinstance(path, str):
        return value, _guess_type(value)
    if "." not in path:
        return value, path if defs.type_kind(path) else _guess_type(value)
    elem = defs.element(path)
    if elem is not None and len(elem.types) == 1:
        t = elem.types[0]
        return value, "BackboneElement" if t in ("BackboneElement", "Element") else t
    if elem is not None and elem.content_reference:
        return value, "BackboneElement"
    return value, _guess_type(value)


def _run(
    strict_fn: Callable[..., Any], loose_fn: Callable[..., Any] | None, resource: Any
) -> list[Any]:
    try:
        return list(strict_fn(resource, {}))
    except ValueError:
        if loose_fn is None:
            raise
        return list(loose_fn(resource, {}))


def fallback_evaluator(expression: str, defs: Definitions) -> Callable[[Mapping[str, Any]], Typed]:
    """A function evaluating ``expression`` with fhirpathpy, grouped by FHIR type.

    Args:
        expression: a FHIRPath expression.
        defs: definitions used to name the type of each result.

    Returns:
        ``f(resource) -> [(type code, values), ...]``; it raises
        :class:`~carehub.errors.Fault` when fhirpathpy fails on a resource
        (e.g. a string function applied to several items).

    Raises:
        Fault: fhirpathpy cannot compile the expression.
    """
    branches: list[tuple[Callable[..., Any], Callable[..., Any] | None]] = []
    try:
        for text in split_union(expression):
            loose = lenient(text)
            strict_fn = fhirpathpy.compile(text, _R4, _OPTIONS)
            loose_fn = fhirpathpy.compile(loose, _R4, _OPTIONS) if loose != text else None
            branches.append((strict_fn, loose_fn))
    except Exception as exc:
        raise Fault(f"FHIRPath expression '{expression}' cannot be evaluated: {exc}") from exc

    def typed(resource: Mapping[str, Any]) -> Typed:
        groups: dict[str, list[Any]] = {}
        for strict_fn, loose_fn in branches:
            try:
                items = _run(strict_fn, loose_fn, resource)
            except Exception as exc:
                raise Fault(f"FHIRPath expression '{expression}' failed: {exc}") from exc
            for item in items:
                value, type_code = _unwrap(item, defs)
                groups.setdefault(type_code, []).append(value)
        return list(groups.items())

    return typed
