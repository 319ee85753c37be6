"""Compilation of the R4 element definitions into table-driven structural checkers.

https://hl7.org/fhir/R4/json.html and https://hl7.org/fhir/R4/elementdefinition.html

Each resource type, data type and backbone element is compiled once, on first
use, into an :class:`ObjectSpec`: a dict from every allowed JSON key
(``valueQuantity``, ``_birthDate``...) to a :class:`Field` that already holds
its primitive check, value-set codes or nested spec. Validating a resource is
then one walk over its JSON with dict look-ups (:func:`check_object`); the
definitions are never interpreted per call.

Compilation is thread-safe: specs are built under a lock and published only
when complete, so a concurrent reader never sees a half-filled spec.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from carehub.errors import Fault, IssueList, did_you_mean
from carehub.fhir_model.definitions import Definitions, ElementDef
from carehub.fhir_model.validation.primitives import PRIMITIVE_CHECKS, PrimitiveCheck
from carehub.fhir_model.validation.references import reference_check

#: A checker of a nested value that needs its FHIRPath (resources).
ValueCheck = Callable[[Any, str, IssueList], None]

_BACKBONE = frozenset({"BackboneElement", "Element"})


@dataclass(slots=True, eq=False)
class Field:
    """How one JSON key of an object is checked.

    Exactly one of ``primitive``, ``spec`` and ``check`` is set.

    Attributes:
        name: the FHIRPath segment (``given``, ``value.ofType(Quantity)``).
        variant: the JSON key without a leading ``_``.
        array: whether JSON holds an array here.
        max: maximum number of items when bounded above 1.
        primitive: the primitive check (for ``_x`` keys: ``None``).
        codes: allowed codes of a required binding, when enumerated.
        valueset: URL of that binding (for messages).
        spec: the nested object spec (complex types, backbones, ``_x``).
        check: any other checker (contained resources).
        choice: the stem of a choice element (``value``), else ``None``.
        companion: the paired key of a primitive (``_given`` ↔ ``given``).
    """

    name: str
    variant: str
    array: bool
    max: int | None = None
    primitive: PrimitiveCheck | None = None
    codes: frozenset[str] | None = None
    valueset: str | None = None
    spec: ObjectSpec | None = None
    check: ValueCheck | None = None
    choice: str | None = None
    companion: str | None = None


@dataclass(slots=True, eq=False)
class ObjectSpec:
    """The compiled shape of one JSON object: allowed keys and required elements."""

    label: str
    fields: dict[str, Field] = field(default_factory=dict)
    #: (element name, JSON keys any one of which satisfies it)
    required: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


def _accept(value: Any) -> str | None:
    return None


def check_object(obj: dict[str, Any], spec: ObjectSpec, path: str, issues: IssueList) -> None:
    """Check one JSON object against its spec, adding every problem to ``issues``.

    The common case (a valid value) costs a dict look-up and one check per
    key; FHIRPaths are only formatted for nested objects and for problems.

    Args:
        obj: the decoded JSON object.
        spec: its compiled spec.
        path: the FHIRPath of ``obj`` (``Patient.name[0]``).
        issues: where issues are collected.
    """
    if not obj:
        issues.add("structure", "Empty objects are not allowed", path)
        return
    fields = spec.fields
    chosen: dict[str, str] | None = None
    for key, value in obj.items():
        f = fields.get(key)
        if f is None:
            _unknown(key, spec, path, issues)
            continue
        if f.choice is not None:
            if chosen is None:
                chosen = {f.choice: f.variant}
            elif chosen.setdefault(f.choice, f.variant) != f.variant:
                issues.add(
                    "structure",
                    f"Only one of '{chosen[f.choice]}' and '{f.variant}' may be present"
                    f" ({f.choice}[x])",
                    f"{path}.{f.choice}",
                )
        kind = type(value)
        if f.array:
            if kind is not list or not value or f.max is not None:
                _check_array_shape(obj, f, value, path, issues)
                continue
            primitive = f.primitive
            if primitive is not None:
                codes = f.codes
                for item in value:
                    if primitive(item) is not None or (codes is not None and item not in codes):
                        _check_items(obj, f, value, path, issues)
                        break
                else:
                    if f.companion in obj:
                        _check_items(obj, f, value, path, issues)
                continue
            nested = f.spec
            if nested is not None:
                for i, item in enumerate(value):
                    if type(item) is dict:
                        check_object(item, nested, f"{path}.{f.name}[{i}]", issues)
                    else:
                        partner = obj.get(f.companion) if f.companion is not None else None
                        _check_item(obj, f, i, item, path, issues, partner)
            else:
                _check_items(obj, f, value, path, issues)
            continue
        primitive = f.primitive
        if primitive is not None:
            codes = f.codes
            if (
                kind is list
                or primitive(value) is not None
                or (codes is not None and value not in codes)
            ):
                _check_item(obj, f, None, value, path, issues)
        elif kind is dict:
            if f.spec is not None:
                check_object(value, f.spec, f"{path}.{f.name}", issues)
            elif f.check is not None:
                f.check(value, f"{path}.{f.name}", issues)
        else:
            _check_item(obj, f, None, value, path, issues)
    for name, keys in spec.required:
        for key in keys:
            if key in obj:
                break
        else:
            issues.add("required", f"Missing required element '{name}'", f"{path}.{name}")


def _check_array_shape(
    obj: dict[str, Any], f: Field, value: Any, path: str, issues: IssueList
) -> None:
    """Slow path of an array element: not a list, empty, or bounded."""
    where = f"{path}.{f.name}"
    if value is None:
        issues.add("structure", f"'{f.variant}' is null; leave it out instead", where)
    elif type(value) is not list:
        issues.add("structure", f"'{f.variant}' must be an array", where)
    elif not value:
        issues.add("structure", "Empty arrays are not allowed", where)
    else:
        if f.max is not None and len(value) > f.max:
            issues.add("structure", f"At most {f.max} items allowed", where)
        _check_items(obj, f, value, path, issues)


def _check_items(
    obj: dict[str, Any], f: Field, items: list[Any], path: str, issues: IssueList
) -> None:
    """Check every item of an array element, reporting each problem."""
    partner = obj.get(f.companion) if f.companion is not None else None
    if f.primitive is not None and type(partner) is list and len(partner) != len(items):
        issues.add(
            "structure",
            f"'{f.variant}' and '{f.companion}' must have the same length",
            f"{path}.{f.name}",
        )
    for i, item in enumerate(items):
        _check_item(obj, f, i, item, path, issues, partner)


def _check_item(
    obj: dict[str, Any],
    f: Field,
    index: int | None,
    value: Any,
    path: str,
    issues: IssueList,
    partner: Any = None,
) -> None:
    """Check one value (``index`` ``None`` for a single-valued element) and report problems."""
    where = f"{path}.{f.name}" if index is None else f"{path}.{f.name}[{index}]"
    if value is None:
        if index is None:
            issues.add("structure", f"'{f.variant}' is null; leave it out instead", where)
        elif not (type(partner) is list and index < len(partner) and partner[index] is not None):
            issues.add("structure", "null items are not allowed", where)
        return
    if index is None and type(value) is list:
        issues.add("structure", f"'{f.variant}' must be a single value, not an array", where)
        return
    primitive = f.primitive
    if primitive is not None:
        problem = primitive(value)
        if problem is not None:
            issues.add("value", problem, where)
        elif f.codes is not None and value not in f.codes:
            issues.add(
                "code-invalid", f"'{value}' is not in the required value set {f.valueset}", where
            )
    elif f.check is not None:
        f.check(value, where, issues)
    elif type(value) is not dict:
        issues.add("structure", f"'{f.variant}' must be a JSON object", where)
    elif f.spec is not None:
        check_object(value, f.spec, where, issues)


def _unknown(key: str, spec: ObjectSpec, path: str, issues: IssueList) -> None:
    name = key[1:] if key.startswith("_") else key
    hint = did_you_mean(key, [k for k in spec.fields if not k.startswith("_")])
    issues.add("structure", f"Unknown element '{key}' in {spec.label}.{hint}", f"{path}.{name}")


class Compiler:
    """Compiles and caches the specs of resource types, data types and backbones.

    Args:
        defs: the R4 definitions.
    """

    def __init__(self, defs: Definitions) -> None:
        self._defs = defs
        self._resource_types = defs.resource_types()
        self._lock = threading.RLock()
        self._done: dict[str, ObjectSpec] = {}
        self._pending: dict[str, ObjectSpec] = {}
        self._depth = 0

    def resource_spec(self, resource_type: str) -> ObjectSpec:
        """The spec of a concrete resource type (which the caller has checked is known)."""
        spec = self._done.get(resource_type)
        if spec is not None:
            return spec
        return self._spec(resource_type, resource_type, resource=True)

    def check_resource(self, value: Any, path: str | None, issues: IssueList) -> None:
        """Check a resource (root, contained or ``Bundle.entry.resource``) at ``path``."""
        where = path or "Resource"
        if type(value) is not dict:
            issues.add("structure", "A resource must be a JSON object", where)
            return
        resource_type = value.get("resourceType")
        if resource_type is None:
            issues.add("required", "Missing 'resourceType'", where)
            return
        if type(resource_type) is not str or resource_type not in self._resource_types:
            hint = (
                did_you_mean(resource_type, self._resource_types)
                if type(resource_type) is str
                else ""
            )
            issues.add("invalid", f"Unknown resource type {resource_type!r}.{hint}", where)
            return
        spec = self._done.get(resource_type) or self.resource_spec(resource_type)
        check_object(value, spec, path or resource_type, issues)

    # ------------------------------------------------------------------ compilation

    def _spec(
        self,
        key: str,
        source: str,
        *,
        resource: bool = False,
        targets: Collection[str] | None = None,
    ) -> ObjectSpec:
        spec = self._done.get(key)
        if spec is not None:
            return spec
        with self._lock:
            spec = self._done.get(key) or self._pending.get(key)
            if spec is not None:
                return spec
            spec = ObjectSpec(source)
            self._pending[key] = spec
            self._depth += 1
            ok = False
            try:
                self._fill(spec, self._defs.children(source), resource, targets)
                ok = True
            finally:
                self._depth -= 1
                if self._depth == 0:
                    if ok:
                        self._done.update(self._pending)
                    self._pending.clear()
            return spec

    def _fill(
        self,
        spec: ObjectSpec,
        children: Mapping[str, ElementDef],
        resource: bool,
        targets: Collection[str] | None,
    ) -> None:
        if not children:
            raise Fault(f"No element definitions for {spec.label}")
        if resource:
            spec.fields["resourceType"] = Field(
                "resourceType", "resourceType", False, primitive=_accept
            )
        for name, elem in children.items():
            keys: list[str] = []
            if elem.is_choice:
                for type_code in elem.types:
                    key = name + type_code[0].upper() + type_code[1:]
                    keys += self._add(spec, key, f"{name}.ofType({type_code})", elem, type_code)
                for key in keys:
                    spec.fields[key].choice = name
            else:
                type_code = elem.types[0] if elem.types else ""
                keys = self._add(spec, name, name, elem, type_code)
                if name == "reference" and targets is not None:
                    spec.fields[name].primitive = reference_check(self._resource_types, targets)
            if elem.min >= 1:
                spec.required.append((name, tuple(keys)))

    def _add(
        self, spec: ObjectSpec, key: str, name: str, elem: ElementDef, type_code: str
    ) -> list[str]:
        """Add the field(s) of one JSON key; return the keys added."""
        array = elem.is_array
        bounded = elem.max if elem.max is not None and elem.max > 1 else None
        primitive = PRIMITIVE_CHECKS.get(type_code)
        if primitive is not None and not elem.content_reference:
            codes = None
            if type_code == "code" and elem.binding_valueset:
                codes = self._defs.valueset_codes(elem.binding_valueset)
            ext = "_" + key
            spec.fields[key] = Field(
                name, key, array, bounded, primitive, codes, elem.binding_valueset,
                companion=ext,
            )  # fmt: skip
            element = self._spec("Element", "Element")
            spec.fields[ext] = Field(name, key, array, bounded, spec=element, companion=key)
            return [key, ext]
        new = Field(name, key, array, bounded)
        if elem.content_reference:
            new.spec = self._spec(elem.content_reference, elem.content_reference)
        elif type_code == "Resource":
            new.check = self.check_resource
        elif type_code in _BACKBONE:
            new.spec = self._spec(elem.path, elem.path)
        elif type_code == "Reference":
            targets = elem.target_types
            new.spec = self._spec("Reference|" + ",".join(targets), "Reference", targets=targets)
        elif self._defs.type_kind(type_code) == "complex-type":
            new.spec = self._spec(type_code, type_code)
        else:
            raise Fault(f"Cannot compile {elem.path}: unknown type {type_code!r}")
        spec.fields[key] = new
        return [key]
