"""The engine registry and the engines' table-driven SQL differences."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from carehub.errors import Incorrect, Unsupported
from carehub.warehouse.compiler import compile_view
from carehub.warehouse.engines import base
from carehub.warehouse.engines.base import Engine, EngineRegistry, default_registry
from carehub.warehouse.engines.duckdb import DuckDBEngine
from carehub.warehouse.engines.spark import SparkEngine

VIEW = {
    "resource": "Patient",
    "select": [
        {"column": [{"name": "id", "path": "id"}]},
        {
            "forEach": "name",
            "column": [{"name": "i", "path": "%rowIndex"}, {"name": "f", "path": "family"}],
        },
    ],
}


def test_registry_finds_engines_and_suggests_names() -> None:
    registry = default_registry(plugins=False)
    assert isinstance(registry.create("duckdb"), DuckDBEngine)
    with pytest.raises(Incorrect, match="Did you mean 'spark'"):
        registry.get("sprak")


def test_registry_reports_missing_modules() -> None:
    registry = EngineRegistry()
    registry.register("ghost", "carehub.no_such_module:Engine")
    with pytest.raises(Unsupported):
        registry.get("ghost")


def test_engines_come_in_through_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    point = SimpleNamespace(name="custom", value="carehub.warehouse.engines.duckdb:DuckDBEngine")

    def fake_entry_points(group: str) -> list[Any]:
        return [point] if group == base.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(base, "entry_points", fake_entry_points)
    assert isinstance(default_registry().create("custom"), DuckDBEngine)


@pytest.mark.parametrize(
    ("engine", "fragments"),
    [
        (DuckDBEngine(), ["LIST_TRANSFORM", "LAMBDA", "JSON_EXTRACT_STRING", "- 1", "UNNEST"]),
        (SparkEngine(), ["TRANSFORM(", "->", "GET_JSON_OBJECT", "FROM_JSON", "EXPLODE"]),
    ],
)
def test_one_ir_written_per_engine(engine: Engine, fragments: list[str]) -> None:
    sql = engine.sql(compile_view(VIEW), "patients")
    for fragment in fragments:
        assert fragment in sql, sql
