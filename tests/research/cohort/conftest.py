"""Fixtures of the cohort tests: a warehouse built from the hand-made population.

``tests/fixtures/research/cohort.json`` holds a small population in which
each patient is planted to pass or fail one criterion of the definition it
also holds; ``cohort_warehouse`` is that population built through the
standard views and marts into a DuckDB warehouse (once per module).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from carehub.warehouse.build import build, plan_build
from carehub.warehouse.sources import MemorySource
from carehub.warehouse.store import Warehouse

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "research" / "cohort.json"


def fixture_data() -> dict[str, Any]:
    """The fixture file's content."""
    data: dict[str, Any] = orjson.loads(FIXTURE.read_bytes())
    return data


@pytest.fixture(scope="package")
def cohort_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The fixture population in a DuckDB warehouse (with Parquet for other engines)."""
    folder = tmp_path_factory.mktemp("cohort-warehouse")
    warehouse = Warehouse(folder / "w.duckdb", folder / "parquet", threads=2)
    build(
        plan_build(),
        MemorySource(fixture_data()["resources"]),
        warehouse.engine,
        warehouse,
        as_of=datetime.date(2026, 1, 1),
    )
    yield warehouse
    warehouse.close()
