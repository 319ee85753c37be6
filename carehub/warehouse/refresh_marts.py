"""In-place refresh of one table: replace the rows of changed keys; marts by resource or group.

https://duckdb.org/docs/sql/statements/delete

A refresh names the resources it touched (changed or deleted) per type in a
temporary table (:func:`touched_name`). A table is then updated in place by
*key*: a DuckDB expression over its columns whose values the changes are
described by. For a view the key is the source resource id; for a mart with
a ``group_key`` the group value (:func:`~carehub.warehouse.marts.group_value`),
the groups being those of the touched resources' rows before and after the
change. Before deleting,
the rows being replaced are kept in a temporary table
(:func:`replaced_name`), which later steps read (a mart's groups, the keys
a Parquet change generation supersedes).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from carehub.warehouse.build import KEY_COLUMN, BuildPlan
from carehub.warehouse.engines.duckdb import quote
from carehub.warehouse.marts import Mart, group_value
from carehub.warehouse.store import Warehouse


@dataclass(frozen=True, slots=True)
class KeyedChange:
    """How a table changed in place: its ``key`` expression and the query of the changed keys."""

    key: str
    changed_sql: str


def touched_name(resource_type: str) -> str:
    """The temporary table of the ids of one type's changed and deleted resources.

    >>> touched_name("Observation")
    '_touched_observation'
    """
    return f"_touched_{resource_type.lower()}"


def replaced_name(table: str) -> str:
    """The temporary table of the rows a refresh replaced in ``table``.

    >>> replaced_name("vitals")
    '_replaced_vitals'
    """
    return f"_replaced_{table}"


def inserted_name(table: str) -> str:
    """The temporary table of the rows a refresh inserted in ``table`` (the changed keys' rows).

    >>> inserted_name("vitals")
    '_inserted_vitals'
    """
    return f"_inserted_{table}"


def groups_name(mart: str) -> str:
    """The temporary table of the groups a refresh recomputes in ``mart``.

    >>> groups_name("screening_facts")
    '_groups_screening_facts'
    """
    return f"_groups_{mart}"


def view_change(view: str, resource_type: str) -> KeyedChange:
    """The change of a view: the rows of the touched resources of its type.

    >>> view_change("vitals", "Observation").changed_sql
    'SELECT id FROM _touched_observation'
    """
    return KeyedChange(quote(KEY_COLUMN), f"SELECT id FROM {touched_name(resource_type)}")


def replace_rows(
    warehouse: Warehouse,
    table: str,
    change: KeyedChange,
    insert_sql: str,
    keep: Sequence[str],
) -> None:
    """Delete and re-insert the rows of ``table`` whose key changed (no transaction).

    Columns ``keep`` of the deleted rows (those the key and any group value
    are computed from) stay in :func:`replaced_name`'s table, the inserted
    rows (every current row of a changed key) in :func:`inserted_name`'s, so
    later steps read them without scanning ``table``.
    """
    conn, name = warehouse.connection, quote(table)
    where = f"WHERE ({change.key}) IN ({change.changed_sql})"
    columns = ", ".join(quote(c) for c in dict.fromkeys(keep))
    inserted = inserted_name(table)
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE {replaced_name(table)} AS "
        f"SELECT {columns} FROM {name} {where}"
    )
    conn.execute(f"DELETE FROM {name} {where}")
    # the inserted rows keep the table's column types (they are also what Parquet gets)
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {inserted} AS SELECT * FROM {name} LIMIT 0")
    conn.execute(f"INSERT INTO {inserted} {insert_sql}")
    conn.execute(f"INSERT INTO {name} SELECT * FROM {inserted}")


def mart_change(
    warehouse: Warehouse, plan: BuildPlan, mart: Mart, updated: list[str], day: datetime.date
) -> tuple[KeyedChange, str] | None:
    """How ``mart`` can be updated in place, and the query of its new rows for the changed keys.

    ``updated`` lists the views updated in place by this refresh (their
    replaced rows are kept). ``None`` when the mart has no group key (it is
    then recomputed whole).
    """
    engine = warehouse.engine
    if mart.group_key:
        groups = _changed_groups(warehouse, plan, mart, updated)
        key = engine.transpile_once(
            ("group", mart.group_key), functools.partial(group_value, mart.group_key)
        )
        change = KeyedChange(key, f"SELECT g FROM {groups}")
        query = engine.transpile_once(
            ("groups", mart, tuple(sorted(mart.group_sources.items())), day, groups),
            functools.partial(mart.query_for_groups, day, groups),
        )
        return change, query
    return None


def view_keeps(plan: BuildPlan, view: str) -> tuple[str, ...]:
    """The columns of ``view``'s replaced rows a refresh reads: its key, and its group columns.

    >>> view_keeps(BuildPlan((), ()), "vitals")
    ('_resource_id',)
    """
    columns = [KEY_COLUMN]
    for mart in plan.marts:
        if mart.group_key and view in mart.depends_on:
            columns.extend(mart.source_columns(view))
    return tuple(dict.fromkeys(columns))


def _changed_groups(warehouse: Warehouse, plan: BuildPlan, mart: Mart, updated: list[str]) -> str:
    """Fill a temporary table (column ``g``) with the groups of ``mart`` a refresh touched.

    A group is touched when a changed or deleted resource had rows in it
    before the refresh (the view's replaced rows) or has rows in it now (its
    inserted rows).
    Returns the table's name.
    """
    engine = warehouse.engine
    parts = []
    for planned in plan.views:
        if planned.name in mart.depends_on and planned.name in updated:
            columns = mart.source_columns(planned.name)
            group = engine.transpile_once(
                ("group", columns), functools.partial(group_value, columns)
            )
            parts.append(f"SELECT {group} AS g FROM {replaced_name(planned.name)}")
            parts.append(f"SELECT {group} AS g FROM {inserted_name(planned.name)}")
    name = groups_name(mart.name)
    union = " UNION ALL ".join(parts) or "SELECT CAST(NULL AS VARCHAR) AS g WHERE false"
    warehouse.connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT g FROM ({union})"
    )
    return name
