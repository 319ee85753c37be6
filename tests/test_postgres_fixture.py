"""The ``postgres_dsn`` fixture yields a database CareHub can connect to and write in."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.postgres


def test_select_one(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, connect_timeout=10) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_can_create_tables(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, connect_timeout=10) as conn:
        conn.execute("create temporary table probe (id int primary key, body jsonb)")
        conn.execute("insert into probe values (1, '{\"a\": 1}')")
        row = conn.execute("select body->>'a' from probe").fetchone()
        assert row == ("1",)
        conn.rollback()
