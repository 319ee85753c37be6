"""``carehub warehouse refresh``: apply only what changed since the last build or refresh.

https://hl7.org/fhir/R4/http.html#history (``_since``) and
https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/

The warehouse remembers a watermark: the instant its last build or refresh
started. A refresh asks the source for the resources changed at or after it
(``meta.lastUpdated``) and for the ids deleted since, then, per resource
type and in one DuckDB transaction: deletes every row those resources had
(each view table keeps the source resource id in ``_resource_id``) and
inserts the rows of their new versions. Marts that read a changed view are
brought up to date: a mart split into groups (``group_key``: one resource's
rows, one patient's values of one code) has the groups of the changed rows,
before and after, recomputed (:mod:`carehub.warehouse.refresh_marts`);
others are recomputed whole. The Parquet folder of a table
updated in place gets a change generation (the rows of the changed keys and
the keys they replace, :mod:`carehub.warehouse.parquet_log`) until its changes
outgrow a share of it, when it is rewritten whole; rebuilt and recomputed
tables are written whole. A view whose
definition changed since it was built (or that is new) is rebuilt from all
resources of its type. Refresh runs on the warehouse's DuckDB file.
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
from carehub.warehouse.build import (
    BuildPlan,
    PlannedView,
    Progress,
    stage_name,
    write_ndjson,
)
from carehub.warehouse.engines.duckdb import quote
from carehub.warehouse.marts import Mart
from carehub.warehouse.refresh_marts import (
    KeyedChange,
    groups_name,
    inserted_name,
    mart_change,
    replace_rows,
    replaced_name,
    touched_name,
    view_change,
    view_keeps,
)
from carehub.warehouse.sources import FhirSource
from carehub.warehouse.store import TableInfo, Warehouse, definition_hash, now_instant


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
    engine = warehouse.engine
    tables = warehouse.tables()
    stale = stale_views(plan, tables)
    by_type: dict[str, list[PlannedView]] = defaultdict(list)
    for planned in plan.views:
        by_type[planned.view.resource].append(planned)
    run = _Run(warehouse, plan, report, tell)
    with warehouse.held_checkpoints():
        _apply_changes(run, source, by_type, since, stale)
        touched = set(report.rebuilt) | set(report.updated)
        mart_changes: dict[str, KeyedChange | None] = {}
        try:
            for mart in plan.marts:
                if touched & set(mart.depends_on):
                    mart_changes[mart.name] = _refresh_mart(run, mart, tables, as_of)
            _publish(warehouse, plan, report, mart_changes, tell)
        finally:
            for resource_type in by_type:
                engine.drop(touched_name(resource_type))
            for name in [*report.updated, *mart_changes]:
                engine.drop(replaced_name(name))
                engine.drop(inserted_name(name))
            for name in mart_changes:
                engine.drop(groups_name(name))
    # one commit after the held checkpoints: DuckDB checkpoints here if its log outgrew the limit
    with warehouse.transaction():
        warehouse.record(*run.records)
        warehouse.set_state("watermark", report.watermark)
    report.seconds = time.perf_counter() - started
    return report


@dataclass(slots=True)
class _Run:
    """One refresh under way: where it writes, what it plans and what it has done."""

    warehouse: Warehouse
    plan: BuildPlan
    report: RefreshReport
    tell: Progress
    records: list[TableInfo] = field(default_factory=list)
    """Bookkeeping of the tables refreshed, stored together at the end."""

    def record(
        self, name: str, kind: str, resource_type: str | None, rows: int, digest: str
    ) -> None:
        self.records.append(
            TableInfo(name, kind, resource_type, rows, self.report.watermark, digest)
        )


def _apply_changes(
    run: _Run,
    source: FhirSource,
    by_type: dict[str, list[PlannedView]],
    since: str,
    stale: set[str],
) -> None:
    """Fetch each type's changes since ``since`` and apply them to the views over it."""
    warehouse, report, tell = run.warehouse, run.report, run.tell
    engine = warehouse.engine
    with tempfile.TemporaryDirectory(prefix="carehub-refresh-") as tmp:
        for resource_type, views in sorted(by_type.items()):
            full = any(v.name in stale for v in views)
            path = Path(tmp) / f"{resource_type}.ndjson"
            changed = write_ndjson(path, source.resources(resource_type, None if full else since))
            deleted = [] if full else sorted(set(source.deleted(resource_type, since)))
            report.changed[resource_type] = changed
            report.deleted[resource_type] = len(deleted)
            tell("changes", resource_type, changed + len(deleted))
            if not (changed or deleted or full):
                continue
            stage = stage_name(resource_type)
            engine.load_ndjson(stage, [str(path)] if changed else [], resource_type)
            try:
                _apply(run, views, stage, deleted, stale)
            finally:
                engine.drop(stage)


def _refresh_mart(
    run: _Run, mart: Mart, tables: dict[str, TableInfo], as_of: datetime.date | None
) -> KeyedChange | None:
    """Bring a mart up to date: in place when its rows follow resources or groups.

    A mart with a ``group_key`` gets the groups of the changed source rows,
    before and after the change, recomputed; any other mart, or one reading
    a rebuilt view, is recomputed whole. Returns how it changed when
    updated in place (``None`` when recomputed whole).
    """
    warehouse, plan, report = run.warehouse, run.plan, run.report
    engine = warehouse.engine
    day = as_of or datetime.date.today()
    in_place = mart.name in tables and not set(report.rebuilt) & set(mart.depends_on)
    planned = mart_change(warehouse, plan, mart, report.updated, day) if in_place else None
    if planned is not None:
        change, insert_sql = planned
        with warehouse.transaction():
            replace_rows(warehouse, mart.name, change, insert_sql, mart.group_key)
        rows = engine.count(mart.name)
    else:
        rows = engine.create_table(
            mart.name,
            engine.transpile_once(("mart", mart.sql, day), functools.partial(mart.query, day)),
        )
    report.marts.append(mart.name)
    run.record(mart.name, "mart", None, rows, definition_hash(mart.sql))
    run.tell("mart", mart.name, rows)
    return planned[0] if planned is not None else None


def _publish(
    warehouse: Warehouse,
    plan: BuildPlan,
    report: RefreshReport,
    mart_changes: dict[str, KeyedChange | None],
    tell: Progress,
) -> None:
    """Bring the Parquet folders of the changed tables up to date.

    Tables updated in place get a change generation (or are rewritten when
    their changes have grown too large); rebuilt and recomputed ones are
    written whole.
    """
    resource_of = {v.name: v.view.resource for v in plan.views}
    changes: dict[str, KeyedChange | None] = {
        name: view_change(name, resource_of[name]) for name in report.updated
    }
    changes.update({name: None for name in report.rebuilt})
    changes.update(mart_changes)
    for name in sorted(changes):
        change = changes[name]
        if change is None:
            warehouse.export_parquet(name)
            done = "rewritten" if warehouse.table_folder(name) is not None else ""
        else:
            replaced = f"SELECT DISTINCT {change.key} FROM {replaced_name(name)}"
            rows = f"SELECT * FROM {inserted_name(name)}"
            done = warehouse.export_changes(name, change.key, rows, replaced)
        if done:
            report.parquet[name] = done
            tell("publish", name, 0)


def _apply(
    run: _Run, views: list[PlannedView], stage: str, deleted: list[str], stale: set[str]
) -> None:
    """Replace the rows of changed and deleted resources in the views over one type."""
    warehouse, report = run.warehouse, run.report
    engine = warehouse.engine
    with warehouse.transaction() as conn:
        touched = touched_name(views[0].view.resource)
        conn.execute(f"CREATE OR REPLACE TEMP TABLE {touched} AS SELECT id FROM {quote(stage)}")
        if deleted:
            conn.executemany(f"INSERT INTO {touched} VALUES (?)", [(i,) for i in deleted])
        for planned in views:
            sql = engine.sql(planned.compiled, stage)
            if planned.name in stale:
                rows = engine.create_table(planned.name, sql)
                report.rebuilt.append(planned.name)
            else:
                change = view_change(planned.name, planned.view.resource)
                keep = view_keeps(run.plan, planned.name)
                replace_rows(warehouse, planned.name, change, sql, keep)
                rows = engine.count(planned.name)
                report.updated.append(planned.name)
            run.record(planned.name, "view", planned.view.resource, rows, planned.hash)
            run.tell("view", planned.name, rows)
