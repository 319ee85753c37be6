"""Run one ViewDefinition over a set of resources and render the rows (``$run``).

https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/OperationDefinition-ViewDefinitionRun.html

:func:`run_view` loads the resources into an in-memory DuckDB engine, runs
the compiled view (optionally limited) and renders the rows as JSON (an
array of objects), NDJSON, CSV (collection values as JSON text) or Parquet.
:func:`output_format` picks the format from ``_format`` or ``Accept``.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from carehub.errors import Incorrect
from carehub.warehouse.compiler import DEFAULT_REPEAT_DEPTH, compile_view
from carehub.warehouse.engines.duckdb import DuckDBEngine
from carehub.warehouse.viewdef.model import ViewDefinition

MEDIA_TYPES = {
    "json": "application/json",
    "ndjson": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}
"""Each output format and the media type it is sent as."""

ACCEPTED = {
    "json": "json",
    "application/json": "json",
    "application/fhir+json": "json",
    "ndjson": "ndjson",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/fhir+ndjson": "ndjson",
    "csv": "csv",
    "text/csv": "csv",
    "parquet": "parquet",
    "application/vnd.apache.parquet": "parquet",
    "application/parquet": "parquet",
    "application/octet-stream": "parquet",
}
"""``_format`` values and ``Accept`` media types, and the format each asks for."""


def output_format(requested: str | None, accept: str | None = None) -> str:
    """The output format: ``_format`` if given, else the first known ``Accept`` type, else JSON.

    Raises:
        Incorrect: ``_format`` names no supported format.

    >>> output_format(None, "text/csv, */*"), output_format("ndjson"), output_format(None)
    ('csv', 'ndjson', 'json')
    """
    if requested:
        chosen = ACCEPTED.get(requested.strip().lower())
        if chosen is None:
            raise Incorrect(
                f"format '{requested}' is not supported; use json, ndjson, csv or parquet",
                issue_code="not-supported",
                expression="_format",
            )
        return chosen
    for part in (accept or "").split(","):
        chosen = ACCEPTED.get(part.split(";")[0].strip().lower())
        if chosen is not None:
            return chosen
    return "json"


@dataclass(frozen=True, slots=True)
class RunResult:
    """The rendered rows of a ``$run``."""

    body: bytes
    media_type: str
    rows: int


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return str(value)


def render(columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str, header: bool) -> bytes:
    """Rows as JSON, NDJSON or CSV bytes.

    >>> render(["a", "b"], [(1, [2, 3])], "csv", True)
    b'a,b\\r\\n1,"[2,3]"\\r\\n'
    >>> render(["a"], [(True,)], "ndjson", True)
    b'{"a":true}\\n'
    """
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    if fmt == "json":
        return orjson.dumps(records)
    if fmt == "ndjson":
        return b"".join(orjson.dumps(r) + b"\n" for r in records)
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(v) for v in record.values()])
    return out.getvalue().encode()


def run_view(
    view: ViewDefinition | dict[str, Any],
    ndjson: Sequence[str | Path],
    fmt: str,
    *,
    limit: int | None = None,
    header: bool = True,
    repeat_depth: int = DEFAULT_REPEAT_DEPTH,
) -> RunResult:
    """Run ``view`` over the resources in ``ndjson`` files and render the rows as ``fmt``.

    Raises:
        Incorrect: the view is invalid, or it fails on the data.
    """
    compiled = compile_view(view, repeat_depth=repeat_depth)
    if limit is not None and limit < 0:
        raise Incorrect("_limit must not be negative", expression="_limit")
    engine = DuckDBEngine()
    try:
        engine.load_ndjson("run_source", [str(p) for p in ndjson], compiled.resource)
        sql = engine.sql(compiled, "run_source")
        if limit is not None:
            sql = f"SELECT * FROM ({sql}) LIMIT {int(limit)}"
        count = engine.create_table("run_rows", sql)
        if fmt == "parquet":
            with tempfile.TemporaryDirectory(prefix="carehub-run-") as tmp:
                path = Path(tmp) / "rows.parquet"
                engine.connection.execute(f"COPY run_rows TO '{path.as_posix()}' (FORMAT PARQUET)")
                return RunResult(path.read_bytes(), MEDIA_TYPES[fmt], count)
        cursor = engine.connection.execute("SELECT * FROM run_rows")
        columns = [d[0] for d in cursor.description or ()]
        rows = cursor.fetchall()
        return RunResult(render(columns, rows, fmt, header), MEDIA_TYPES[fmt], len(rows))
    finally:
        engine.close()
