"""Fixtures for the warehouse tests: one engine of each kind per test session.

* ``duckdb_engine``: an in-memory DuckDB engine.
* ``spark_engine``: one local Spark session (``local[2]``, 2 shuffle
  partitions, no UI, loopback only) shared by every test marked ``spark``;
  skipped when pyspark or Java is missing.
* ``engine``: either, by the name in ``request.param`` (for parametrised tests).
* ``suite_dir``: the SQL-on-FHIR v2 test folder in the shared data.
* ``fhir_store``: a SQLite FHIR store holding the resources of
  ``tests/fixtures/warehouse/extra.ndjson`` (stored afresh, without their ``meta``).
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carehub.storage.sqlite import SqliteStore
from carehub.warehouse.conformance import SUITE_PATH
from carehub.warehouse.engines.base import Engine
from carehub.warehouse.engines.duckdb import DuckDBEngine


def engine_params() -> list[Any]:
    """Engine names to parametrise over; Spark tests carry the ``spark`` marker.

    A function, not a constant: the marker exists only once this conftest's
    ``pytest_configure`` has registered it.
    """
    return ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "spark: uses the shared local Spark session (needs pyspark and Java)"
    )


@pytest.fixture(scope="session")
def duckdb_engine() -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(threads=2)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[Engine]:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("the Spark engine needs Java")
    from carehub.warehouse.engines.spark import SparkEngine

    engine = SparkEngine("local[2]", shuffle_partitions=2)
    yield engine
    engine.session.stop()


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> Engine:
    name: str = request.param
    fixture: Engine = request.getfixturevalue(f"{name}_engine")
    return fixture


@pytest.fixture(scope="session")
def suite_dir(shared_dir: Path) -> Path:
    path = shared_dir / SUITE_PATH
    if not path.is_dir():
        pytest.skip(f"SQL-on-FHIR test suite not found at {path}")
    return path


EXTRA = Path(__file__).resolve().parents[1] / "fixtures" / "warehouse" / "extra.ndjson"


def fixture_resources() -> list[dict[str, Any]]:
    """The resources of ``extra.ndjson``."""
    return [json.loads(line) for line in EXTRA.read_text(encoding="utf-8").splitlines() if line]


def fresh(resource: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``resource`` without ``meta`` (the store stamps its own)."""
    changed = copy.deepcopy(resource)
    changed.pop("meta", None)
    return changed


@pytest.fixture
def fhir_store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "fhir.sqlite3")
    try:
        with store.session(write=True) as session:
            for resource in fixture_resources():
                session.put(fresh(resource))
        yield store
    finally:
        store.close()
