"""Search-index extraction at write time.

https://hl7.org/fhir/R4/search.html and https://hl7.org/fhir/R4/searchparameter.html

:func:`extract` evaluates every indexed search parameter of a resource's type
(the R4 SearchParameter FHIRPath expressions, compiled once by
:mod:`carehub.fhir_model.fhirpath_subset`) and turns each value into rows by its
FHIR type (:mod:`carehub.fhir_model.index_convert`). Indexed are all parameters
with an expression except ``composite`` and ``special`` ones, those the
store keeps as columns or does not index (:data:`NOT_INDEXED`), and those
whose values can never be of an indexable type (``Bundle.composition`` points
at a resource, not a Reference).

Per resource type the parameters are compiled into a table once; a parameter
whose expression reads only certain top-level keys is evaluated only when the
resource has one of them, which keeps extraction of a typical resource to a
few microseconds per present element.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from carehub.errors import Incorrect, Invalid
from carehub.fhir_model.definitions import definitions
from carehub.fhir_model.fhirpath_subset import CompiledPath, compile_path
from carehub.fhir_model.index_alias import Alias, find_aliases
from carehub.fhir_model.index_convert import CONVERTERS, Converter
from carehub.fhir_model.index_rows import IndexRows

#: parameters never turned into index rows (store columns or unsupported text search)
NOT_INDEXED = frozenset({"_id", "_lastUpdated", "_text", "_content", "_query", "_filter"})
_NOT_INDEXED_TYPES = frozenset({"composite", "special"})
#: appends the rows of one parameter for one resource
Emitter = Callable[[Mapping[str, Any], IndexRows], None]
_SEEN_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class IndexedParam:
    """One search parameter as the extractor evaluates it.

    Attributes:
        code: the parameter code (``subject``).
        type: the search-parameter type (``reference``).
        path: the compiled expression.
        converters: for a native path, the converter of each result column
            (``None`` where that FHIR type is not indexed for this parameter type).
        emit: evaluates the path on a resource and appends its rows.
    """

    code: str
    type: str
    path: CompiledPath
    converters: tuple[Converter | None, ...] | None
    emit: Emitter


@dataclass(frozen=True, slots=True)
class _Table:
    """The indexed parameters of one resource type and which top-level keys select them."""

    params: tuple[IndexedParam, ...]
    always: frozenset[int]
    by_key: Mapping[str, tuple[int, ...]]
    aliases: Mapping[str, Alias]
    #: selections already computed, by the resource's top-level keys in order
    seen: dict[tuple[str, ...], tuple[Emitter, ...]] = field(default_factory=dict)

    def select(self, resource: Mapping[str, Any]) -> tuple[IndexedParam, ...]:
        """The parameters that can have values in ``resource``, in table order."""
        chosen = set(self.always)
        for key in resource:
            chosen.update(self.by_key.get(key, ()))
        return tuple(self.params[i] for i in sorted(chosen))

    def emitters(self, resource: Mapping[str, Any]) -> tuple[Emitter, ...]:
        """The ``emit`` functions of :meth:`select`, memoized by the resource's key set."""
        signature = tuple(resource)
        hit = self.seen.get(signature)
        if hit is None:
            hit = tuple(param.emit for param in self.select(resource))
            if len(self.seen) >= _SEEN_LIMIT:
                self.seen.clear()
            self.seen[signature] = hit
        return hit


def indexed_params(resource_type: str) -> tuple[IndexedParam, ...]:
    """The parameters :func:`extract` indexes for ``resource_type``.

    Raises:
        Incorrect: ``resource_type`` is not an R4 resource type.

    >>> [p.code for p in indexed_params("Patient")][:4]
    ['_profile', '_security', '_source', '_tag']
    """
    return _table(resource_type).params


_TABLES: dict[str, _Table] = {}


def _table(resource_type: str) -> _Table:
    """The (memoized) parameter table of a resource type.

    Raises:
        Incorrect: ``resource_type`` is not an R4 resource type.
    """
    table = _TABLES.get(resource_type)
    if table is None:
        table = _TABLES[resource_type] = _build_table(resource_type)
    return table


def aliases(resource_type: str) -> Mapping[str, Alias]:
    """The parameters of ``resource_type`` answered from other parameters' rows.

    See :mod:`carehub.fhir_model.index_alias`. Same and union aliases have no
    rows of their own; a typed alias only the rows its base does not imply.

    Raises:
        Incorrect: ``resource_type`` is not an R4 resource type.

    >>> aliases("Observation")["patient"].bases
    ('subject',)
    """
    return _table(resource_type).aliases


def _build_table(resource_type: str) -> _Table:
    compiled: list[tuple[str, str, CompiledPath, tuple[Converter | None, ...] | None]] = []
    for code, spec in definitions().search_params(resource_type).items():
        if code in NOT_INDEXED or spec.type in _NOT_INDEXED_TYPES or not spec.expression:
            continue
        path = compile_path(spec.expression, resource_type)
        table = CONVERTERS.get(spec.type, {})
        converters = None
        if path.types is not None:
            converters = tuple(table.get(t) for t in path.types)
            if not any(converters):
                continue
        compiled.append((code, spec.type, path, converters))
    found = find_aliases({code: (ptype, path.expression) for code, ptype, path, _ in compiled})
    params: list[IndexedParam] = []
    always: set[int] = set()
    by_key: dict[str, list[int]] = {}
    for code, ptype, path, converters in compiled:
        alias = found.get(code)
        if alias is not None and alias.target_type is None:
            continue  # its rows are its bases' rows
        index = len(params)
        emit = _emitter(code, ptype, path, converters)
        if alias is not None and alias.target_type is not None:
            emit = _residual(emit, alias.target_type)
        params.append(IndexedParam(code, ptype, path, converters, emit))
        if path.root_keys is None:
            always.add(index)
        else:
            for key in path.root_keys:
                by_key.setdefault(key, []).append(index)
    return _Table(
        tuple(params),
        frozenset(always),
        {k: tuple(v) for k, v in by_key.items()},
        found,
    )


def _residual(emit: Emitter, target_type: str) -> Emitter:
    """``emit`` keeping the reference rows a typed alias's base does not imply."""

    def residual(resource: Mapping[str, Any], rows: IndexRows) -> None:
        mine = IndexRows()
        emit(resource, mine)
        rows.references.extend(r for r in mine.references if r[1] != target_type)

    return residual


def extract(resource: Mapping[str, Any]) -> IndexRows:
    """Extract the search-index rows of one resource.

    Args:
        resource: a FHIR R4 resource as parsed JSON.

    Returns:
        The de-duplicated rows of every indexed parameter but the aliases
        (:func:`aliases`; see :mod:`carehub.fhir_model.index_rows` for the
        conventions).

    Raises:
        Incorrect: the resource has no or an unknown ``resourceType``.
        Invalid: a value the index needs is malformed (e.g. a bad date);
            the error names the parameter and its expression.

    >>> rows = extract({"resourceType": "Patient", "name": [{"family": "Nguyễn"}],
    ...                 "birthDate": "1980-02"})
    >>> rows.strings
    [('family', 'nguyen', 'Nguyễn'), ('name', 'nguyen', 'Nguyễn')]
    >>> rows.dates
    [('birthdate', '1980-02-01T00:00:00.000000', '1980-02-29T23:59:59.999999')]
    """
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str):
        raise Incorrect("resource has no resourceType", expression="resourceType")
    table = _TABLES.get(resource_type) or _table(resource_type)
    rows = IndexRows()
    try:
        for emit in table.emitters(resource):
            emit(resource, rows)
    except Incorrect as exc:
        raise _blame(table, resource, exc) from exc
    _dedupe(rows)
    return rows


def _blame(table: _Table, resource: Mapping[str, Any], exc: Incorrect) -> Invalid:
    """Name the parameter whose values are malformed (runs only on failure)."""
    for param in table.select(resource):
        try:
            param.emit(resource, IndexRows())
        except Incorrect as failure:
            return Invalid(
                f"search parameter '{param.code}' ({param.path.expression}): {failure.message}",
                expression=param.path.expression,
            )
    return Invalid(exc.message)


def _emitter(
    code: str, param_type: str, path: CompiledPath, converters: tuple[Converter | None, ...] | None
) -> Emitter:
    """The fastest way to evaluate ``path`` and convert its values, chosen once per parameter."""
    if converters is None:
        table = CONVERTERS.get(param_type, {})

        def fallback(resource: Mapping[str, Any], rows: IndexRows) -> None:
            for type_code, values in path.typed(resource):
                convert = table.get(type_code)
                if convert is not None:
                    for value in values:
                        convert(rows, code, value)

        return fallback
    chain = path.chain
    single = converters[0] if len(converters) == 1 else None
    keep = path.keep
    if chain is not None and len(chain) == 1 and single is not None and keep is not None:
        (kept_key,) = chain
        convert_kept = single

        def one_key_kept(resource: Mapping[str, Any], rows: IndexRows) -> None:
            value = resource.get(kept_key)
            if value is None:
                return
            for item in value if type(value) is list else (value,):
                if keep(item):
                    convert_kept(rows, code, item)

        return one_key_kept
    if chain is not None and len(chain) == 1 and single is not None:
        (key,) = chain
        convert_one = single

        def one_key(resource: Mapping[str, Any], rows: IndexRows) -> None:
            value = resource.get(key)
            if value is None:
                return
            if type(value) is list:
                for item in value:
                    convert_one(rows, code, item)
            else:
                convert_one(rows, code, value)

        return one_key
    if chain is not None and len(chain) == 2 and single is not None:
        first, second = chain
        convert_two = single

        def two_keys(resource: Mapping[str, Any], rows: IndexRows) -> None:
            outer = resource.get(first)
            if outer is None:
                return
            for parent in outer if type(outer) is list else (outer,):
                if type(parent) is not dict:
                    continue
                value = parent.get(second)
                if value is None:
                    continue
                for item in value if type(value) is list else (value,):
                    if keep is None or keep(item):
                        convert_two(rows, code, item)

        return two_keys
    columns = path.columns
    pairs = converters

    def general(resource: Mapping[str, Any], rows: IndexRows) -> None:
        for convert, values in zip(pairs, columns(resource), strict=True):
            if convert is not None:
                for value in values:
                    convert(rows, code, value)

    return general


def _dedupe(rows: IndexRows) -> None:
    if len(rows.strings) > 1:
        rows.strings = list(dict.fromkeys(rows.strings))
    if len(rows.tokens) > 1:
        rows.tokens = list(dict.fromkeys(rows.tokens))
    if len(rows.dates) > 1:
        rows.dates = list(dict.fromkeys(rows.dates))
    if len(rows.references) > 1:
        rows.references = list(dict.fromkeys(rows.references))
    if len(rows.quantities) > 1:
        rows.quantities = list(dict.fromkeys(rows.quantities))
    if len(rows.numbers) > 1:
        rows.numbers = list(dict.fromkeys(rows.numbers))
    if len(rows.uris) > 1:
        rows.uris = list(dict.fromkeys(rows.uris))


def fallback_params(resource_types: Iterable[str] | None = None) -> list[tuple[str, str, str]]:
    """Indexed parameters whose expression is evaluated by fhirpathpy, not compiled.

    Args:
        resource_types: the types to check; every R4 resource type by default.

    Returns:
        ``(resource type, parameter code, expression)`` triples, sorted; empty
        when every expression compiles natively.

    >>> fallback_params(["Patient", "Observation"])
    []
    """
    types = (
        sorted(resource_types)
        if resource_types is not None
        else sorted(definitions().resource_types())
    )
    out: list[tuple[str, str, str]] = []
    for resource_type in types:
        for param in _table(resource_type).params:
            if not param.path.native:
                out.append((resource_type, param.code, param.path.expression))
    return out
