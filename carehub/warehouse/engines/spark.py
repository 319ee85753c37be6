"""The Spark SQL engine (pyspark), local or on a cluster.

https://spark.apache.org/docs/latest/api/sql/index.html

Resources are JSON text in a temporary view ``(resource_type, id, resource)``.
Each resource is parsed once into a map of its top-level members
(``from_json(resource, 'MAP<STRING,STRING>')``); ``get_json_object`` reads
single members from there and an array member is parsed with
``from_json(..., 'ARRAY<STRING>')``, which yields primitives as their text and
objects as their JSON text, so lists mean the same as on DuckDB. Spark
lambdas number their items from 0 and ``raise_error()`` aborts a query.

The session comes from configuration (:mod:`carehub.warehouse.config`): the
same code runs on ``local[2]`` and on a cluster master URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

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

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ARRAY_OF_TEXT = "ARRAY<STRING>"
RESOURCE_SCHEMA = "resource_type STRING, id STRING, resource STRING"

LOCAL_CONF: Mapping[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
}
"""Session settings for ``local[*]`` masters: no UI, no network beyond loopback."""


def read_members_once(tree: exp.Expression) -> exp.Expression:
    """Rewrite the resource's JsonGets to share one parse of the resource (in place).

    The source table ``r`` becomes a subquery adding ``members_``: the
    resource parsed once into a map from each top-level member to its text
    (``from_json(resource, 'MAP<STRING,STRING>')``); every path then starts
    from its member's text, and the key column reads ``id`` from the map.
    """
    roots = [n for n in tree.find_all(ir.JsonGet) if is_resource_column(n.this)]
    keys = [c for c in tree.find_all(exp.Column) if c.name == "id" and c.table == "r"]
    if len({n.steps[0][0] for n in roots} | ({"id"} if keys else set())) < 2:
        return tree
    members = exp.column("members_", table="r")

    def member(name: str) -> exp.Expression:
        return exp.Anonymous(this="TRY_ELEMENT_AT", expressions=[members.copy(), ir.lit(name)])

    for node in roots:
        base = node.steps[0][0].split("[", 1)[0]
        node.replace(MemberGet(this=member(base), expressions=list(node.expressions)))
    for column in keys:
        column.replace(member("id"))
    parsed = exp.Anonymous(
        this="FROM_JSON", expressions=[exp.column("resource"), ir.lit("MAP<STRING,STRING>")]
    )
    for table in tree.find_all(exp.Table):
        if table.name == ir.SOURCE and table.alias == "r":
            inner = exp.select(exp.Star(), exp.alias_(parsed, "members_")).from_(ir.SOURCE)
            table.replace(exp.alias_(exp.Subquery(this=inner), "r"))
    return tree


def _spark_type(sql_type: str) -> str:
    """A Spark type name for a warehouse SQL type.

    >>> _spark_type("VARCHAR"), _spark_type("DOUBLE")
    ('STRING', 'DOUBLE')
    """
    return exp.DataType.build(sql_type).sql(dialect="spark")


def build_session(
    master: str = "local[2]",
    *,
    app_name: str = "carehub-warehouse",
    shuffle_partitions: int = 4,
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """Get or create the Spark session for ``master``.

    Raises:
        Unsupported: pyspark is not installed.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - pyspark is a declared dependency
        from carehub.errors import Unsupported

        raise Unsupported(f"the Spark engine needs pyspark: {exc}") from exc
    builder = SparkSession.builder.master(master).appName(app_name)
    settings = dict(LOCAL_CONF) if master.startswith("local") else {}
    settings["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("FATAL")
    return session


class SparkEngine(Engine):
    """Spark SQL over a session built from ``master`` (or the given ``session``).

    Args:
        master: the Spark master URL (``local[2]``, ``spark://host:7077``...).
        session: an existing session to use instead of building one.
        shuffle_partitions: ``spark.sql.shuffle.partitions``.
        conf: extra Spark settings.
    """

    name: ClassVar[str] = "spark"
    dialect: ClassVar[str] = "spark"
    REWRITES: ClassVar[Mapping[type[exp.Expression], Rewrite]] = {
        MemberGet: lambda engine, node: engine.member_get(node),
    }
    lambda_index_base: ClassVar[int] = 0
    fail_function: ClassVar[str] = "RAISE_ERROR"

    def __init__(
        self,
        master: str = "local[2]",
        *,
        session: SparkSession | None = None,
        shuffle_partitions: int = 4,
        conf: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.master = master
        self.shuffle_partitions = shuffle_partitions
        self.conf = dict(conf or {})
        self._session = session

    @property
    def session(self) -> SparkSession:
        """The Spark session, built on first use."""
        if self._session is None:
            self._session = build_session(
                self.master, shuffle_partitions=self.shuffle_partitions, conf=self.conf
            )
        return self._session

    def lower(self, tree: exp.Expression) -> exp.Expression:
        return super().lower(read_members_once(tree.copy()))

    def json_get(self, node: ir.JsonGet) -> exp.Expression:
        steps = node.steps
        lead = 0
        while lead < len(steps) and not steps[lead][1]:
            lead += 1
        current: exp.Expression = node.this
        if lead:
            current = self._member(current, steps[:lead])
        if lead == len(steps):
            return current
        return self._continue(self._array(current, steps[lead][0]), steps[lead + 1 :])

    def member_get(self, node: MemberGet) -> exp.Expression:
        """SQL continuing a path from a top-level member's text (see :func:`read_members_once`)."""
        steps = ir.JsonGet(this=node.this, expressions=list(node.expressions)).steps
        member: exp.Expression = node.this
        (first, first_array), rest = steps[0], steps[1:]
        if "[" in first:
            position = first[first.index("[") :]
            member = exp.Anonymous(
                this="GET_JSON_OBJECT", expressions=[member, ir.lit("$" + position)]
            )
        if not first_array:
            if not rest:
                return member
            return self.json_get(ir.JsonGet(this=member, expressions=node.expressions[1:]))
        parsed = exp.Anonymous(this="FROM_JSON", expressions=[member, ir.lit(ARRAY_OF_TEXT)])
        items = exp.Coalesce(this=parsed, expressions=[ir.empty_list()])
        return self._continue(items, rest)

    def _continue(
        self, current: exp.Expression, steps: Sequence[tuple[str, bool]]
    ) -> exp.Expression:
        """Apply member ``steps`` to every item text of list ``current``."""
        for name, array in steps:
            param = self.fresh()
            if array:
                current = ir.flatten(ir.transform(current, param, self._array(ir.var(param), name)))
            else:
                values = ir.transform(current, param, self._member(ir.var(param), [(name, False)]))
                present = self.fresh()
                test = exp.Not(this=exp.Is(this=ir.var(present), expression=exp.Null()))
                current = ir.keep(values, present, test)
        return current

    def _member(self, text: exp.Expression, steps: Sequence[tuple[str, bool]]) -> exp.Expression:
        path = ir.lit(json_path(steps, wildcard=False))
        return exp.Anonymous(this="GET_JSON_OBJECT", expressions=[text, path])

    def _array(self, text: exp.Expression, name: str) -> exp.Expression:
        raw = self._member(text, [(name, False)])
        parsed = exp.Anonymous(this="FROM_JSON", expressions=[raw, ir.lit(ARRAY_OF_TEXT)])
        return exp.Coalesce(this=parsed, expressions=[ir.empty_list()])

    # ----------------------------------------------------------------- runtime

    def load(self, table: str, resources: Iterable[Mapping[str, Any]]) -> int:
        rows = [
            (str(r.get("resourceType", "")), str(r.get("id", "")), orjson.dumps(r).decode())
            for r in resources
        ]
        frame = self.session.createDataFrame(rows, RESOURCE_SCHEMA)
        frame.createOrReplaceTempView(table)
        return len(rows)

    def load_ndjson(
        self, table: str, files: Sequence[str], resource_type: str | None = None
    ) -> int | None:
        from pyspark.sql import functions as f

        if not files:
            frame = self.session.createDataFrame([], RESOURCE_SCHEMA)
        else:
            text = self.session.read.text(list(files)).where(f.length("value") > 0)
            kind = (
                f.lit(resource_type)
                if resource_type is not None
                else f.get_json_object("value", "$.resourceType")
            )
            frame = text.select(
                kind.alias("resource_type"),
                f.get_json_object("value", "$.id").alias("id"),
                f.col("value").alias("resource"),
            )
        frame.createOrReplaceTempView(table)
        return None

    def frame(self, view: ir.CompiledView, table: str) -> Any:
        """The Spark DataFrame of ``view`` over ``table`` (lazy)."""
        return self.session.sql(self.sql(view, table))

    def run(self, view: ir.CompiledView, table: str) -> QueryResult:
        try:
            frame = self.frame(view, table)
            rows = frame.collect()
        except Exception as exc:  # py4j and Spark analysis errors have no common base
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise Incorrect(f"view '{view.name}' failed on Spark: {message}") from exc
        return QueryResult(tuple(frame.columns), [tuple(row) for row in rows])

    def create_table(self, name: str, sql: str) -> int:
        try:
            frame = self.session.sql(sql).cache()
            frame.createOrReplaceTempView(name)
            return int(frame.count())
        except Exception as exc:  # py4j and Spark analysis errors have no common base
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise Incorrect(f"building '{name}' failed on Spark: {message}") from exc

    def load_rows(
        self, name: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> None:
        schema = ", ".join(f"`{c}` {_spark_type(t)}" for c, t in columns)
        frame = self.session.createDataFrame([tuple(r) for r in rows], schema)
        frame.createOrReplaceTempView(name)

    def write_parquet(self, name: str, folder: str) -> None:
        self.session.table(name).write.mode("overwrite").parquet(folder)

    def drop(self, name: str) -> None:
        if self.session.catalog.tableExists(name):
            self.session.table(name).unpersist()
        self.session.catalog.dropTempView(name)

    def close(self) -> None:
        """Forget the session; it is shared per process and stopped at exit."""
        self._session = None
