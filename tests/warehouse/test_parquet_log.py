"""Parquet change generations: merged reads equal the table; compaction; crash safety; refresh.

A table is written whole as a Parquet base, then changed (updates, deletes,
inserts, a key changed twice) and each change appended as a generation; the
merged read (:func:`live_sql`) must equal the table after every step. A
refresh of the warehouse appends generations to every table updated in
place, and the Parquet folders read merged must equal the DuckDB tables.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from carehub.app.warehouse_source import StoreSource
from carehub.storage.sqlite import SqliteStore
from carehub.warehouse.build import build, plan_build
from carehub.warehouse.parquet_log import (
    CHANGES,
    MAX_GENERATIONS,
    append_changes,
    file_name,
    live_sql,
    read_log,
)
from carehub.warehouse.refresh import refresh
from carehub.warehouse.store import Warehouse
from tests.warehouse.conftest import fresh
from tests.warehouse.test_build import AS_OF


def lit(path: Path) -> str:
    return "'" + path.as_posix().replace("'", "''") + "'"


def rows(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return sorted(conn.execute(sql).fetchall(), key=repr)


@pytest.fixture
def table(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """Table ``t`` (key ``k``, two rows per key for a and b) with its Parquet base written."""
    conn = duckdb.connect()
    conn.execute("CREATE TABLE t (k VARCHAR, v INTEGER, note VARCHAR)")
    conn.execute("INSERT INTO t VALUES ('a', 1, 'x'), ('a', 2, 'y'), ('b', 3, NULL), ('c', 4, 'z')")
    folder = tmp_path / "it's a folder" / "t"
    folder.mkdir(parents=True)
    conn.execute(f"COPY t TO {lit(folder / 'data.parquet')} (FORMAT PARQUET)")
    return conn, folder


def change(conn: duckdb.DuckDBPyConnection, sql: str, keys: list[str]) -> str:
    conn.execute(sql)
    return " UNION ALL ".join(f"SELECT '{k}'" for k in keys)


def current(keys: str) -> str:
    """The rows of table ``t`` now, of the keys ``keys`` selects."""
    return f"SELECT * FROM t WHERE k IN ({keys})"


def test_merged_reads_follow_updates_deletes_and_inserts(
    table: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    conn, folder = table
    assert rows(conn, live_sql(folder)) == rows(conn, "SELECT * FROM t")
    keys = change(
        conn,
        "DELETE FROM t WHERE k IN ('a', 'b'); INSERT INTO t VALUES ('a', 5, 'new'), ('d', 6, 'd')",
        ["a", "b", "d"],
    )
    # 'd' is new: its rows are written, no older rows of it are replaced
    replaced = "SELECT 'a' UNION ALL SELECT 'b'"
    assert append_changes(conn, folder, "k", current(keys), replaced, compact_share=10)
    assert rows(conn, live_sql(folder)) == rows(conn, "SELECT * FROM t")
    keys = change(
        conn, "DELETE FROM t WHERE k IN ('a'); INSERT INTO t VALUES ('a', 7, 'again')", ["a", "zz"]
    )
    assert append_changes(conn, folder, "k", current(keys), keys, compact_share=10)
    assert rows(conn, live_sql(folder)) == rows(conn, "SELECT * FROM t")
    log = read_log(folder)
    assert log is not None and log.base_rows == 4
    assert [(g["n"], g["rows"], g["keys"]) for g in log.generations] == [(1, 2, 2), (2, 1, 2)]
    # the base alone still reads as the table of its last full write
    base = rows(conn, f"SELECT * FROM read_parquet({lit(folder / '*.parquet')})")
    assert len(base) == 4


def test_changes_beyond_the_share_are_refused_and_nothing_is_written(
    table: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    conn, folder = table
    keys = change(conn, "DELETE FROM t WHERE k = 'c'", ["c"])
    # one key against four base rows is 25 %: above a 20 % share
    assert not append_changes(conn, folder, "k", current(keys), keys, compact_share=0.2)
    assert not (folder / CHANGES).exists()
    assert append_changes(conn, folder, "k", current(keys), keys, compact_share=0.25)
    assert rows(conn, live_sql(folder)) == rows(conn, "SELECT * FROM t")
    assert not append_changes(conn, folder, "v", current(keys), keys, compact_share=10), (
        "key mismatch"
    )


def test_a_folder_without_base_or_with_too_many_generations_is_rewritten(
    table: tuple[duckdb.DuckDBPyConnection, Path], tmp_path: Path
) -> None:
    conn, folder = table
    assert not append_changes(
        conn, tmp_path / "empty", "k", current("SELECT 'a'"), "SELECT 'a'", compact_share=10
    )
    for _ in range(MAX_GENERATIONS):
        assert append_changes(
            conn, folder, "k", current("SELECT 'a'"), "SELECT 'a'", compact_share=1000
        )
    assert not append_changes(
        conn, folder, "k", current("SELECT 'a'"), "SELECT 'a'", compact_share=1000
    )
    assert rows(conn, live_sql(folder)) == rows(conn, "SELECT * FROM t")


def test_files_of_an_uncommitted_generation_are_not_read(
    table: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    conn, folder = table
    keys = change(conn, "UPDATE t SET v = 9 WHERE k = 'b'", ["b"])
    assert append_changes(conn, folder, "k", current(keys), keys, compact_share=10)
    expected = rows(conn, "SELECT * FROM t")
    # a refresh that died after writing its files but before the manifest
    changes = folder / CHANGES
    conn.execute(f"COPY (SELECT 'c' AS k) TO {lit(changes / file_name(2, 'keys'))}")
    conn.execute(
        f"COPY (SELECT 'c' AS k, 99 AS v, 'ghost' AS note) TO {lit(changes / file_name(2, 'rows'))}"
    )
    assert rows(conn, live_sql(folder)) == expected


def parquet_matches_tables(warehouse: Warehouse) -> None:
    conn = warehouse.connection
    for name in warehouse.tables():
        folder = warehouse.table_folder(name)
        assert folder is not None
        assert rows(conn, live_sql(folder)) == rows(conn, f'SELECT * FROM "{name}"'), name


def test_refresh_appends_generations_that_read_as_the_tables(
    tmp_path: Path, fhir_store: SqliteStore
) -> None:
    store = fhir_store
    warehouse = Warehouse(tmp_path / "w.duckdb", tmp_path / "parquet", compact_share=100)
    plan = plan_build()
    build(plan, StoreSource(store), warehouse.engine, warehouse, as_of=AS_OF)
    with store.session(write=True) as session:
        encounter = fresh(json.loads(session.read("Encounter", "e2").body or "{}"))
        encounter["status"] = "finished"
        session.put(encounter)
        session.delete("Condition", "c2")
        session.put({"resourceType": "Patient", "id": "p3", "gender": "other"})
    first = refresh(plan, StoreSource(store), warehouse, as_of=AS_OF)
    assert first.parquet["encounters"] == "appended"
    assert first.parquet["conditions"] == "appended"
    assert first.parquet["daily_census"] == "rewritten", "recomputed marts are written whole"
    parquet_matches_tables(warehouse)
    with store.session(write=True) as session:
        session.delete("Patient", "p3")
        session.put({"resourceType": "Patient", "id": "p1", "gender": "female"})
    second = refresh(plan, StoreSource(store), warehouse, as_of=AS_OF)
    assert second.parquet["patients"] == "appended"
    parquet_matches_tables(warehouse)
    log = read_log(tmp_path / "parquet" / "patients")
    assert log is not None and len(log.generations) == 2
    # a warehouse that tolerates no change files rewrites the table and drops them
    warehouse.compact_share = 0
    with store.session(write=True) as session:
        session.put({"resourceType": "Patient", "id": "p2", "gender": "male"})
    third = refresh(plan, StoreSource(store), warehouse, as_of=AS_OF)
    assert third.parquet["patients"] == "rewritten"
    assert not (tmp_path / "parquet" / "patients" / CHANGES).exists()
    parquet_matches_tables(warehouse)
    # a table rebuilt from its Parquet folder (as after a Spark build) gets the live rows
    warehouse.import_parquet("copy_of_encounters", tmp_path / "parquet" / "encounters")
    conn = warehouse.connection
    assert rows(conn, "SELECT * FROM copy_of_encounters") == rows(conn, "SELECT * FROM encounters")
