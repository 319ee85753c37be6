"""One resource type's part of a refresh: its changes applied to its views, then published.

A refresh runs this for several types at once (:func:`refresh_types`,
:func:`on_connections`, which the marts use too), each on its own DuckDB
connection (:meth:`DuckDBEngine.on_cursor`): a type's
views are updated in one transaction of that connection, the groups its
changes touch go to the refresh's scratch tables
(:func:`~carehub.warehouse.refresh_marts.add_groups`), and its views' Parquet
folders get their change generations. Types share no table, so their
transactions do not conflict; DuckDB releases the interpreter while it
works, so the connections run on several cores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from carehub.warehouse.build import BuildPlan, PlannedView, Progress, stage_name, write_ndjson
from carehub.warehouse.engines.duckdb import DuckDBEngine, quote
from carehub.warehouse.refresh_marts import (
    add_groups,
    drop_working_tables,
    inserted_name,
    replace_rows,
    replaced_name,
    touched_name,
    view_change,
    view_keeps,
)
from carehub.warehouse.sources import FhirSource
from carehub.warehouse.store import TableInfo, Warehouse, transaction

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class TypeTask:
    """What to refresh for one resource type."""

    resource_type: str
    views: tuple[PlannedView, ...]
    since: str
    stale: frozenset[str]
    """Views of the type to rebuild from all its resources (new or redefined)."""
    watermark: str


@dataclass(slots=True)
class TypeResult:
    """What the refresh of one resource type did."""

    resource_type: str
    changed: int = 0
    deleted: int = 0
    rebuilt: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    records: list[TableInfo] = field(default_factory=list)
    parquet: dict[str, str] = field(default_factory=dict)


def on_connections(
    warehouse: Warehouse, items: Sequence[T], work: Callable[[T, DuckDBEngine], R]
) -> list[R]:
    """``work(item, engine)`` for every item, ``warehouse.refresh_workers`` at a time.

    Each item runs on an engine of its own connection (one worker: on the
    warehouse's own engine). Results come in the order of ``items``; items
    are started in that order.

    Raises:
        Exception: the first failure, once every started item has finished
            (what they committed stays committed).
    """
    workers = min(warehouse.refresh_workers, len(items))
    if workers <= 1:
        return [work(item, warehouse.engine) for item in items]

    def on_own_connection(item: T) -> R:
        engine = warehouse.engine.on_cursor()
        try:
            return work(item, engine)
        finally:
            engine.close()

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="refresh") as pool:
        futures = [pool.submit(on_own_connection, item) for item in items]
    return [future.result() for future in futures]


def refresh_types(
    warehouse: Warehouse,
    plan: BuildPlan,
    source: FhirSource,
    tasks: Sequence[TypeTask],
    folder: Path,
    tell: Progress,
) -> list[TypeResult]:
    """Refresh every task's type, several at once (:func:`on_connections`); results in task order.

    ``folder`` holds the staged changes. The largest types should come
    first (they are started first).
    """

    def one(task: TypeTask, engine: DuckDBEngine) -> TypeResult:
        return refresh_type(warehouse, engine, plan, source, task, folder, tell)

    return on_connections(warehouse, tasks, one)


def refresh_type(
    warehouse: Warehouse,
    engine: DuckDBEngine,
    plan: BuildPlan,
    source: FhirSource,
    task: TypeTask,
    folder: Path,
    tell: Progress,
) -> TypeResult:
    """Apply one type's changes since ``task.since`` to its views on ``engine``, then publish them.

    Raises:
        duckdb.Error, Incorrect: a view failed (its type's transaction is
            rolled back).
    """
    result = TypeResult(task.resource_type)
    full = any(v.name in task.stale for v in task.views)
    path = folder / f"{task.resource_type}.ndjson"
    result.changed = write_ndjson(
        path, source.resources(task.resource_type, None if full else task.since)
    )
    deleted = [] if full else sorted(set(source.deleted(task.resource_type, task.since)))
    result.deleted = len(deleted)
    tell("changes", task.resource_type, result.changed + len(deleted))
    if not (result.changed or deleted or full):
        return result
    stage = stage_name(task.resource_type)
    engine.load_ndjson(stage, [str(path)] if result.changed else [], task.resource_type)
    try:
        _apply(engine, plan, task, stage, deleted, result, tell)
        _publish(warehouse, engine, task, result, tell)
    finally:
        engine.drop(stage)
        engine.drop(touched_name(task.resource_type))
        drop_working_tables(engine, result.updated)
    return result


def _apply(
    engine: DuckDBEngine,
    plan: BuildPlan,
    task: TypeTask,
    stage: str,
    deleted: list[str],
    result: TypeResult,
    tell: Progress,
) -> None:
    """Replace the rows of changed and deleted resources in the type's views (one transaction)."""
    with transaction(engine.connection) as conn:
        touched = touched_name(task.resource_type)
        conn.execute(f"CREATE OR REPLACE TEMP TABLE {touched} AS SELECT id FROM {quote(stage)}")
        if deleted:
            conn.executemany(f"INSERT INTO {touched} VALUES (?)", [(i,) for i in deleted])
        for planned in task.views:
            sql = engine.sql(planned.compiled, stage)
            if planned.name in task.stale:
                rows = engine.create_table(planned.name, sql)
                result.rebuilt.append(planned.name)
            else:
                change = view_change(planned.name, task.resource_type)
                replace_rows(conn, planned.name, change, sql, view_keeps(plan, planned.name))
                add_groups(engine, plan, planned.name)
                rows = engine.count(planned.name)
                result.updated.append(planned.name)
            result.records.append(
                TableInfo(
                    planned.name, "view", task.resource_type, rows, task.watermark, planned.hash
                )
            )
            tell("view", planned.name, rows)


def _publish(
    warehouse: Warehouse,
    engine: DuckDBEngine,
    task: TypeTask,
    result: TypeResult,
    tell: Progress,
) -> None:
    """Bring the Parquet folders of the type's views up to date (see :func:`publish_table`)."""
    for name in result.rebuilt:
        publish_table(warehouse, engine, name, None, result.parquet, tell)
    for name in result.updated:
        publish_table(
            warehouse, engine, name, view_change(name, task.resource_type).key, result.parquet, tell
        )


def publish_table(
    warehouse: Warehouse,
    engine: DuckDBEngine,
    name: str,
    key: str | None,
    done: dict[str, str],
    tell: Progress,
) -> None:
    """Bring one table's Parquet folder up to date; note in ``done`` what was done.

    A table updated in place by ``key`` gets a change generation (or is
    rewritten when its changes have grown too large); a rebuilt one
    (``key`` ``None``) is written whole.
    """
    if key is None:
        warehouse.export_parquet(name, engine)
        how = "rewritten" if warehouse.table_folder(name) is not None else ""
    else:
        replaced = f"SELECT DISTINCT {key} FROM {replaced_name(name)}"
        rows = f"SELECT * FROM {inserted_name(name)}"
        how = warehouse.export_changes(name, key, rows, replaced, engine)
    if how:
        done[name] = how
        tell("publish", name, 0)


def by_size(tasks: Sequence[TypeTask], size: Callable[[TypeTask], int]) -> list[TypeTask]:
    """``tasks``, largest first (ties by type name), so the longest starts first.

    >>> t = [TypeTask(n, (), "", frozenset(), "") for n in ("B", "A", "C")]
    >>> [x.resource_type for x in by_size(t, lambda x: int(x.resource_type == "C"))]
    ['C', 'A', 'B']
    """
    return sorted(tasks, key=lambda t: (-size(t), t.resource_type))
