"""In-place refresh of one table: replace the rows of changed keys; marts by resource or group.

https://duckdb.org/docs/sql/statements/delete

A refresh names the resources it touched (changed or deleted) per type in a
temporary table (:func:`touched_name`). A table is then updated in place by
*key*: a DuckDB expression over its columns whose values the changes are
described by. For a view the key is the source resource id; for a mart with
a ``group_key`` the group value (:func:`~carehub.warehouse.marts.group_value`),
the groups being those of the touched resources' rows before and after the
change. The key columns of the rows being replaced are kept in a temporary
table (:func:`replaced_name`) and the inserted rows in another
(:func:`inserted_name`); later steps read them (the keys a Parquet change
generation supersedes, and its rows).

Resource types are refreshed on several connections at once, so the groups
a type's changes touch are added to a table of the scratch schema
(:data:`SCRATCH`, :func:`groups_name`) that the mart step, on another
connection, reads once they are committed.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from carehub.warehouse.build import KEY_COLUMN, BuildPlan
from carehub.warehouse.engines.duckdb import DuckDBEngine, quote
from carehub.warehouse.marts import Mart, group_value

SCRATCH = "_carehub_refresh"
"""The schema of a refresh's shared working tables (dropped when it ends)."""


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
    """The temporary table of the key columns of the rows a refresh replaced in ``table``.

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
    """The scratch table of the groups a refresh recomputes in ``mart`` (column ``g``).

    >>> groups_name("screening_facts")
    '_carehub_refresh.groups_screening_facts'
    """
    return f"{SCRATCH}.groups_{mart}"


def view_change(view: str, resource_type: str) -> KeyedChange:
    """The change of a view: the rows of the touched resources of its type.

    >>> view_change("vitals", "Observation").changed_sql
    'SELECT id FROM _touched_observation'
    """
    return KeyedChange(quote(KEY_COLUMN), f"SELECT id FROM {touched_name(resource_type)}")


def replace_rows(
    conn: duckdb.DuckDBPyConnection,
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
    name = quote(table)
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


def drop_working_tables(engine: DuckDBEngine, tables: Sequence[str]) -> None:
    """Drop the replaced and inserted rows kept for ``tables`` on ``engine``'s connection."""
    for table in tables:
        engine.drop(replaced_name(table))
        engine.drop(inserted_name(table))


def grouped_marts(plan: BuildPlan) -> list[Mart]:
    """The marts of ``plan`` that a refresh updates group by group.

    >>> grouped_marts(BuildPlan((), ()))
    []
    """
    return [mart for mart in plan.marts if mart.group_key]


def open_scratch(conn: duckdb.DuckDBPyConnection, plan: BuildPlan) -> None:
    """Create the scratch schema with an empty groups table per grouped mart (committed).

    A scratch schema left by a refresh that died is replaced.
    """
    conn.execute(f"DROP SCHEMA IF EXISTS {SCRATCH} CASCADE")
    conn.execute(f"CREATE SCHEMA {SCRATCH}")
    for mart in grouped_marts(plan):
        conn.execute(f"CREATE TABLE {groups_name(mart.name)} (g VARCHAR)")


def close_scratch(conn: duckdb.DuckDBPyConnection) -> None:
    """Drop the scratch schema and everything in it."""
    conn.execute(f"DROP SCHEMA IF EXISTS {SCRATCH} CASCADE")


def add_groups(engine: DuckDBEngine, plan: BuildPlan, view: str) -> None:
    """Add the groups of the grouped marts over ``view`` that its replaced rows touched.

    A group is touched when a changed or deleted resource had rows in it
    before the refresh (the view's replaced rows) or has rows in it now (its
    inserted rows). Runs in the caller's transaction, after
    :func:`replace_rows` of ``view``.
    """
    for mart in grouped_marts(plan):
        if view not in mart.depends_on:
            continue
        columns = mart.source_columns(view)
        group = engine.transpile_once(("group", columns), functools.partial(group_value, columns))
        engine.connection.execute(
            f"INSERT INTO {groups_name(mart.name)} "
            f"SELECT {group} FROM {replaced_name(view)} "
            f"UNION SELECT {group} FROM {inserted_name(view)}"
        )


def mart_change(engine: DuckDBEngine, mart: Mart, day: datetime.date) -> tuple[KeyedChange, str]:
    """How grouped ``mart`` changes in place, and the query of its rows for the changed groups.

    The groups are those :func:`add_groups` collected.

    Raises:
        Incorrect: the mart has no group key.
    """
    groups = groups_name(mart.name)
    key = engine.transpile_once(
        ("group", mart.group_key), functools.partial(group_value, mart.group_key)
    )
    change = KeyedChange(key, f"SELECT DISTINCT g FROM {groups}")
    query = engine.transpile_once(
        ("groups", mart, tuple(sorted(mart.group_sources.items())), day, groups),
        functools.partial(mart.query_for_groups, day, groups),
    )
    return change, query


def view_keeps(plan: BuildPlan, view: str) -> tuple[str, ...]:
    """The columns of ``view``'s replaced rows a refresh reads: its key, and its group columns.

    >>> view_keeps(BuildPlan((), ()), "vitals")
    ('_resource_id',)
    """
    columns = [KEY_COLUMN]
    for mart in grouped_marts(plan):
        if view in mart.depends_on:
            columns.extend(mart.source_columns(view))
    return tuple(dict.fromkeys(columns))
