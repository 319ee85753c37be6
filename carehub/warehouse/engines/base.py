"""Warehouse engines: the IR written as one engine's SQL, and the engine's runtime.

https://sqlglot.com/sqlglot/dialects/dialect.html

An :class:`Engine` subclass differs from its siblings only by class-level
tables: the sqlglot dialect that writes its SQL, :attr:`Engine.REWRITES` (how
the IR's engine-specific nodes, :class:`~carehub.warehouse.ir.JsonGet`,
:class:`~carehub.warehouse.ir.LambdaIndex` and :class:`~carehub.warehouse.ir.Fail`,
become that engine's functions) and a few flags, plus the methods that load
resources and run queries. Engines are found by name in an
:class:`EngineRegistry`; the default one knows ``duckdb`` and ``spark`` and
also takes engines registered by other packages under the
``carehub.warehouse.engines`` entry-point group.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, ClassVar

from sqlglot import exp

from carehub.errors import Incorrect, Unsupported, did_you_mean
from carehub.warehouse import ir

Rewrite = Callable[[Any, Any], exp.Expression]
"""Turns one IR node into the engine's SQL nodes."""

ENTRY_POINT_GROUP = "carehub.warehouse.engines"
"""Entry-point group under which other packages register engines (``name = module:Class``)."""


class MemberGet(exp.Expression, exp.Func):
    """Continue a :class:`~carehub.warehouse.ir.JsonGet` from a top-level member's text.

    ``this`` is the member's text, ``expressions`` the JsonGet's steps (the
    first one names the member itself). Engines that parse each resource once
    (``read_members_once``) lower their JsonGets to this node.
    """

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expressions": True}


def is_resource_column(node: exp.Expression) -> bool:
    """Whether ``node`` is the source's ``r.resource`` column."""
    return isinstance(node, exp.Column) and node.name == "resource" and node.table == "r"


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Rows of a query: column names and one tuple per row (lists for collection columns)."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        """The rows as dictionaries keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


_ELEMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\[([0-9]+)\]")


def json_path(steps: Sequence[tuple[str, bool]], wildcard: bool) -> str:
    """A JSONPath for member steps; ``wildcard`` adds ``[*]`` after array members.

    >>> json_path([("name", True), ("given", True)], True)
    '$.name[*].given[*]'
    >>> json_path([("type[0]", False), ("code", False)], True)
    '$.type[0].code'
    """
    parts = ["$"]
    for name, array in steps:
        element = _ELEMENT.fullmatch(name)
        if element:
            parts.append(f".{element[1]}[{element[2]}]")
        else:
            parts.append(f".{name}" if name.isidentifier() else f'."{name}"')
        if array and wildcard:
            parts.append("[*]")
    return "".join(parts)


class Engine:
    """A warehouse engine; subclasses fill the class-level tables.

    Attributes:
        name: the engine's registry name.
        dialect: the sqlglot dialect its SQL is written in.
        lambda_index_base: the position list lambdas give their first item.
        fail_function: the function that aborts a query with a message.
    """

    name: ClassVar[str] = ""
    dialect: ClassVar[str] = ""
    lambda_index_base: ClassVar[int] = 0
    fail_function: ClassVar[str] = "ERROR"
    REWRITES: ClassVar[Mapping[type[exp.Expression], Rewrite]] = {}

    def __init__(self) -> None:
        self._names = 0
        self._sql: dict[tuple[int, str], tuple[exp.Expression, str]] = {}
        self._transpiled: dict[Hashable, str] = {}

    # ----------------------------------------------------------------- SQL

    def fresh(self) -> str:
        """A lambda parameter name for SQL the engine adds itself."""
        self._names += 1
        return f"j{self._names}"

    def lower(self, tree: exp.Expression) -> exp.Expression:
        """Replace the IR's engine-specific nodes by this engine's SQL nodes."""
        rewrites = {**Engine.REWRITES, **type(self).REWRITES}

        def rewrite(node: exp.Expression) -> exp.Expression:
            handler = rewrites.get(type(node))
            return handler(self, node) if handler is not None else node

        lowered = tree.copy()
        # A rewritten node's children are not revisited, so repeat until none is left.
        while any(isinstance(node, tuple(rewrites)) for node in lowered.walk()):
            lowered = lowered.transform(rewrite, copy=False)
        return ir.parenthesize(lowered)

    def sql(self, view: ir.CompiledView, source: str = ir.SOURCE) -> str:
        """The SQL text of ``view`` for this engine, reading relation ``source``.

        >>> from carehub.warehouse.compiler import compile_view
        >>> from carehub.warehouse.engines.duckdb import DuckDBEngine
        >>> v = compile_view({"resource": "Patient", "select": [{"column": [
        ...     {"name": "id", "path": "id"}]}]})
        >>> print(DuckDBEngine().sql(v))
        SELECT JSON_EXTRACT_STRING(r.resource, '$.id') AS "id" FROM fhir_resources AS r \
WHERE r.resource_type = 'Patient'
        """
        cache_key = (id(view.query), source)
        cached = self._sql.get(cache_key)
        if cached is not None and cached[0] is view.query:
            return cached[1]
        tree = self.lower(view.query)
        if source != ir.SOURCE:
            for table in tree.find_all(exp.Table):
                if table.name == ir.SOURCE:
                    table.set("this", exp.to_identifier(source, quoted=True))
        text = tree.sql(dialect=self.dialect)
        self._sql[cache_key] = (view.query, text)
        return text

    def json_get(self, node: ir.JsonGet) -> exp.Expression:
        """SQL reading a member path from JSON text; see :class:`~carehub.warehouse.ir.JsonGet`."""
        raise NotImplementedError

    def lambda_index(self, node: ir.LambdaIndex) -> exp.Expression:
        """The 0-based position of a list lambda's current item."""
        position: exp.Expression = node.this
        if self.lambda_index_base == 0:
            return position
        return exp.Paren(this=exp.Sub(this=position, expression=ir.lit(self.lambda_index_base)))

    def fail(self, node: ir.Fail) -> exp.Expression:
        """A call that aborts the query with the node's message."""
        return exp.Anonymous(this=self.fail_function, expressions=[node.this])

    # ----------------------------------------------------------------- runtime

    def load(self, table: str, resources: Iterable[Mapping[str, Any]]) -> int:
        """Replace relation ``table`` by ``resources`` (parsed JSON); returns the count."""
        raise NotImplementedError

    def load_ndjson(
        self, table: str, files: Sequence[str], resource_type: str | None = None
    ) -> int | None:
        """Make relation ``table`` the resources in Bulk Data NDJSON ``files``.

        With ``resource_type`` (every file holds only that type) the engine
        may read the files in place instead of copying them. Returns the
        number of resources, or ``None`` when counting would mean reading
        the files once more.
        """
        raise NotImplementedError

    def run(self, view: ir.CompiledView, table: str) -> QueryResult:
        """Run ``view`` over relation ``table`` and fetch every row."""
        raise NotImplementedError

    def transpile(self, tree: exp.Expression) -> str:
        """A sqlglot tree (a mart query) in this engine's SQL."""
        return self.lower(tree).sql(dialect=self.dialect)

    def transpile_once(self, key: Hashable, make: Callable[[], exp.Expression]) -> str:
        """:meth:`transpile` of the tree ``make()`` builds, remembered under ``key``.

        ``key`` must name everything the tree depends on (a mart's SQL, the
        build date...): later calls with an equal key reuse the text.
        """
        text = self._transpiled.get(key)
        if text is None:
            text = self._transpiled[key] = self.transpile(make())
        return text

    def create_table(self, name: str, sql: str) -> int:
        """Materialise query ``sql`` as relation ``name``; returns its row count."""
        raise NotImplementedError

    def load_rows(
        self, name: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Create relation ``name`` with ``(column, sql_type)`` columns holding ``rows``."""
        raise NotImplementedError

    def write_parquet(self, name: str, folder: str) -> None:
        """Write relation ``name`` as Parquet files in ``folder`` (replaced if present)."""
        raise NotImplementedError

    def drop(self, name: str) -> None:
        """Drop relation ``name`` if it exists."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the engine holds (connections, sessions)."""


Engine.REWRITES = {
    ir.JsonGet: lambda engine, node: engine.json_get(node),
    ir.LambdaIndex: lambda engine, node: engine.lambda_index(node),
    ir.Fail: lambda engine, node: engine.fail(node),
}


EngineFactory = Callable[..., Engine]


class EngineRegistry:
    """Engines by name, built explicitly at start-up (no import side effects).

    >>> registry = default_registry()
    >>> sorted(registry.names())[:2]
    ['duckdb', 'spark']
    >>> registry.get("duckbd")
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: unknown warehouse engine 'duckbd'. Did you mean 'duckdb'?
    """

    def __init__(self) -> None:
        self._factories: dict[str, EngineFactory | str] = {}

    def register(self, name: str, factory: EngineFactory | str) -> None:
        """Register ``factory`` (or a ``module:attribute`` path, imported on use) as ``name``."""
        self._factories[name] = factory

    def names(self) -> Iterator[str]:
        """The registered names."""
        return iter(self._factories)

    def get(self, name: str) -> EngineFactory:
        """The factory registered as ``name``.

        Raises:
            Incorrect: no such engine (with a suggestion).
            Unsupported: the engine's module cannot be imported (missing dependency).
        """
        factory = self._factories.get(name)
        if factory is None:
            raise Incorrect(
                f"unknown warehouse engine '{name}'." + did_you_mean(name, self._factories)
            )
        if isinstance(factory, str):
            module_name, _, attribute = factory.partition(":")
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                raise Unsupported(f"warehouse engine '{name}' is not available: {exc}") from exc
            loaded: EngineFactory = getattr(module, attribute)
            self._factories[name] = loaded
            return loaded
        return factory

    def create(self, name: str, **options: Any) -> Engine:
        """A new engine ``name`` built with ``options``."""
        return self.get(name)(**options)


def default_registry(*, plugins: bool = True) -> EngineRegistry:
    """The built-in engines, plus those registered through entry points when ``plugins``."""
    registry = EngineRegistry()
    registry.register("duckdb", "carehub.warehouse.engines.duckdb:DuckDBEngine")
    registry.register("spark", "carehub.warehouse.engines.spark:SparkEngine")
    if plugins:
        for point in entry_points(group=ENTRY_POINT_GROUP):
            registry.register(point.name, point.value)
    return registry
