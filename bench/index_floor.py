"""The raw floor with CareHub's search-index rows: a ceiling on ``import / floor``.

The import and transaction benchmarks compare CareHub against the *raw floor*:
orjson-parse every line and insert the bare JSON into one SQLite table, in one
transaction. CareHub must also write the search-index rows of every resource
at write time (one row per indexed value, about 12–13 per Synthea resource,
in one table per parameter type). This measures, in the same way and on the
same lines, the least that costs on this SQLite:

* the rows are extracted *before* the clock starts (extraction, validation,
  versions, ``resources`` rows and every B-tree index are left out: they are
  charged nothing);
* timed: the raw floor's work (parse, insert the bare JSON) **plus** inserting
  each resource's index rows into seven tables of CareHub's column layout
  that carry no index at all, every ``batch`` lines one ``executemany`` per
  table (as ``carehub import`` sends them), in one transaction.

``floor / index floor`` is then the highest ``import / floor`` ratio any
importer that keeps write-time index tables could reach here. When it is
below a target, no code on this design reaches the target.

Usage (the shared sample, or any NDJSON files)::

    python bench/index_floor.py [FILE.ndjson ...] [--repeat 3]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from carehub.fhir_model.search_index import extract  # noqa: E402
from carehub.storage.sql.schema import INDEX_TABLES, ROW_TABLES  # noqa: E402


def _connect(path: Path) -> sqlite3.Connection:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _drop(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def raw_floor(groups: Iterable[Iterable[bytes]], path: Path) -> dict[str, float]:
    """Parse every line and insert ``(type, id, body)`` into one table, one transaction.

    ``groups``: the lines, one ``executemany`` per group (e.g. per file); they
    are read inside the clock, as an import reads its input.
    """
    conn = _connect(path)
    conn.execute("CREATE TABLE raw (type TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL)")
    count = 0
    started = time.perf_counter()
    conn.execute("BEGIN")
    for group in groups:
        rows = []
        for line in group:
            res = orjson.loads(line)
            rows.append((res["resourceType"], res["id"], line))
        conn.executemany("INSERT INTO raw VALUES (?, ?, ?)", rows)
        count += len(rows)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    _drop(path)
    return {"resources": count, "seconds": seconds, "per_s": count / seconds}


def index_rows(
    lines: Sequence[bytes], first_rid: int = 1
) -> list[dict[str, list[tuple[Any, ...]]]]:
    """Each line's search-index rows per table, as CareHub stores them (untimed)."""
    out = []
    for rid, line in enumerate(lines, start=first_rid):
        resource = orjson.loads(line)
        rows = extract(resource)
        rtype = resource["resourceType"]
        out.append(
            {
                table: [(rid, rtype, *item) for item in getattr(rows, attr)]
                for attr, table in ROW_TABLES.items()
                if getattr(rows, attr)
            }
        )
    return out


def index_floor(
    lines: Iterable[bytes],
    rows: Sequence[dict[str, list[tuple[Any, ...]]]] | None,
    path: Path,
    batch: int = 1000,
) -> dict[str, float]:
    """The raw floor plus inserting each line's index rows into bare tables.

    ``rows``: from :func:`index_rows`; ``None`` extracts them batch by batch
    with the clock stopped (bounded memory for large inputs).
    """
    conn = _connect(path)
    conn.execute("CREATE TABLE raw (type TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL)")
    inserts = {}
    for table, columns in INDEX_TABLES.items():
        names = ["rid", "type", "param", *(c for c, _ in columns)]
        conn.execute(f"CREATE TABLE {table} ({', '.join(names)})")
        inserts[table] = f"INSERT INTO {table} VALUES ({', '.join('?' for _ in names)})"
    count = resources = 0
    seconds = 0.0
    conn.execute("BEGIN")
    source = iter(lines)
    while chunk := list(itertools.islice(source, batch)):
        start = resources
        resources += len(chunk)
        if rows is None:
            per_chunk = index_rows(chunk, first_rid=start + 1)
        else:
            per_chunk = list(rows[start : start + batch])
        count += sum(len(r) for per_line in per_chunk for r in per_line.values())
        started = time.perf_counter()
        raw = []
        pending: dict[str, list[tuple[Any, ...]]] = {}
        for line, per_line in zip(chunk, per_chunk, strict=True):
            res = orjson.loads(line)
            raw.append((res["resourceType"], res["id"], line))
            for table, items in per_line.items():
                pending.setdefault(table, []).extend(items)
        conn.executemany("INSERT INTO raw VALUES (?, ?, ?)", raw)
        for table, items in pending.items():
            conn.executemany(inserts[table], items)
        seconds += time.perf_counter() - started
    started = time.perf_counter()
    conn.execute("COMMIT")
    seconds += time.perf_counter() - started
    conn.close()
    _drop(path)
    return {
        "resources": resources,
        "seconds": seconds,
        "per_s": resources / seconds,
        "index_rows": count,
        "index_rows_per_resource": count / resources if resources else 0.0,
    }


def ceiling(lines: Sequence[bytes], workdir: Path, repeat: int = 3) -> dict[str, Any]:
    """Floor and index floor alternated ``repeat`` times; medians and their ratio."""
    rows = index_rows(lines)
    floors, indexed = [], []
    for _ in range(repeat):
        floors.append(raw_floor([lines], workdir / "raw-floor.sqlite3"))
        indexed.append(index_floor(lines, rows, workdir / "index-floor.sqlite3"))
    floor = statistics.median(f["per_s"] for f in floors)
    with_index = statistics.median(f["per_s"] for f in indexed)
    return {
        "floor_per_s": floor,
        "index_floor_per_s": with_index,
        "index_rows_per_resource": indexed[0]["index_rows_per_resource"],
        "ceiling": with_index / floor,
        "index_us_per_row": (1 / with_index - 1 / floor)
        * 1e6
        / indexed[0]["index_rows_per_resource"],
    }


def main(argv: list[str] | None = None) -> int:
    """Print the floor, the floor with index rows, and the ceiling on ``import / floor``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp"))
    args = parser.parse_args(argv)
    files = args.files
    if not files:
        shared = Path(os.environ.get("CAREHUB_SHARED", REPO.parent / "shared"))
        folder = shared / "fhir-samples" / "bulk-10-patients"
        files = sorted(p for p in folder.glob("*.ndjson") if p.name != "log.ndjson")
    lines = [ln for f in files for ln in f.read_bytes().splitlines() if ln.strip()]
    if not lines:
        raise SystemExit("no NDJSON lines found (pass files or set CAREHUB_SHARED)")
    result = ceiling(lines, args.workdir, args.repeat)
    print(f"{len(lines):,} resources, {result['index_rows_per_resource']:.1f} index rows each")
    print(f"raw floor                  {result['floor_per_s']:>10,.0f} resources/s")
    print(
        f"raw floor + index rows     {result['index_floor_per_s']:>10,.0f} resources/s "
        f"({result['index_us_per_row']:.2f} µs per index row)"
    )
    print(f"ceiling on import / floor  {result['ceiling']:>10.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
