"""Static FHIR types of FHIRPath values, from the R4 definitions.

https://hl7.org/fhirpath/N1/#types-and-reflection and https://hl7.org/fhir/R4/datatypes.html

The compiler knows, for every path, the FHIR type it yields and whether the
JSON holds an array there, so it can pick the right JSON access, resolve
``value.ofType(Quantity)`` to the ``valueQuantity`` key, refuse unknown
elements and tell a boolean ``where`` from a string one. A type is named by
its FHIR name (``HumanName``, ``string``), by an element path for backbone
elements (``Patient.contact``), or :data:`ANY` when it cannot be known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from carehub.errors import Incorrect, did_you_mean
from carehub.fhir_model.definitions import Definitions, ElementDef

ANY = "Any"
"""The type of values whose type the compiler cannot know (a choice without ``ofType``)."""

NOTHING = "Nothing"
"""The type of items known to be absent (a ``repeat`` whose paths fit nothing); every
member of it is empty."""

SQL_TYPES: Mapping[str, str] = {
    "boolean": "BOOLEAN",
    "integer": "BIGINT",
    "integer64": "BIGINT",
    "positiveInt": "BIGINT",
    "unsignedInt": "BIGINT",
    "decimal": "DOUBLE",
}
"""Warehouse column type of each FHIR primitive; every other primitive is ``VARCHAR``."""

PRIMITIVES = frozenset(
    {
        "base64Binary", "boolean", "canonical", "code", "date", "dateTime", "decimal", "id",
        "instant", "integer", "integer64", "markdown", "oid", "positiveInt", "string", "time",
        "unsignedInt", "uri", "url", "uuid", "xhtml",
    }
)  # fmt: skip
"""FHIR primitive type names (their JSON values are strings, numbers or booleans)."""

NUMERIC = frozenset({"integer", "integer64", "positiveInt", "unsignedInt", "decimal"})
"""Primitive types compared and added as numbers."""

SYSTEM_TYPES: Mapping[str, str] = {
    "System.Boolean": "boolean",
    "System.String": "string",
    "System.Integer": "integer",
    "System.Decimal": "decimal",
    "System.Date": "date",
    "System.DateTime": "dateTime",
    "System.Time": "time",
}
"""FHIRPath system types and the FHIR primitive the warehouse represents each with."""


def sql_type(fhir_type: str) -> str:
    """The SQL type a value of ``fhir_type`` is stored as in a column.

    Complex types are kept as their JSON text.

    >>> sql_type("positiveInt"), sql_type("date"), sql_type("HumanName")
    ('BIGINT', 'VARCHAR', 'VARCHAR')
    """
    return SQL_TYPES.get(fhir_type, "VARCHAR")


def is_primitive(fhir_type: str) -> bool:
    """Whether values of the type are JSON scalars.

    >>> is_primitive("code"), is_primitive("Coding")
    (True, False)
    """
    return fhir_type in PRIMITIVES


@dataclass(frozen=True, slots=True)
class Element:
    """What navigating to a child element yields.

    ``type`` is the child's type (or the first candidate for a choice),
    ``array`` whether the JSON holds an array, ``choices`` the candidate types
    of a choice element (``value[x]``), empty otherwise.
    """

    name: str
    type: str
    array: bool
    choices: tuple[str, ...] = ()


class TypeSystem:
    """Type look-ups over the R4 definitions.

    Args:
        defs: the shared R4 definitions.
    """

    def __init__(self, defs: Definitions) -> None:
        self.defs = defs

    def is_resource(self, name: str) -> bool:
        """Whether ``name`` is a concrete resource type (``Patient``)."""
        return self.defs.is_resource_type(name)

    def known(self, name: str) -> bool:
        """Whether ``name`` is any FHIR type, resource type or backbone element path."""
        return (
            name in PRIMITIVES
            or self.defs.type_kind(name) is not None
            or ("." in name and self.defs.element(name) is not None)
        )

    def check_type_name(self, name: str) -> str:
        """Resolve a type specifier (``Quantity``, ``System.String``) to a FHIR type name.

        Raises:
            Incorrect: the name is no FHIR or FHIRPath type (with a suggestion).
        """
        if name in SYSTEM_TYPES:
            return SYSTEM_TYPES[name]
        if name in PRIMITIVES or self.defs.type_kind(name) is not None:
            return name
        choices = set(PRIMITIVES) | set(self.defs.resource_types())
        raise Incorrect(f"unknown type '{name}'." + did_you_mean(name, choices))

    def child(self, parent: str, name: str) -> Element:
        """The element ``name`` of values of type ``parent``.

        Raises:
            Incorrect: ``parent`` has no such element (with a suggestion), or
                ``parent`` is a primitive or unknown type.
        """
        if parent == ANY:
            raise Incorrect(
                f"cannot navigate to '{name}' from a value of unknown type; "
                "use ofType() to pick the type of a choice element first"
            )
        if parent in PRIMITIVES:
            raise Incorrect(f"'{name}' cannot be read from a {parent} value")
        children = self.defs.children(parent)
        elem = children.get(name)
        if elem is None:
            raise Incorrect(
                f"'{name}' is not an element of {parent}." + did_you_mean(name, children)
            )
        return self._element(name, elem)

    def _element(self, name: str, elem: ElementDef) -> Element:
        if elem.content_reference:
            return Element(name, elem.content_reference.lstrip("#"), elem.is_array)
        if elem.is_choice:
            return Element(name, elem.types[0], False, elem.types)
        if elem.types in (("BackboneElement",), ("Element",)):
            return Element(name, elem.path, elem.is_array)
        if len(elem.types) == 1:
            return Element(name, elem.types[0], elem.is_array)
        return Element(name, ANY, elem.is_array)

    def is_a(self, actual: str, wanted: str) -> bool | None:
        """Whether type ``actual`` is ``wanted`` or derives from it; ``None`` if only data can tell.

        Values typed ``Resource``/``DomainResource`` (contained resources) may be
        of any resource type, so ``is_a("Resource", "Patient")`` is ``None``.

        >>> ts = TypeSystem(__import__("carehub.fhir_model.definitions").fhir_model
        ...                 .definitions.definitions())
        >>> ts.is_a("code", "string"), ts.is_a("string", "code"), ts.is_a("Resource", "Patient")
        (True, False, None)
        """
        if actual == wanted:
            return True
        if actual == ANY or (actual in ("Resource", "DomainResource") and self.is_resource(wanted)):
            return None
        seen = actual
        for _ in range(8):
            base = self.defs.base_type(seen)
            if base is None:
                return False
            if base == wanted:
                return True
            seen = base
        return False
