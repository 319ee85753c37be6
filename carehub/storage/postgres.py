"""The PostgreSQL FHIR store (psycopg 3, JSONB bodies, a connection pool).

Writers lock the resource row (``SELECT ... FOR UPDATE``) before checking
preconditions; conditional interactions take a transaction-scoped advisory
lock on their query; a concurrent first insert of the same id is reported as
:class:`~carehub.errors.Conflict`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from carehub.errors import Busy, Conflict
from carehub.storage.sql.dialect import PostgresDialect
from carehub.storage.sql.schema import INDEX_TABLES
from carehub.storage.sql.session import Db, SqlSession
from carehub.storage.sql.store import SqlStoreBase


class PostgresDb:
    """:class:`~carehub.storage.sql.session.Db` over a psycopg connection."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run a query, return all rows."""
        return self.conn.execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        """Run a query, return the first row."""
        return self.conn.execute(sql, params).fetchone()

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run a statement."""
        self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run a statement per row (pipelined by psycopg)."""
        with self.conn.cursor() as cur:
            cur.executemany(sql, rows)


class PostgresSession(SqlSession):
    """Adds advisory locks for conditional interactions."""

    def lock_key(self, key: str) -> None:
        """Serialize sessions sharing ``key`` until this transaction ends."""
        self.db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))


class PostgresStore(SqlStoreBase):
    """FHIR store in a PostgreSQL database.

    Args:
        dsn: libpq connection string.
        compartment: the patient compartment; R4's by default.
        pool_size: most connections held.
    """

    name = "postgres"
    dialect = PostgresDialect()

    def __init__(
        self,
        dsn: str,
        compartment: Mapping[str, tuple[str, ...]] | None = None,
        pool_size: int = 8,
    ) -> None:
        super().__init__(compartment)
        self.pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            dsn, min_size=1, max_size=pool_size, open=True, kwargs={"autocommit": False}
        )
        self.create_schema()

    @contextmanager
    def _begin(self, write: bool) -> Iterator[PostgresDb]:
        try:
            with self.pool.connection() as conn, conn.transaction():
                yield PostgresDb(conn)
        except pg_errors.UniqueViolation as exc:
            raise Conflict(f"a concurrent write created the same resource: {exc}") from exc
        except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected) as exc:
            raise Conflict(f"a concurrent write conflicted: {exc}") from exc
        except psycopg.OperationalError as exc:
            raise Busy(f"the database is unavailable: {exc}") from exc

    def _make_session(self, db: Db) -> SqlSession:
        return PostgresSession(db, self.dialect, self.compartment)

    def create_schema(self) -> None:
        """Create the schema once, even with several processes starting together."""
        with self._begin(True) as db:
            db.execute("SELECT pg_advisory_xact_lock(727274)")
            from carehub.storage.sql.schema import ddl

            for stmt in ddl(self.dialect):
                db.execute(stmt)

    def optimize(self) -> None:
        """Gather planner statistics of the FHIR tables (``ANALYZE``)."""
        with self.pool.connection() as conn:
            conn.autocommit = True
            conn.execute("ANALYZE resources, versions, " + ", ".join(INDEX_TABLES))
            conn.autocommit = False

    def close(self) -> None:
        """Close the pool."""
        self.pool.close()
