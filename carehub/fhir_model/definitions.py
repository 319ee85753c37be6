"""The HL7 FHIR R4 (4.0.1) definitions CareHub needs, read from its packaged tables.

https://hl7.org/fhir/R4/structuredefinition.html and https://hl7.org/fhir/R4/searchparameter.html

The tables in ``carehub/fhir_model/data/`` are built from the official
definitions by :mod:`carehub.fhir_model.tables_build` (``scripts/build_r4_tables.py``)
and shipped with the package, so nothing here reads files outside CareHub or
the network. :func:`definitions` returns one shared, immutable
:class:`Definitions`; element and search-parameter objects are built lazily,
one type at a time, on first use.

>>> d = definitions()
>>> d.search_params("Patient")["name"].expression
'Patient.name'
>>> d.element("Observation.value[x]").is_choice
True
>>> sorted(d.children("HumanName"))[:3]
['extension', 'family', 'given']
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

import orjson

from carehub.errors import Fault, Incorrect, did_you_mean

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class SearchParamDef:
    """One search parameter of one resource type.

    Attributes:
        code: the name used in URLs (``name``, ``_lastUpdated``).
        type: ``number``, ``date``, ``string``, ``token``, ``reference``,
            ``composite``, ``quantity``, ``uri`` or ``special``.
        expression: FHIRPath, narrowed to ``base`` (``None`` for ``special``
            parameters without one).
        url: the canonical URL of the SearchParameter definition.
        base: the resource type this definition applies to.
        target: resource types a reference parameter may point to.
        components: ``(definition-url, expression)`` pairs of a composite.
        modifiers: allowed modifiers when the definition restricts them.
        comparators: allowed comparators (``eq``, ``gt``...) when listed.
    """

    code: str
    type: str
    expression: str | None
    url: str
    base: str
    target: tuple[str, ...] = ()
    components: tuple[tuple[str, str], ...] = ()
    modifiers: tuple[str, ...] = ()
    comparators: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ElementDef:
    """One element of a resource or data type (from the snapshot definition).

    Attributes:
        path: e.g. ``Observation.value[x]``, ``HumanName.family``.
        min: minimum cardinality.
        max: maximum cardinality; ``None`` means unbounded (``*``).
        types: type codes (``Quantity``, ``string``...); empty when the
            element repeats another (``content_reference``).
        content_reference: the path whose definition this element reuses
            (``Questionnaire.item`` for ``Questionnaire.item.item``).
        binding_valueset: value-set URL of a *required* binding, else ``None``.
        target_types: resource types allowed by Reference/canonical targets.
    """

    path: str
    min: int
    max: int | None
    types: tuple[str, ...]
    content_reference: str | None
    binding_valueset: str | None
    target_types: tuple[str, ...]

    @property
    def name(self) -> str:
        """The last path segment without ``[x]`` (the JSON key, or its stem for choices).

        >>> definitions().element("Observation.value[x]").name
        'value'
        """
        last = self.path.rsplit(".", 1)[-1]
        return last[:-3] if last.endswith("[x]") else last

    @property
    def is_choice(self) -> bool:
        """Whether this is a choice element (``value[x]``)."""
        return self.path.endswith("[x]")

    @property
    def is_array(self) -> bool:
        """Whether the element repeats (max ``*`` or above 1), so JSON holds an array."""
        return self.max is None or self.max > 1


class Definitions:
    """Look-ups over the R4 tables; build one with :func:`definitions`.

    Args:
        elements: the ``elements.json`` table.
        search_parameters: the ``search_parameters.json`` table.
        valuesets: the ``valuesets.json`` table.
    """

    def __init__(
        self,
        elements: Mapping[str, Any],
        search_parameters: Mapping[str, Any],
        valuesets: Mapping[str, Any],
    ) -> None:
        self._types = elements
        self._search = search_parameters
        self._valuesets = valuesets
        self._resource_types = frozenset(
            name
            for name, info in elements.items()
            if info["kind"] == "resource" and not info.get("abstract")
        )
        self._elements: dict[str, dict[str, ElementDef]] = {}
        self._children: dict[str, dict[str, Mapping[str, ElementDef]]] = {}
        self._params: dict[str, Mapping[str, SearchParamDef]] = {}
        self._codes: dict[str, frozenset[str] | None] = {}

    # ------------------------------------------------------------------ types

    def resource_types(self) -> frozenset[str]:
        """Every concrete R4 resource type (``Patient``...; not ``Resource``/``DomainResource``)."""
        return self._resource_types

    def is_resource_type(self, name: str) -> bool:
        """Whether ``name`` is a concrete R4 resource type.

        >>> definitions().is_resource_type("Patient"), definitions().is_resource_type("Patinet")
        (True, False)
        """
        return name in self._resource_types

    def type_kind(self, name: str) -> str | None:
        """``resource``, ``complex-type`` or ``primitive-type``, or ``None`` for unknown names.

        >>> definitions().type_kind("HumanName")
        'complex-type'
        """
        info = self._types.get(name)
        return str(info["kind"]) if info else None

    def base_type(self, name: str) -> str | None:
        """The type ``name`` specialises (``DomainResource`` for ``Patient``), or ``None``."""
        info = self._types.get(name)
        return str(info["base"]) if info and "base" in info else None

    def is_abstract(self, name: str) -> bool:
        """Whether ``name`` is an abstract type (``Resource``, ``BackboneElement``...)."""
        info = self._types.get(name)
        return bool(info and info.get("abstract"))

    # ------------------------------------------------------------------ search

    def search_params(self, resource_type: str) -> Mapping[str, SearchParamDef]:
        """The search parameters of a resource type, by code.

        Includes ``_id``, ``_lastUpdated``, ``_profile``, ``_security``,
        ``_source`` and ``_tag``.

        Raises:
            Incorrect: ``resource_type`` is not an R4 resource type (with a
                "did you mean" hint).
        """
        cached = self._params.get(resource_type)
        if cached is not None:
            return cached
        table = self._search.get(resource_type)
        if table is None:
            raise Incorrect(
                f"Unknown resource type '{resource_type}'."
                + did_you_mean(resource_type, self._resource_types),
                issue_code="not-supported",
            )
        params = MappingProxyType(
            {code: _search_param(code, resource_type, raw) for code, raw in table.items()}
        )
        self._params[resource_type] = params
        return params

    # ------------------------------------------------------------------ elements

    def element(self, path: str) -> ElementDef | None:
        """The definition of an element path (``Observation.value[x]``), or ``None``."""
        return self._type_elements(path.split(".", 1)[0]).get(path)

    def children(self, type_or_path: str) -> Mapping[str, ElementDef]:
        """The direct child elements of a type or an element, keyed by JSON base name.

        Choice elements are keyed by their stem (``value`` for ``value[x]``).
        For an element path the children are, in order of preference: its own
        sub-elements (backbone elements), those of its ``content_reference``,
        or those of its single data type. Unknown names give an empty mapping.

        >>> definitions().children("Questionnaire.item.item")["linkId"].path
        'Questionnaire.item.linkId'
        """
        root = type_or_path.split(".", 1)[0]
        by_parent = self._children.get(root)
        if by_parent is None:
            self._type_elements(root)
            by_parent = self._children.get(root, {})
        own = by_parent.get(type_or_path)
        if own is not None:
            return own
        if "." not in type_or_path:
            return _EMPTY
        elem = self.element(type_or_path)
        if elem is None:
            return _EMPTY
        if elem.content_reference:
            return self.children(elem.content_reference)
        if len(elem.types) == 1 and elem.types[0] in self._types:
            return self.children(elem.types[0])
        return _EMPTY

    def _type_elements(self, name: str) -> dict[str, ElementDef]:
        cached = self._elements.get(name)
        if cached is not None:
            return cached
        info = self._types.get(name)
        if info is None:
            return {}
        elements: dict[str, ElementDef] = {}
        groups: dict[str, dict[str, ElementDef]] = {name: {}}
        for path, raw in info["elements"].items():
            elem = _element(path, raw)
            elements[path] = elem
            parent = path.rsplit(".", 1)[0]
            groups.setdefault(parent, {})[elem.name] = elem
        self._children[name] = {k: MappingProxyType(v) for k, v in groups.items()}
        self._elements[name] = elements
        return elements

    # ------------------------------------------------------------------ terminology

    def valueset_codes(self, url: str) -> frozenset[str] | None:
        """The codes of a required-binding value set, or ``None`` when not enumerated.

        ``None`` means "do not check": the set was not expandable from the R4
        definitions (filters, external code systems such as UCUM) or is not a
        required binding of any element. A ``|version`` suffix is ignored.

        >>> sorted(definitions().valueset_codes(
        ...     "http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1"))
        ['female', 'male', 'other', 'unknown']
        """
        key = url.split("|", 1)[0]
        if key in self._codes:
            return self._codes[key]
        raw = self._valuesets.get(key)
        codes = frozenset(raw["codes"]) if raw and "codes" in raw else None
        self._codes[key] = codes
        return codes


def _search_param(code: str, base: str, raw: Mapping[str, Any]) -> SearchParamDef:
    return SearchParamDef(
        code=code,
        type=raw["type"],
        expression=raw.get("expression"),
        url=raw["url"],
        base=base,
        target=tuple(raw.get("target", ())),
        components=tuple((c[0], c[1]) for c in raw.get("components", ())),
        modifiers=tuple(raw.get("modifier", ())),
        comparators=tuple(raw.get("comparator", ())),
    )


def _element(path: str, raw: Mapping[str, Any]) -> ElementDef:
    raw_max = raw["max"]
    return ElementDef(
        path=path,
        min=raw["min"],
        max=None if raw_max == "*" else int(raw_max),
        types=tuple(raw.get("types", ())),
        content_reference=raw.get("contentReference"),
        binding_valueset=raw.get("binding"),
        target_types=tuple(raw.get("targets", ())),
    )


def _read_table(name: str) -> Any:
    return orjson.loads((resources.files("carehub.fhir_model") / "data" / name).read_bytes())


@functools.cache
def definitions() -> Definitions:
    """Return the shared :class:`Definitions`, loading the packaged tables on first call.

    Raises:
        Fault: a table is missing, i.e. the installation is broken.
    """
    try:
        return Definitions(
            _read_table("elements.json"),
            _read_table("search_parameters.json"),
            _read_table("valuesets.json"),
        )
    except FileNotFoundError as exc:
        raise Fault(f"CareHub's R4 definition tables are missing: {exc}") from exc
