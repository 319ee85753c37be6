"""CareHub's standard views: golden rows on both engines, and DuckDB against Spark on real data.

Each ``carehub/warehouse/views/<name>.json`` has a golden file
``tests/fixtures/views/<name>.json`` in the SQL-on-FHIR test format (resources
and expected rows, ``view`` read from the package). The same views are then
run on the shared Bulk Data sample on DuckDB and on Spark, and the two
results must agree row for row.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from carehub.warehouse.compiler import compile_view
from carehub.warehouse.conformance import Case, check
from carehub.warehouse.engines.base import Engine
from carehub.warehouse.views import load_view, view_names
from tests.warehouse.conftest import engine_params

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "views"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def test_every_view_has_a_golden_file() -> None:
    assert sorted(p.stem for p in FIXTURES.glob("*.json")) == view_names()


@pytest.mark.parametrize("engine", engine_params(), indirect=True)
@pytest.mark.parametrize("name", view_names())
def test_view_golden_rows(engine: Engine, name: str) -> None:
    golden = fixture(name)
    compiled = compile_view(dict(load_view(name).raw))
    table = f"golden_{name}"
    engine.load(table, golden["resources"])
    result = engine.run(compiled, table)
    for test in golden["tests"]:
        case = Case(
            name, test["title"], None, test["expect"], expect_columns=test.get("expectColumns")
        )
        passed, message = check(case, result)
        assert passed, message


def _sorted_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    def norm(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 9) if math.isfinite(value) else repr(value)
        if isinstance(value, list | tuple):
            return tuple(norm(v) for v in value)
        return value

    normalized = [tuple(norm(v) for v in row) for row in rows]
    return sorted(normalized, key=lambda r: json.dumps(r, default=str))


_LOADED: set[int] = set()


@pytest.fixture(scope="module")
def sample_files(shared_dir: Path) -> list[str]:
    folder = shared_dir / "fhir-samples" / "bulk-10-patients"
    files = sorted(str(p) for p in folder.glob("*.ndjson") if p.name != "log.ndjson")
    if not files:
        pytest.skip(f"no sample NDJSON in {folder}")
    extra = FIXTURES.parent / "warehouse" / "extra.ndjson"
    return [*files, str(extra)]


@pytest.mark.spark
@pytest.mark.parametrize("name", view_names())
def test_duckdb_and_spark_agree_on_sample_data(
    name: str, sample_files: list[str], duckdb_engine: Engine, spark_engine: Engine
) -> None:
    compiled = compile_view(dict(load_view(name).raw), key_column="_resource_id")
    results = []
    for engine in (duckdb_engine, spark_engine):
        if id(engine) not in _LOADED:
            engine.load_ndjson("sample_resources", sample_files)
            _LOADED.add(id(engine))
        results.append(engine.run(compiled, "sample_resources"))
    duck, spark = results
    assert duck.columns == spark.columns
    assert len(duck.rows) == len(spark.rows)
    assert _sorted_rows(duck.rows) == _sorted_rows(spark.rows)
