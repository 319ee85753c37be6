"""The DuckDB engine: the embedded default.

https://duckdb.org/docs/data/json/json_functions

Resources are kept as JSON text in a table ``(resource_type, id, resource)``.
A member path is one ``json_extract_string`` call: array members take a
``[*]`` wildcard, which flattens them, so ``name.given`` is
``json_extract_string(resource, '$.name[*].given[*]')``. Lambdas number their
items from 1 and ``error()`` aborts a query.

Parsing a resource is the main cost, so a view reads each resource once: the
top-level members its paths start with are extracted together
(``json_extract_string(resource, ['$.id', '$.name', ...])``) and every path
continues from its member's (much smaller) text.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import orjson
from sqlglot import exp

from carehub.errors import Incorrect
from carehub.warehouse import ir
from carehub.warehouse.engines.base import (
    Engine,
    MemberGet,
    QueryResult,
    Rewrite,
    is_resource_column,
    json_path,
)

LOAD_BATCH = 5000
"""Resources inserted per batch by :meth:`DuckDBEngine.load`."""


def quote(name: str) -> str:
    """A DuckDB identifier.

    >>> print(quote('a"b'))
    "a""b"
    """
    return '"' + name.replace('"', '""') + '"'


def read_members_once(tree: exp.Expression) -> exp.Expression:
    """Rewrite the resource's JsonGets to share one parse of the resource (in place).

    The source table ``r`` becomes a subquery adding ``members_``: one
    ``json_extract_string`` call with every path the view reads directly (a
    path without arrays, such as ``$.subject.reference``, is read whole; a
    path through an array is read from its top-level member's text). The
    resource ``id`` (the key column) comes from there too.
    """
    roots = [n for n in tree.find_all(ir.JsonGet) if is_resource_column(n.this)]
    keys = [c for c in tree.find_all(exp.Column) if c.name == "id" and c.table == "r"]

    def slot_path(node: ir.JsonGet) -> str:
        steps = node.steps
        whole = not node.is_list
        return json_path(steps if whole else steps[:1], wildcard=False)

    paths = list(dict.fromkeys([slot_path(n) for n in roots] + ["$.id"] * bool(keys)))
    if len(paths) < 2:
        return tree
    members = exp.column("members_", table="r")
    for node in roots:
        slot = ir.item(members, paths.index(slot_path(node)))
        if node.is_list:
            node.replace(MemberGet(this=slot, expressions=list(node.expressions)))
        else:
            node.replace(slot)
    for column in keys:
        column.replace(ir.item(members, paths.index("$.id")))
    listed = exp.Array(expressions=[ir.lit(p) for p in paths])
    resource = exp.column("resource")
    extract = exp.Anonymous(this="JSON_EXTRACT_STRING", expressions=[resource, listed])
    for table in tree.find_all(exp.Table):
        if table.name == ir.SOURCE and table.alias == "r":
            inner = exp.select(exp.Star(), exp.alias_(extract, "members_")).from_(ir.SOURCE)
            table.replace(exp.alias_(exp.Subquery(this=inner), "r"))
    return tree


class DuckDBEngine(Engine):
    """DuckDB, in memory or in a database file.

    Args:
        database: a database file, or ``:memory:``.
        threads: worker threads (``None``: DuckDB's default).
        connection: an open connection to use instead of opening one.
    """

    name: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"
    REWRITES: ClassVar[Mapping[type[exp.Expression], Rewrite]] = {
        MemberGet: lambda engine, node: engine.member_get(node),
    }
    lambda_index_base: ClassVar[int] = 1
    fail_function: ClassVar[str] = "ERROR"

    def __init__(
        self,
        database: str | Path = ":memory:",
        *,
        threads: int | None = None,
        connection: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        super().__init__()
        self.database = str(database)
        self.threads = threads
        self._connection = connection
        self._views: set[str] = set()

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The connection, opened on first use."""
        if self._connection is None:
            self._connection = duckdb.connect(self.database)
            if self.threads:
                self._connection.execute(f"SET threads = {int(self.threads)}")
        return self._connection

    def on_cursor(self) -> DuckDBEngine:
        """An engine on a new connection to the same database, for another thread.

        It shares this engine's compiled SQL; its temporary tables and views
        are its own. Close it when done.
        """
        other = DuckDBEngine(
            self.database, threads=self.threads, connection=self.connection.cursor()
        )
        other._sql = self._sql
        other._transpiled = self._transpiled
        return other

    def lower(self, tree: exp.Expression) -> exp.Expression:
        return super().lower(read_members_once(tree.copy()))

    def member_get(self, node: MemberGet) -> exp.Expression:
        """SQL continuing a path from an extracted top-level member's text."""
        member: exp.Expression = node.this
        steps = ir.JsonGet(this=node.this, expressions=list(node.expressions)).steps
        first_array = steps[0][1]
        rest = steps[1:]
        if not rest and not first_array:
            return member
        path = "$[*]" if first_array else "$"
        path += json_path(rest, wildcard=True)[1:]
        items = exp.Anonymous(this="JSON_EXTRACT_STRING", expressions=[node.this, ir.lit(path)])
        if first_array or any(array for _, array in rest):
            return exp.Coalesce(this=items, expressions=[ir.empty_list()])
        return items

    def json_get(self, node: ir.JsonGet) -> exp.Expression:
        steps = node.steps
        if not node.is_list:
            path = ir.lit(json_path(steps, wildcard=False))
            return exp.Anonymous(this="JSON_EXTRACT_STRING", expressions=[node.this, path])
        path = ir.lit(json_path(steps, wildcard=True))
        items = exp.Anonymous(this="JSON_EXTRACT_STRING", expressions=[node.this, path])
        return exp.Coalesce(this=items, expressions=[ir.empty_list()])

    # ----------------------------------------------------------------- runtime

    def create_source(self, table: str) -> None:
        """Create (or empty) a resource table ``table``."""
        self.connection.execute(
            f"CREATE OR REPLACE TABLE {quote(table)} "
            "(resource_type VARCHAR, id VARCHAR, resource JSON)"
        )

    def load(self, table: str, resources: Iterable[Mapping[str, Any]]) -> int:
        self.create_source(table)
        return self.append(table, resources)

    def append(self, table: str, resources: Iterable[Mapping[str, Any]]) -> int:
        """Add ``resources`` to resource table ``table``; returns the count."""
        count = 0
        batch: list[tuple[str, str, str]] = []
        insert = f"INSERT INTO {quote(table)} VALUES (?, ?, ?)"
        for resource in resources:
            batch.append(
                (
                    str(resource.get("resourceType", "")),
                    str(resource.get("id", "")),
                    orjson.dumps(resource).decode(),
                )
            )
            if len(batch) >= LOAD_BATCH:
                self.connection.executemany(insert, batch)
                count += len(batch)
                batch = []
        if batch:
            self.connection.executemany(insert, batch)
            count += len(batch)
        return count

    def load_ndjson(
        self, table: str, files: Sequence[str], resource_type: str | None = None
    ) -> int | None:
        if resource_type is None or not files:
            self.drop(table)
            self.create_source(table)
            return self.append_ndjson(table, files)
        self.connection.execute(
            f"CREATE OR REPLACE TEMP VIEW {quote(table)} AS "
            f"SELECT {_literal(resource_type)} AS resource_type, "
            "json_extract_string(json, '$.id') AS id, json AS resource "
            f"FROM read_json_objects({_literal_list(files)}, format = 'newline_delimited')"
        )
        self._views.add(table)
        return None

    def append_ndjson(self, table: str, files: Sequence[str]) -> int:
        """Add the resources of NDJSON ``files`` to resource table ``table``."""
        if not files:
            return 0
        before = self.count(table)
        self.connection.execute(
            f"INSERT INTO {quote(table)} "
            "SELECT json_extract_string(json, '$.resourceType'), "
            "json_extract_string(json, '$.id'), json "
            "FROM read_json_objects(?, format = 'newline_delimited')",
            [list(files)],
        )
        return self.count(table) - before

    def count(self, table: str) -> int:
        """Rows in ``table``."""
        row = self.connection.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()
        return int(row[0]) if row else 0

    def run(self, view: ir.CompiledView, table: str) -> QueryResult:
        try:
            cursor = self.connection.execute(self.sql(view, table))
        except duckdb.Error as exc:
            raise Incorrect(f"view '{view.name}' failed on DuckDB: {_first_line(exc)}") from exc
        columns = tuple(d[0] for d in cursor.description or ())
        return QueryResult(columns, cursor.fetchall())

    def create_table(self, name: str, sql: str) -> int:
        try:
            self.connection.execute(f"CREATE OR REPLACE TABLE {quote(name)} AS {sql}")
        except duckdb.Error as exc:
            raise Incorrect(f"building '{name}' failed on DuckDB: {_first_line(exc)}") from exc
        return self.count(name)

    def load_rows(
        self, name: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> None:
        spec = ", ".join(f"{quote(c)} {t}" for c, t in columns)
        self.connection.execute(f"CREATE OR REPLACE TABLE {quote(name)} ({spec})")
        if rows:
            marks = ", ".join("?" for _ in columns)
            self.connection.executemany(f"INSERT INTO {quote(name)} VALUES ({marks})", rows)

    def write_parquet(self, name: str, folder: str) -> None:
        target = Path(folder)
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        path = str(target / "data.parquet").replace("'", "''")
        self.connection.execute(
            f"COPY {quote(name)} TO '{path}' (FORMAT PARQUET, COMPRESSION SNAPPY)"
        )

    def drop(self, name: str) -> None:
        # the engine's only views are the staged NDJSON of load_ndjson
        kind = "VIEW" if name in self._views else "TABLE"
        self.connection.execute(f"DROP {kind} IF EXISTS {quote(name)}")
        self._views.discard(name)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literal_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(_literal(i) for i in items) + "]"


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
