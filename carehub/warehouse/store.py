"""The materialised warehouse: one DuckDB file plus one Parquet folder per table.

https://duckdb.org/docs/data/parquet/overview

Besides the view and mart tables, the file holds two bookkeeping tables:
``_carehub_tables`` (what each table is, its row count and the hash of the
definition it was built from) and ``_carehub_state`` (the watermark of the
last build or refresh, i.e. the instant up to which source changes are in).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson

from carehub.warehouse.engines.duckdb import DuckDBEngine, quote
from carehub.warehouse.parquet_log import append_changes, live_sql

DEFAULT_COMPACT_SHARE = 0.2
"""Default of ``CAREHUB_WAREHOUSE_COMPACT_SHARE``."""

TABLES = "_carehub_tables"
STATE = "_carehub_state"


@dataclass(frozen=True, slots=True)
class TableInfo:
    """Bookkeeping of one warehouse table."""

    name: str
    kind: str
    resource_type: str | None
    rows: int
    built_at: str
    definition_hash: str


def definition_hash(definition: Mapping[str, Any] | str) -> str:
    """A short stable hash of a view's JSON (or a mart's SQL).

    >>> definition_hash({"b": 1, "a": 2}) == definition_hash({"a": 2, "b": 1})
    True
    """
    text = (
        definition
        if isinstance(definition, str)
        else orjson.dumps(definition, option=orjson.OPT_SORT_KEYS).decode()
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def now_instant() -> str:
    """The current time as a FHIR instant with microseconds (UTC)."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@contextlib.contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB transaction on ``conn``: committed after the block, rolled back if it raises."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class Warehouse:
    """A warehouse on disk.

    Args:
        path: the DuckDB database file (created with its folder).
        parquet_dir: where each table is written as ``<dir>/<table>/*.parquet``
            (plus the change generations of :mod:`carehub.warehouse.parquet_log`);
            ``None`` writes no Parquet.
        threads: DuckDB worker threads.
        compact_share: how large a table's Parquet change files may grow, as a
            share of its base rows, before a refresh rewrites the table whole.
        refresh_workers: resource types a refresh updates at once, each on its
            own DuckDB connection (``None``: the CPU count, at most 4).
    """

    def __init__(
        self,
        path: str | Path,
        parquet_dir: str | Path | None = None,
        *,
        threads: int | None = None,
        compact_share: float = DEFAULT_COMPACT_SHARE,
        refresh_workers: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.refresh_workers = max(1, refresh_workers or min(4, os.cpu_count() or 1))
        self.parquet_dir = Path(parquet_dir) if parquet_dir is not None else None
        self.threads = threads
        self.compact_share = compact_share
        self._engine: DuckDBEngine | None = None

    @property
    def engine(self) -> DuckDBEngine:
        """A DuckDB engine working in the warehouse file."""
        if self._engine is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._engine = DuckDBEngine(self.path, threads=self.threads)
            self._bookkeeping(self._engine.connection)
        return self._engine

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The connection to the warehouse file."""
        return self.engine.connection

    def _bookkeeping(self, conn: duckdb.DuckDBPyConnection) -> None:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLES} (name VARCHAR PRIMARY KEY, kind VARCHAR, "
            "resource_type VARCHAR, rows BIGINT, built_at VARCHAR, definition_hash VARCHAR)"
        )
        conn.execute(f"CREATE TABLE IF NOT EXISTS {STATE} (key VARCHAR PRIMARY KEY, value VARCHAR)")

    def record(self, *infos: TableInfo) -> None:
        """Store the bookkeeping of tables (one statement; the last of a name wins)."""
        latest = {info.name: info for info in infos}
        if not latest:
            return
        marks = ", ".join("(?, ?, ?, ?, ?, ?)" for _ in latest)
        self.connection.execute(
            f"INSERT OR REPLACE INTO {TABLES} VALUES {marks}",
            [
                value
                for info in latest.values()
                for value in (
                    info.name,
                    info.kind,
                    info.resource_type,
                    info.rows,
                    info.built_at,
                    info.definition_hash,
                )
            ],
        )

    def tables(self) -> dict[str, TableInfo]:
        """Bookkeeping of every table, by name."""
        rows = self.connection.execute(f"SELECT * FROM {TABLES} ORDER BY name").fetchall()
        return {r[0]: TableInfo(r[0], r[1], r[2], int(r[3]), r[4], r[5]) for r in rows}

    def state(self, key: str) -> str | None:
        """A bookkeeping value (``watermark``, ``engine``...)."""
        row = self.connection.execute(f"SELECT value FROM {STATE} WHERE key = ?", [key]).fetchone()
        return str(row[0]) if row else None

    def set_state(self, key: str, value: str) -> None:
        """Store a bookkeeping value."""
        self.connection.execute(f"INSERT OR REPLACE INTO {STATE} VALUES (?, ?)", [key, value])

    def table_folder(self, name: str) -> Path | None:
        """The Parquet folder of table ``name`` (``None`` without a Parquet folder)."""
        return self.parquet_dir / name if self.parquet_dir is not None else None

    def import_parquet(self, name: str, folder: str | Path) -> int:
        """Replace table ``name`` by the live rows of the Parquet ``folder``; returns its rows."""
        self.connection.execute(
            f"CREATE OR REPLACE TABLE {quote(name)} AS {live_sql(Path(folder))}"
        )
        return self.engine.count(name)

    def export_changes(
        self,
        name: str,
        key: str,
        rows_sql: str,
        replaced_sql: str,
        engine: DuckDBEngine | None = None,
    ) -> str:
        """Bring table ``name``'s Parquet folder up to date after the rows of some keys changed.

        ``rows_sql`` selects the current rows of the keys (expression ``key``)
        whose rows may have changed, ``replaced_sql`` the keys that had rows
        before. Appends a change generation, or rewrites the table whole when
        the folder's changes would outgrow ``compact_share`` of its base (see
        :func:`~carehub.warehouse.parquet_log.append_changes`). Returns what it
        did: ``"appended"``, ``"rewritten"`` or ``""`` (no Parquet folder).
        ``engine``: the engine (connection) to work on, by default the
        warehouse's own.
        """
        folder = self.table_folder(name)
        if folder is None:
            return ""
        conn = (engine or self.engine).connection
        if append_changes(
            conn, folder, key, rows_sql, replaced_sql, compact_share=self.compact_share
        ):
            return "appended"
        self.export_parquet(name, engine)
        return "rewritten"

    def export_parquet(self, name: str, engine: DuckDBEngine | None = None) -> None:
        """Write table ``name`` to its Parquet folder (no-op without a Parquet folder)."""
        folder = self.table_folder(name)
        if folder is not None:
            (engine or self.engine).write_parquet(name, str(folder))

    def transaction(self) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A transaction on the warehouse's connection (see :func:`transaction`)."""
        return transaction(self.connection)

    @contextlib.contextmanager
    def held_checkpoints(self) -> Iterator[None]:
        """Run a block of writes with DuckDB's automatic checkpoints held back.

        Several transactions then reach the database file in one checkpoint
        instead of one each time the write-ahead log passes DuckDB's
        ``checkpoint_threshold``. Afterwards the threshold is restored, so the
        next commit checkpoints if the log has outgrown it (DuckDB's own
        policy); until then committed changes are durable in the log. Also
        restored when the block fails.
        """
        conn = self.connection
        row = conn.execute("SELECT current_setting('checkpoint_threshold')").fetchone()
        conn.execute("SET checkpoint_threshold = '1TB'")
        try:
            yield
        finally:
            if row is not None:
                conn.execute("SET checkpoint_threshold = ?", [row[0]])

    def close(self) -> None:
        """Close the file."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None
