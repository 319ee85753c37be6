"""``carehub warehouse refresh``: apply only what changed since the last build or refresh.

https://hl7.org/fhir/R4/http.html#history (``_since``) and
https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/

The warehouse remembers a watermark: the instant its last build or refresh
started. A refresh asks the source for the resources changed at or after it
(``meta.lastUpdated``) and for the ids deleted since, then, per resource
type and in one DuckDB transaction: deletes every row those resources had
(each view table keeps the source resource id in ``_resource_id``) and
inserts the rows of their new versions. Resource types are refreshed
several at once, each on its own connection
(:mod:`carehub.warehouse.refresh_types`). Marts that read a changed view are
then brought up to date: a mart split into groups (``group_key``: one
resource's rows, one patient's values of one code) has the groups of the
changed rows, before and after, recomputed
(:mod:`carehub.warehouse.refresh_marts`); others are recomputed whole. The
Parquet folder of a table updated in place gets a change generation (the
rows of the changed keys and the keys they replace,
:mod:`carehub.warehouse.parquet_log`) until its changes outgrow a share of
it, when it is rewritten whole; rebuilt and recomputed tables are written
whole. A view whose definition changed since it was built (or that is new)
is rebuilt from all resources of its type. Refresh runs on the warehouse's
DuckDB file; the watermark moves only when every step succeeded, so a failed
refresh is simply run again.
"""

from __future__ import annotations

import datetime
import functools
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from carehub.errors import Conflict
from carehub.warehouse.build import BuildPlan, PlannedView, Progress
from carehub.warehouse.engines.duckdb import DuckDBEngine
from carehub.warehouse.marts import Mart
from carehub.warehouse.refresh_marts import (
    close_scratch,
    drop_working_tables,
    mart_change,
    open_scratch,
    replace_rows,
)
from carehub.warehouse.refresh_types import (
    TypeResult,
    TypeTask,
    by_size,
    on_connections,
    publish_table,
    refresh_types,
)
from carehub.warehouse.sources import FhirSource
from carehub.warehouse.store import (
    TableInfo,
    Warehouse,
    definition_hash,
    now_instant,
    transaction,
)


@dataclass(slots=True)
class RefreshReport:
    """What a refresh changed."""

    changed: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    rebuilt: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    marts: list[str] = field(default_factory=list)
    parquet: dict[str, str] = field(default_factory=dict)
    """Per table, how its Parquet folder was brought up to date (``appended``/``rewritten``)."""
    watermark: str = ""
    seconds: float = 0.0

    def add(self, result: TypeResult) -> None:
        """Take in what the refresh of one resource type did."""
        self.changed[result.resource_type] = result.changed
        self.deleted[result.resource_type] = result.deleted
        self.rebuilt.extend(result.rebuilt)
        self.updated.extend(result.updated)
        self.parquet.update(result.parquet)


@dataclass(frozen=True, slots=True)
class MartResult:
    """What the refresh of one mart did: its bookkeeping, and how its Parquet folder changed."""

    info: TableInfo
    parquet: dict[str, str]


def _quiet(stage: str, name: str, rows: int) -> None:
    """A progress callback that ignores everything."""


def stale_views(plan: BuildPlan, tables: dict[str, TableInfo]) -> set[str]:
    """Views that are new or whose definition changed since they were built (a pure step)."""
    return {
        v.name
        for v in plan.views
        if v.name not in tables or tables[v.name].definition_hash != v.hash
    }


def refresh(
    plan: BuildPlan,
    source: FhirSource,
    warehouse: Warehouse,
    *,
    as_of: datetime.date | None = None,
    progress: Progress | None = None,
) -> RefreshReport:
    """Bring ``warehouse`` up to date with ``source``.

    Raises:
        Conflict: the warehouse was never built (nothing to refresh).
        Incorrect: a view or mart failed.
    """
    started = time.perf_counter()
    tell = progress or _quiet
    since = warehouse.state("watermark")
    if since is None:
        raise Conflict("the warehouse has not been built yet; run `carehub warehouse build`")
    report = RefreshReport(watermark=now_instant())
    tables = warehouse.tables()
    stale = frozenset(stale_views(plan, tables))
    by_type: dict[str, list[PlannedView]] = defaultdict(list)
    for planned in plan.views:
        by_type[planned.view.resource].append(planned)
    tasks = [
        TypeTask(name, tuple(views), since, stale, report.watermark)
        for name, views in by_type.items()
    ]
    records: list[TableInfo] = []
    conn = warehouse.connection
    with warehouse.held_checkpoints():
        open_scratch(conn, plan)
        try:
            with tempfile.TemporaryDirectory(prefix="carehub-refresh-") as tmp:
                results = refresh_types(
                    warehouse,
                    plan,
                    source,
                    by_size(tasks, lambda t: len(t.views)),
                    Path(tmp),
                    tell,
                )
            for result in sorted(results, key=lambda r: r.resource_type):
                report.add(result)
                records.extend(result.records)
            touched = set(report.rebuilt) | set(report.updated)
            marts = [mart for mart in plan.marts if touched & set(mart.depends_on)]
            records.extend(_refresh_marts(warehouse, marts, tables, report, as_of, tell))
        finally:
            close_scratch(conn)
    # one commit after the held checkpoints: DuckDB checkpoints here if its log outgrew the limit
    with warehouse.transaction():
        warehouse.record(*records)
        warehouse.set_state("watermark", report.watermark)
    report.seconds = time.perf_counter() - started
    return report


def _refresh_marts(
    warehouse: Warehouse,
    marts: list[Mart],
    tables: dict[str, TableInfo],
    report: RefreshReport,
    as_of: datetime.date | None,
    tell: Progress,
) -> list[TableInfo]:
    """Bring ``marts`` up to date, several at once on their own connections; their bookkeeping.

    Marts write only their own table and read views already committed.
    """
    day = as_of or datetime.date.today()
    rebuilt = frozenset(report.rebuilt)

    def one(mart: Mart, engine: DuckDBEngine) -> MartResult:
        exists = mart.name in tables
        return _refresh_mart(warehouse, engine, mart, exists, rebuilt, day, report.watermark, tell)

    # the mart reading the most views first: it takes the longest
    ordered = sorted(marts, key=lambda m: (-len(m.depends_on), m.name))
    results = sorted(on_connections(warehouse, ordered, one), key=lambda r: r.info.name)
    for result in results:
        report.marts.append(result.info.name)
        report.parquet.update(result.parquet)
    return [r.info for r in results]


def _refresh_mart(
    warehouse: Warehouse,
    engine: DuckDBEngine,
    mart: Mart,
    exists: bool,
    rebuilt: frozenset[str],
    day: datetime.date,
    watermark: str,
    tell: Progress,
) -> MartResult:
    """Bring a mart and its Parquet folder up to date: in place when it is split into groups.

    A mart with a ``group_key`` gets the groups of the changed source rows,
    before and after the change, recomputed; any other mart, one reading a
    rebuilt view (in ``rebuilt``) or one not built yet is recomputed whole.
    """
    done: dict[str, str] = {}
    if mart.group_key and exists and not rebuilt & set(mart.depends_on):
        change, insert_sql = mart_change(engine, mart, day)
        try:
            with transaction(engine.connection) as conn:
                replace_rows(conn, mart.name, change, insert_sql, mart.group_key)
            rows = engine.count(mart.name)
            publish_table(warehouse, engine, mart.name, change.key, done, tell)
        finally:
            drop_working_tables(engine, [mart.name])
    else:
        sql = engine.transpile_once(("mart", mart.sql, day), functools.partial(mart.query, day))
        rows = engine.create_table(mart.name, sql)
        publish_table(warehouse, engine, mart.name, None, done, tell)
    tell("mart", mart.name, rows)
    info = TableInfo(mart.name, "mart", None, rows, watermark, definition_hash(mart.sql))
    return MartResult(info, done)
