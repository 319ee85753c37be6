"""Parquet table folders that a refresh appends to: a base plus change generations.

https://duckdb.org/docs/data/parquet/overview and, for the idea, Apache
Iceberg's equality deletes (https://iceberg.apache.org/spec/#equality-delete-files)

Rewriting a table's Parquet whole on every refresh costs as much as writing
it at build time, however little changed. A refresh therefore appends a
*generation* to the folder instead:

.. code-block:: text

    <table>/*.parquet                  the base: every row as of the last full write
    <table>/_changes/manifest.json     the key (an expression over the columns), generations
    <table>/_changes/000001-rows.parquet   current rows of the resources changed in generation 1
    <table>/_changes/000001-keys.parquet   keys those rows replace (changed and deleted resources)

A row of the base or of generation *g* is live unless its key is among the
keys of a later generation (merge on read). :func:`live_sql` is the query
that reads a folder's live rows, and every CareHub reader of warehouse
Parquet goes through it. The manifest is replaced atomically after a
generation's two files are written, so a crash mid-way leaves files no
reader looks at. When the change files hold more than a share of the base's
rows, the writer rewrites the table whole (compaction) and the
``_changes`` folder goes away with the old files.

A reader that globs ``<table>/*.parquet`` alone sees the table as of its
last full write: consistent, but without the later changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson

CHANGES = "_changes"
MANIFEST = "manifest.json"
KEY = "_changed_key"
"""The column of a keys file."""
MAX_GENERATIONS = 32
"""Most generations a folder keeps before its table is rewritten whole (bounds read cost)."""


@dataclass(slots=True)
class ChangeLog:
    """The manifest of one table folder's change generations."""

    key: str
    base_rows: int
    generations: list[dict[str, int]] = field(default_factory=list)

    @property
    def change_rows(self) -> int:
        """Rows and keys held in change files (what a reader merges)."""
        return sum(g["rows"] + g["keys"] for g in self.generations)

    def to_json(self) -> dict[str, Any]:
        """The manifest's JSON form."""
        return {"key": self.key, "base_rows": self.base_rows, "generations": self.generations}


def _literal(path: Path) -> str:
    """A path as a DuckDB string literal.

    >>> _literal(Path("/tmp/it's"))
    "'/tmp/it''s'"
    """
    return "'" + path.as_posix().replace("'", "''") + "'"


def file_name(generation: int, kind: str) -> str:
    """The name of one generation's rows or keys file.

    >>> file_name(7, "keys")
    '000007-keys.parquet'
    """
    return f"{generation:06d}-{kind}.parquet"


def read_log(folder: Path) -> ChangeLog | None:
    """The folder's change log (``None`` when it holds only a base)."""
    path = folder / CHANGES / MANIFEST
    if not path.is_file():
        return None
    data = orjson.loads(path.read_bytes())
    return ChangeLog(str(data["key"]), int(data["base_rows"]), list(data["generations"]))


def _write_log(folder: Path, log: ChangeLog) -> None:
    """Replace the manifest atomically (write a temporary file, then rename it)."""
    target = folder / CHANGES / MANIFEST
    temporary = target.with_suffix(".tmp")
    temporary.write_bytes(orjson.dumps(log.to_json(), option=orjson.OPT_INDENT_2))
    os.replace(temporary, target)


def live_sql(folder: Path) -> str:
    """A DuckDB query of the live rows of the table in ``folder`` (columns as written).

    A folder without change generations is read as is. Raises nothing itself;
    running the query fails when the folder holds no Parquet base.
    """
    base = f"read_parquet({_literal(folder / '*.parquet')})"
    log = read_log(folder)
    if log is None or not log.generations:
        return f"SELECT * FROM {base}"
    key = log.key
    changes = folder / CHANGES
    numbers = [g["n"] for g in log.generations]

    def later_keys(after: int) -> str:
        files = ", ".join(_literal(changes / file_name(n, "keys")) for n in numbers if n > after)
        return f"(SELECT DISTINCT {KEY} FROM read_parquet([{files}]))"

    parts = [f"SELECT b.* FROM {base} AS b ANTI JOIN {later_keys(0)} AS k ON ({key}) = k.{KEY}"]
    for n in numbers:
        rows = f"read_parquet({_literal(changes / file_name(n, 'rows'))})"
        if n == numbers[-1]:
            parts.append(f"SELECT * FROM {rows}")
        else:
            parts.append(
                f"SELECT r.* FROM {rows} AS r ANTI JOIN {later_keys(n)} AS k ON ({key}) = k.{KEY}"
            )
    return " UNION ALL BY NAME ".join(parts)


def append_changes(
    conn: duckdb.DuckDBPyConnection,
    folder: Path,
    key: str,
    rows_sql: str,
    replaced_sql: str,
    *,
    compact_share: float,
) -> bool:
    """Append one generation to ``folder`` after the rows of some keys of its table changed.

    ``key`` is a DuckDB expression over the table's columns (a quoted column
    name, or a group value). ``rows_sql`` selects the current rows (all the
    table's columns) of every key whose rows may have changed since the last
    write; ``replaced_sql`` selects (one column) the keys that had rows in the
    folder and changed or went since: their older rows stop being read.
    Returns ``False`` without writing when the table should be rewritten
    whole instead: the folder has no base yet, its key column differs, or the
    change files would hold more than ``compact_share`` of the base's rows
    (or :data:`MAX_GENERATIONS` generations).

    Raises:
        duckdb.Error: a query fails.
    """
    if not any(folder.glob("*.parquet")):
        return False
    log = read_log(folder)
    if log is None:
        base = conn.execute(
            f"SELECT count(*) FROM read_parquet({_literal(folder / '*.parquet')})"
        ).fetchone()
        log = ChangeLog(key, int(base[0]) if base else 0)
    if log.key != key or len(log.generations) >= MAX_GENERATIONS:
        return False
    replaced = f"_replaced_keys_{abs(hash(str(folder)))}"
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE {replaced} AS "
        f"SELECT DISTINCT k.* FROM ({replaced_sql}) AS k({KEY})"
    )
    try:
        counted = conn.execute(
            f"SELECT (SELECT count(*) FROM {replaced}), (SELECT count(*) FROM ({rows_sql}))"
        ).fetchone()
        keys, rows = (int(counted[0]), int(counted[1])) if counted else (0, 0)
        if log.change_rows + keys + rows > compact_share * max(log.base_rows, 1):
            return False
        n = (log.generations[-1]["n"] if log.generations else 0) + 1
        changes = folder / CHANGES
        changes.mkdir(exist_ok=True)
        options = "(FORMAT PARQUET, COMPRESSION SNAPPY)"
        conn.execute(
            f"COPY (SELECT {KEY} FROM {replaced}) "
            f"TO {_literal(changes / file_name(n, 'keys'))} {options}"
        )
        conn.execute(f"COPY ({rows_sql}) TO {_literal(changes / file_name(n, 'rows'))} {options}")
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {replaced}")
    log.generations.append({"n": n, "rows": rows, "keys": keys})
    _write_log(folder, log)
    return True
