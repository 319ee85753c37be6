"""Build CareHub's compact R4 definition tables from the HL7 FHIR R4 (4.0.1) definitions.

https://hl7.org/fhir/R4/downloads.html

CareHub never reads the (large) official definition files at run time. Instead
``scripts/build_r4_tables.py`` runs this module once and the three tables it
writes into ``carehub/fhir_model/data/`` are committed with the code and read
by :mod:`carehub.fhir_model.definitions`:

``search_parameters.json``
    resource type → search-parameter code → ``type``, ``expression`` (narrowed
    to that resource type), ``url`` and, where present, ``target``,
    ``components`` (``[[definition-url, expression], ...]``), ``modifier`` and
    ``comparator``. The parameters of ``Resource`` that have an expression
    (``_id``, ``_lastUpdated``, ``_profile``, ``_security``, ``_source``,
    ``_tag``) are folded into every resource type, their ``Resource.`` root
    rewritten to the type (``Patient.meta.tag``).
``elements.json``
    type name → ``kind``, ``base``, ``abstract`` (only when true), ``regex``
    (primitive types) and ``elements``: element path → ``min``, ``max``
    (int or ``"*"``), ``types``, ``contentReference`` (without ``#``),
    ``binding`` (value-set URL of a *required* binding, version removed) and
    ``targets`` (type names of Reference/canonical target profiles).
``valuesets.json``
    value-set URL (every required binding) → ``{"codes": [...]}`` or
    ``{"skipped": reason}`` when it cannot be expanded from the definitions
    (filters, unknown or incomplete code systems, very large sets).

The builders are pure functions over an iterable of definition resources, so
the same tables come out byte for byte whether the resources are read from the
npm package ``hl7.fhir.r4.examples@4.0.1`` (:func:`read_npm_package`) or from
the published Bundles (:func:`read_bundles`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from carehub.errors import Incorrect
from carehub.fhir_model.tables_sources import BUNDLE_FILES, read_bundles, read_npm_package
from carehub.fhir_model.valueset_expansion import MAX_VALUESET_CODES, expand_valueset, strip_version

__all__ = [
    "BUNDLE_FILES",
    "FOLDED_RESOURCE_PARAMS",
    "MAX_VALUESET_CODES",
    "TABLE_FILES",
    "build_elements",
    "build_search_parameters",
    "build_tables",
    "build_valuesets",
    "dump_table",
    "element_entry",
    "expression_root",
    "is_core_search_parameter",
    "is_core_structure",
    "narrow_expression",
    "read_bundles",
    "read_npm_package",
    "split_top_level",
    "type_name",
    "write_tables",
]

JsonObject = dict[str, Any]

#: The files written by :func:`build_tables`, in writing order.
TABLE_FILES = ("elements.json", "search_parameters.json", "valuesets.json")

#: ``Resource`` search parameters folded into every resource type.
FOLDED_RESOURCE_PARAMS = ("_id", "_lastUpdated", "_profile", "_security", "_source", "_tag")

_KINDS = frozenset({"resource", "complex-type", "primitive-type"})
_FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
_REGEX_EXT = "http://hl7.org/fhir/StructureDefinition/regex"
_SYSTEM_PREFIX = "http://hl7.org/fhirpath/System."
_ROOT = re.compile(r"[\s(]*([A-Za-z][A-Za-z0-9_]*)")


# --------------------------------------------------------------------------- helpers


def split_top_level(expression: str, separator: str = "|") -> list[str]:
    """Split a FHIRPath expression on ``separator`` outside brackets and quotes.

    >>> split_top_level("A.x | B.where(y = 'a|b') | (C.v as Quantity)")
    ['A.x', "B.where(y = 'a|b')", '(C.v as Quantity)']
    """
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    start = 0
    i = 0
    while i < len(expression):
        ch = expression[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'`\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == separator and depth == 0:
            parts.append(expression[start:i].strip())
            start = i + 1
        i += 1
    parts.append(expression[start:].strip())
    return [p for p in parts if p]


def expression_root(part: str) -> str | None:
    """Return the first identifier of a FHIRPath expression part.

    >>> expression_root("(Observation.value as Quantity)")
    'Observation'
    >>> expression_root("%resource.id") is None
    True
    """
    match = _ROOT.match(part)
    return match.group(1) if match else None


def narrow_expression(expression: str, base: str) -> str:
    """Keep the parts of a multi-base expression whose root is ``base``.

    When no part is rooted at ``base`` (relative expressions such as
    ``name | alias``) the expression is returned unchanged.

    >>> narrow_expression("Condition.code | Observation.code | (Observation.value as Quantity)",
    ...                   "Observation")
    'Observation.code | (Observation.value as Quantity)'
    >>> narrow_expression("name | alias", "InsurancePlan")
    'name | alias'
    """
    parts = split_top_level(expression)
    kept = [p for p in parts if expression_root(p) == base]
    return " | ".join(kept) if kept else expression


def type_name(url: str) -> str:
    """Return the type name of a core StructureDefinition URL.

    >>> type_name("http://hl7.org/fhir/StructureDefinition/Patient")
    'Patient'
    """
    return url.rsplit("/", 1)[-1].split("|", 1)[0]


def dump_table(table: Mapping[str, Any]) -> str:
    """Serialise a table as sorted compact JSON with one top-level key per line.

    >>> print(dump_table({"b": [1, 2], "a": {"y": 1, "x": None}}))
    {
    "a":{"x":null,"y":1},
    "b":[1,2]
    }
    <BLANKLINE>
    """
    lines = [
        json.dumps(key, ensure_ascii=False)
        + ":"
        + json.dumps(table[key], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        for key in sorted(table)
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


# --------------------------------------------------------------------------- selection


def is_core_structure(sd: Mapping[str, Any]) -> bool:
    """Whether a StructureDefinition defines a core type (not a profile or logical model).

    >>> is_core_structure({"kind": "resource", "derivation": "specialization"})
    True
    >>> is_core_structure({"kind": "complex-type", "derivation": "constraint"})
    False
    """
    return sd.get("kind") in _KINDS and sd.get("derivation") != "constraint"


def is_core_search_parameter(sp: Mapping[str, Any]) -> bool:
    """Whether a SearchParameter is one of the 1,375 parameters of the R4 specification.

    The npm package also carries example and extension-based parameters; those
    are experimental or not versioned 4.0.1.

    >>> is_core_search_parameter({"version": "4.0.1", "experimental": False})
    True
    >>> is_core_search_parameter({"version": "4.0.1", "experimental": True})
    False
    """
    return sp.get("version") == "4.0.1" and sp.get("experimental") is not True


# --------------------------------------------------------------------------- elements


def _type_code(entry: Mapping[str, Any]) -> str:
    for ext in entry.get("extension", ()):
        if ext.get("url") == _FHIR_TYPE_EXT and "valueUrl" in ext:
            return str(ext["valueUrl"])
    code = str(entry["code"])
    if code.startswith(_SYSTEM_PREFIX):
        system = code[len(_SYSTEM_PREFIX) :]
        return {"DateTime": "dateTime"}.get(system, system[:1].lower() + system[1:])
    return code


def element_entry(element: Mapping[str, Any]) -> JsonObject:
    """Compact one snapshot ElementDefinition into its table entry.

    >>> element_entry({"path": "Observation.subject", "min": 0, "max": "1",
    ...     "type": [{"code": "Reference", "targetProfile": [
    ...         "http://hl7.org/fhir/StructureDefinition/Patient"]}]})
    {'max': 1, 'min': 0, 'types': ['Reference'], 'targets': ['Patient']}
    """
    raw_max = str(element.get("max", "*"))
    out: JsonObject = {
        "max": "*" if raw_max == "*" else int(raw_max),
        "min": int(element.get("min", 0)),
    }
    types: list[str] = []
    targets: list[str] = []
    for entry in element.get("type", ()):
        code = _type_code(entry)
        if code not in types:
            types.append(code)
        for profile in entry.get("targetProfile", ()):
            name = type_name(profile)
            if name not in targets:
                targets.append(name)
    if types:
        out["types"] = types
    if targets:
        out["targets"] = targets
    ref = element.get("contentReference")
    if ref:
        out["contentReference"] = str(ref).lstrip("#")
    binding = element.get("binding")
    if binding and binding.get("strength") == "required" and binding.get("valueSet"):
        out["binding"] = strip_version(str(binding["valueSet"]))
    return out


def build_elements(structures: Iterable[Mapping[str, Any]]) -> JsonObject:
    """Build the ``elements.json`` table from core StructureDefinitions.

    Args:
        structures: StructureDefinitions; non-core ones are ignored.

    Returns:
        type name → ``kind``, ``base``, ``elements`` (path → entry), plus
        ``abstract`` when true and ``regex`` for primitive types. The logical
        id of resources (``Patient.id``) is typed ``id``, as the R4 text says,
        and the ``value`` of a primitive type by that type (``positiveInt.value``).
    """
    table: JsonObject = {}
    for sd in structures:
        if not is_core_structure(sd):
            continue
        name = str(sd["type"])
        info: JsonObject = {"kind": sd["kind"]}
        if sd.get("baseDefinition"):
            info["base"] = type_name(str(sd["baseDefinition"]))
        if sd.get("abstract"):
            info["abstract"] = True
        elements: JsonObject = {}
        for element in sd["snapshot"]["element"]:
            path = str(element["path"])
            if "." not in path:
                continue
            entry = element_entry(element)
            if sd["kind"] == "resource" and path == f"{name}.id":
                # 4.0.1 snapshots give the logical id as System.String; the
                # specification (resource.html#id) makes it an ``id``.
                entry["types"] = ["id"]
            elements[path] = entry
            if sd["kind"] == "primitive-type" and path == f"{name}.value":
                # The snapshot's System types are loose (positiveInt.value is
                # System.String); the JSON form is that of the primitive itself.
                entry["types"] = [name]
                for type_entry in element.get("type", ()):
                    for ext in type_entry.get("extension", ()):
                        if ext.get("url") == _REGEX_EXT:
                            info["regex"] = ext["valueString"]
        info["elements"] = elements
        table[name] = info
    return table


# --------------------------------------------------------------------------- search parameters


def _param_entry(sp: Mapping[str, Any], base: str) -> JsonObject:
    entry: JsonObject = {"type": sp["type"], "url": sp["url"]}
    expression = sp.get("expression")
    if expression:
        if base not in sp.get("base", ()):  # folded from Resource
            expression = re.sub(r"\bResource\.", f"{base}.", expression)
        entry["expression"] = narrow_expression(expression, base)
    if sp.get("target"):
        entry["target"] = list(sp["target"])
    if sp.get("component"):
        entry["components"] = [[c["definition"], c["expression"]] for c in sp["component"]]
    if sp.get("modifier"):
        entry["modifier"] = list(sp["modifier"])
    if sp.get("comparator"):
        entry["comparator"] = list(sp["comparator"])
    return entry


def build_search_parameters(
    parameters: Iterable[Mapping[str, Any]], resource_types: Iterable[str]
) -> JsonObject:
    """Build the ``search_parameters.json`` table.

    Args:
        parameters: SearchParameters; non-core ones are ignored.
        resource_types: the concrete resource types (each gets a key).

    Returns:
        resource type → code → entry (see the module docstring).

    Raises:
        Incorrect: two core parameters share a code on one resource type.
    """
    types = sorted(resource_types)
    table: dict[str, JsonObject] = {t: {} for t in types}
    folded: list[Mapping[str, Any]] = []
    for sp in parameters:
        if not is_core_search_parameter(sp):
            continue
        bases = list(sp.get("base", ()))
        if "Resource" in bases and sp["code"] in FOLDED_RESOURCE_PARAMS:
            folded.append(sp)
        for base in bases:
            if base in table:
                if sp["code"] in table[base]:
                    raise Incorrect(f"Duplicate search parameter {base}.{sp['code']}")
                table[base][sp["code"]] = _param_entry(sp, base)
    for sp in folded:
        for base in types:
            table[base].setdefault(sp["code"], _param_entry(sp, base))
    return table


def build_valuesets(
    elements: Mapping[str, Any], resources: Iterable[Mapping[str, Any]]
) -> JsonObject:
    """Build the ``valuesets.json`` table for every required binding in ``elements``.

    Args:
        elements: the table built by :func:`build_elements`.
        resources: ValueSets and CodeSystems (others are ignored).
    """
    valuesets: dict[str, Mapping[str, Any]] = {}
    codesystems: dict[str, Mapping[str, Any]] = {}
    for res in resources:
        kind = res.get("resourceType")
        if kind == "ValueSet":
            valuesets.setdefault(str(res["url"]), res)
        elif kind == "CodeSystem":
            codesystems.setdefault(str(res["url"]), res)
    urls = {
        entry["binding"]
        for info in elements.values()
        for entry in info["elements"].values()
        if "binding" in entry
    }
    table: JsonObject = {}
    for url in sorted(urls):
        result = expand_valueset(url, valuesets, codesystems)
        table[url] = {"skipped": result} if isinstance(result, str) else {"codes": result}
    return table


# --------------------------------------------------------------------------- all tables


def build_tables(resources: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Build every table from the definition resources.

    Args:
        resources: SearchParameter, StructureDefinition, ValueSet and
            CodeSystem resources from either source; anything else is ignored.

    Returns:
        file name (see :data:`TABLE_FILES`) → file text.

    Raises:
        Incorrect: the resources hold no resource StructureDefinitions.
    """
    structures: list[Mapping[str, Any]] = []
    parameters: list[Mapping[str, Any]] = []
    terminology: list[Mapping[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for res in resources:
        key = (str(res.get("resourceType")), str(res.get("url")))
        if key in seen:
            continue
        seen.add(key)
        if key[0] == "StructureDefinition":
            structures.append(res)
        elif key[0] == "SearchParameter":
            parameters.append(res)
        elif key[0] in ("ValueSet", "CodeSystem"):
            terminology.append(res)
    elements = build_elements(sorted(structures, key=lambda sd: str(sd["url"])))
    concrete = [
        name
        for name, info in elements.items()
        if info["kind"] == "resource" and not info.get("abstract")
    ]
    if not concrete:
        raise Incorrect("No resource StructureDefinitions among the definitions")
    params = build_search_parameters(sorted(parameters, key=lambda sp: str(sp["url"])), concrete)
    valuesets = build_valuesets(elements, sorted(terminology, key=lambda r: str(r["url"])))
    return {
        "elements.json": dump_table(elements),
        "search_parameters.json": dump_table(params),
        "valuesets.json": dump_table(valuesets),
    }


def write_tables(tables: Mapping[str, str], out_dir: Path) -> list[Path]:
    """Write the tables as UTF-8 files (``\\n`` line ends) into ``out_dir``.

    Returns:
        the paths written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(tables):
        path = out_dir / name
        path.write_bytes(tables[name].encode("utf-8"))
        written.append(path)
    return written
