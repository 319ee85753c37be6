"""The search request model: what a FHIR search URL means, independent of any store.

https://hl7.org/fhir/R4/search.html

:mod:`carehub.search.parse` turns query parameters into a :class:`SearchQuery`;
each store compiles it to its own query language. Values are already parsed
into ranges and normalized forms here, so stores only compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Comparison prefixes of number, date and quantity parameters.
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")


@dataclass(frozen=True, slots=True)
class StringValue:
    """A string search value, normalized like the index (see ``normalize_text``)."""

    norm: str
    exact: str


@dataclass(frozen=True, slots=True)
class TokenValue:
    """``[system|]code``; ``system`` is ``""`` for an explicit ``|code`` (no system)."""

    system: str | None
    code: str | None


@dataclass(frozen=True, slots=True)
class RangeValue:
    """A date, number or quantity value with its prefix and implicit range ``[low, high]``.

    For dates ``low``/``high`` are fixed-width UTC instants (inclusive); for numbers
    and quantities they are floats and ``high`` is exclusive; ``number`` is the
    value as written. ``system``/``code`` qualify quantities.
    """

    prefix: str
    low: str | float
    high: str | float
    number: float | None = None
    system: str | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class ReferenceValue:
    """A reference: ``Type/id``, a bare ``id`` (type from the modifier or targets) or a URL."""

    type: str | None
    id: str | None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class UriValue:
    """A uri value."""

    uri: str


Value = StringValue | TokenValue | RangeValue | ReferenceValue | UriValue


@dataclass(frozen=True, slots=True)
class Clause:
    """One search parameter occurrence: its values are OR-ed; clauses are AND-ed.

    ``param_type`` is the SearchParameter type (``string``, ``token``...), or
    ``id`` / ``lastUpdated`` for the two resource columns. ``modifier`` is the
    URL modifier (``exact``, ``contains``, ``not``, ``missing``, ``text``,
    ``below``, ``above``, or a resource type on references). ``missing`` holds the
    boolean of ``:missing``.
    """

    resource_type: str
    code: str
    param_type: str
    modifier: str | None = None
    values: tuple[Value, ...] = ()
    missing: bool | None = None


@dataclass(frozen=True, slots=True)
class ChainClause:
    """``subject:Patient.identifier=x``: resources whose reference ``code`` points at a
    resource of ``target_type`` matching ``inner``."""

    resource_type: str
    code: str
    target_type: str
    inner: Criterion


@dataclass(frozen=True, slots=True)
class HasClause:
    """``_has:Observation:patient:code=x``: resources referred to, through ``ref_code``,
    by a ``source_type`` resource matching ``inner``."""

    resource_type: str
    source_type: str
    ref_code: str
    inner: Criterion


Criterion = Clause | ChainClause | HasClause


@dataclass(frozen=True, slots=True)
class SortKey:
    """One ``_sort`` entry."""

    code: str
    param_type: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Include:
    """An ``_include`` (``reverse`` false) or ``_revinclude`` (``reverse`` true) entry.

    ``source_type:code[:target_type]``; ``code`` ``*`` means every reference parameter.
    """

    source_type: str
    code: str
    target_type: str | None = None
    reverse: bool = False
    iterate: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A whole search: criteria, ordering, paging and result shaping."""

    resource_type: str | None
    criteria: tuple[Criterion, ...] = ()
    sort: tuple[SortKey, ...] = ()
    count: int = 20
    cursor: str | None = None
    includes: tuple[Include, ...] = ()
    summary: str | None = None
    elements: tuple[str, ...] = ()
    total: str | None = None
    contained: str | None = None
    warnings: tuple[str, ...] = field(default=())
    #: the query as received, minus paging state, to build links
    self_params: tuple[tuple[str, str], ...] = ()
