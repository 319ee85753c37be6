"""SQL dialects: the few things SQLite and PostgreSQL do differently.

A dialect is a table of class attributes plus a handful of small methods; the
store code is written once against it (house style: back-ends differ by tables,
not copied code).
"""

from __future__ import annotations

import re
from typing import ClassVar

_QMARK = re.compile(r"\?")


class Dialect:
    """SQL text conventions of one database engine."""

    name: ClassVar[str] = "base"
    #: column types
    t_key: ClassVar[str] = "INTEGER PRIMARY KEY"
    t_bigint: ClassVar[str] = "INTEGER"
    t_text: ClassVar[str] = "TEXT"
    #: text columns compared by range (byte order)
    t_sorttext: ClassVar[str] = "TEXT"
    t_bool: ClassVar[str] = "INTEGER"
    t_body: ClassVar[str] = "BLOB"
    t_real: ClassVar[str] = "REAL"
    true: ClassVar[str] = "1"
    false: ClassVar[str] = "0"
    #: how a stored body is inserted (``?`` is the parameter) and selected
    body_in: ClassVar[str] = "?"
    body_out: ClassVar[str] = "body"
    #: appended to the current-row read inside a write session
    for_update: ClassVar[str] = ""
    #: prefix that stops the planner from using an index on a column (SQLite's unary +)
    no_index: ClassVar[str] = ""
    #: new row ids come from sequences (else: the maxima, under the write lock)
    sequence_ids: ClassVar[bool] = False

    def sql(self, text: str) -> str:
        """Convert ``?`` placeholders to this dialect's style.

        >>> Dialect().sql("SELECT ?")
        'SELECT ?'
        """
        return text

    def body_value(self, body: bytes) -> object:
        """The parameter value that stores ``body``."""
        return body


class SqliteDialect(Dialect):
    """SQLite 3.35+ (RETURNING)."""

    name = "sqlite"
    no_index = "+"


class PostgresDialect(Dialect):
    """PostgreSQL 13+ via psycopg 3."""

    name = "postgres"
    t_key = "BIGSERIAL PRIMARY KEY"
    t_bigint = "BIGINT"
    t_sorttext = 'TEXT COLLATE "C"'
    t_bool = "BOOLEAN"
    t_body = "JSONB"
    t_real = "DOUBLE PRECISION"
    true = "TRUE"
    false = "FALSE"
    body_in = "?::jsonb"
    body_out = "body::text"
    for_update = " FOR UPDATE"
    sequence_ids = True

    def sql(self, text: str) -> str:
        """Use psycopg's ``%s`` placeholders.

        >>> PostgresDialect().sql("SELECT ? WHERE x = ?")
        'SELECT %s WHERE x = %s'
        """
        return _QMARK.sub("%s", text)

    def body_value(self, body: bytes) -> object:
        """JSONB takes text."""
        return body.decode("utf-8")
