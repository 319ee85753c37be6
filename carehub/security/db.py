"""The security database: users, clients, tokens, codes (``<data dir>/security.sqlite``).

https://www.rfc-editor.org/rfc/rfc6749 (the authorization server's state)

One SQLite file, separate from the FHIR store, opened once per process with a
lock around each statement (WAL mode: readers do not wait for writers).
Secrets are never stored in clear: passwords are Argon2id hashes, tokens,
codes and client secrets SHA-256 hashes (they are long random strings, so a
fast hash is enough).

Failure modes: :class:`~carehub.errors.Fault` when the file cannot be opened.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from carehub.errors import Fault

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  username TEXT PRIMARY KEY, password TEXT NOT NULL, role TEXT NOT NULL,
  fhir_user TEXT, department TEXT, display TEXT, active INTEGER NOT NULL DEFAULT 1,
  created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
  client_id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
  secret TEXT, redirect_uris TEXT NOT NULL, scopes TEXT NOT NULL, jwks TEXT,
  active INTEGER NOT NULL DEFAULT 1, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  hash TEXT PRIMARY KEY, kind TEXT NOT NULL, token_id TEXT NOT NULL, client_id TEXT NOT NULL,
  subject TEXT NOT NULL, scopes TEXT NOT NULL, patient TEXT, fhir_user TEXT, role TEXT,
  department TEXT, break_glass TEXT, issued INTEGER NOT NULL, expires INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0, family TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_family ON tokens(family);
CREATE TABLE IF NOT EXISTS codes (
  hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
  scopes TEXT NOT NULL, username TEXT NOT NULL, patient TEXT, challenge TEXT NOT NULL,
  nonce TEXT, expires INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS assertion_ids (
  client_id TEXT NOT NULL, jti TEXT NOT NULL, expires INTEGER NOT NULL,
  PRIMARY KEY (client_id, jti));
CREATE TABLE IF NOT EXISTS launches (
  hash TEXT PRIMARY KEY, patient TEXT, encounter TEXT, username TEXT NOT NULL,
  expires INTEGER NOT NULL);
"""


def digest(secret: str) -> str:
    """The stored form of a random secret (token, code, client secret).

    >>> digest("abc")[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256(secret.encode()).hexdigest()


class SecurityDb:
    """The security SQLite file.

    Args:
        path: the file (created with its folder, readable by the owner only).
    """

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not path.exists()
            self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            if fresh:
                path.chmod(0o600)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise Fault(f"cannot open the security database {path}: {exc}") from None
        self.path = path
        self.lock = threading.Lock()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute one statement; return the number of rows changed."""
        with self.lock:
            return self.conn.execute(sql, params).rowcount

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row of a query, or None."""
        with self.lock:
            row: tuple[Any, ...] | None = self.conn.execute(sql, params).fetchone()
            return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row of a query."""
        with self.lock:
            return list(self.conn.execute(sql, params).fetchall())

    def close(self) -> None:
        """Close the file."""
        with self.lock:
            self.conn.close()
