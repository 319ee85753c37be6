"""``build`` and ``refresh``: views and marts land in DuckDB and Parquet; refresh equals rebuild.

The input is ``tests/fixtures/warehouse/extra.ndjson`` (the resources of the
view golden files). The Spark build must produce the same tables as the
DuckDB build; a refresh after updates, a creation and a deletion in the FHIR
store must leave the same tables as a full build from scratch.
"""

from __future__ import annotations

import datetime
import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from carehub.app.warehouse_source import StoreSource
from carehub.errors import Conflict
from carehub.storage.sqlite import SqliteStore
from carehub.warehouse.build import KEY_COLUMN, build, plan_build
from carehub.warehouse.engines.base import Engine
from carehub.warehouse.refresh import refresh, stale_views
from carehub.warehouse.sources import MemorySource, NdjsonSource
from carehub.warehouse.store import Warehouse
from carehub.warehouse.views import load_view
from tests.warehouse.conftest import EXTRA, fresh

AS_OF = datetime.date(2024, 1, 4)


def table_rows(warehouse: Warehouse, name: str) -> list[tuple[Any, ...]]:
    rows = warehouse.connection.execute(f'SELECT * FROM "{name}"').fetchall()
    return sorted(rows, key=lambda r: json.dumps(r, default=str))


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    return {name: table_rows(warehouse, name) for name in warehouse.tables()}


@pytest.fixture
def duck_build(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "w.duckdb", tmp_path / "parquet")
    build(plan_build(), NdjsonSource([EXTRA]), warehouse.engine, warehouse, as_of=AS_OF)
    return warehouse


def test_build_makes_every_table_with_bookkeeping(duck_build: Warehouse, tmp_path: Path) -> None:
    tables = duck_build.tables()
    views = {p.name for p in plan_build().views}
    assert views | {"labs", "daily_census", "screening_facts", "ref_lab_units"} == set(tables)
    assert tables["patients"].rows == 2 and tables["patients"].resource_type == "Patient"
    assert tables["vitals"].rows == 3
    assert duck_build.state("watermark")
    for name in tables:
        assert list((tmp_path / "parquet" / name).glob("*.parquet")), name
    parquet = duck_build.connection.execute(
        f"SELECT count(*) FROM read_parquet('{tmp_path}/parquet/encounters/*.parquet')"
    ).fetchone()
    assert parquet == (3,)
    keys = duck_build.connection.execute(f'SELECT "{KEY_COLUMN}" FROM patients').fetchall()
    assert sorted(keys) == [("p1",), ("p2",)]


def test_labs_mart_converts_to_one_unit_per_loinc_code(duck_build: Warehouse) -> None:
    rows = duck_build.connection.execute(
        "SELECT loinc_code, value, unit, normalized, reported_value, reported_unit, "
        "reference_high FROM labs ORDER BY loinc_code"
    ).fetchall()
    creatinine, glucose, hbsag = rows
    assert creatinine[0] == "14682-9" and creatinine[2] == "umol/L" and creatinine[3] is True
    assert creatinine[1] == pytest.approx(1.2 * 88.4) and creatinine[6] == pytest.approx(1.1 * 88.4)
    assert creatinine[4:6] == (1.2, "mg/dL")
    assert glucose[1:4] == (5.5, "mmol/L", True)
    assert hbsag[0] == "5196-1" and hbsag[1] is None and hbsag[3] is False


def test_daily_census_counts_inpatients_per_day(duck_build: Warehouse) -> None:
    rows = duck_build.connection.execute(
        "SELECT CAST(census_date AS VARCHAR), department_code, inpatients, admissions, discharges "
        "FROM daily_census ORDER BY census_date"
    ).fetchall()
    # e1 stays 2024-01-01..03 (discharged), e2 from 2024-01-02, in progress until AS_OF
    assert rows == [
        ("2024-01-01", "cardio", 1, 1, 0),
        ("2024-01-02", "cardio", 2, 1, 0),
        ("2024-01-03", "cardio", 2, 0, 1),
        ("2024-01-04", "cardio", 1, 0, 0),
    ]


@pytest.mark.spark
def test_spark_build_makes_the_same_tables(
    duck_build: Warehouse, spark_engine: Engine, tmp_path: Path
) -> None:
    warehouse = Warehouse(tmp_path / "spark.duckdb", tmp_path / "spark-parquet")
    report = build(plan_build(), NdjsonSource([EXTRA]), spark_engine, warehouse, as_of=AS_OF)
    assert report.engine == "spark"
    assert list((tmp_path / "spark-parquet" / "patients").glob("*.parquet"))
    ours, theirs = snapshot(duck_build), snapshot(warehouse)
    assert set(ours) == set(theirs)
    for name in ours:
        assert len(ours[name]) == len(theirs[name]), name
        for a, b in zip(ours[name], theirs[name], strict=True):
            assert a == pytest.approx(b) if name == "labs" else a == b, name


@pytest.mark.parametrize("workers", [1, 3], ids=["one-type-at-a-time", "types-in-parallel"])
def test_refresh_applies_updates_creations_and_deletions(
    tmp_path: Path, fhir_store: SqliteStore, workers: int
) -> None:
    store = fhir_store
    warehouse = Warehouse(tmp_path / "w.duckdb", tmp_path / "parquet", refresh_workers=workers)
    plan = plan_build()
    build(plan, StoreSource(store), warehouse.engine, warehouse, as_of=AS_OF)
    before = snapshot(warehouse)
    with store.session(write=True) as session:
        encounter = fresh(json.loads(session.read("Encounter", "e2").body or "{}"))
        encounter["status"] = "finished"
        encounter["period"]["end"] = "2024-01-03T08:00:00+07:00"
        session.put(encounter)
        session.delete("Condition", "c2")
        session.put({"resourceType": "Patient", "id": "p3", "gender": "other"})
    result = refresh(plan, StoreSource(store), warehouse, as_of=AS_OF)
    assert result.changed["Encounter"] == 1 and result.changed["Patient"] == 1
    assert result.deleted["Condition"] == 1
    assert set(result.updated) == {"encounters", "conditions", "patients"}
    assert result.rebuilt == [] and set(result.marts) == {"daily_census", "screening_facts"}
    after = snapshot(warehouse)
    assert after["procedures"] == before["procedures"]
    scratch = Warehouse(tmp_path / "fresh.duckdb", None)
    build(plan, StoreSource(store), scratch.engine, scratch, as_of=AS_OF)
    assert after == snapshot(scratch)
    again = refresh(plan, StoreSource(store), warehouse, as_of=AS_OF)
    assert sum(again.changed.values()) == 0 and again.updated == []


def test_refresh_needs_a_build(tmp_path: Path) -> None:
    with pytest.raises(Conflict):
        refresh(plan_build(), MemorySource(), Warehouse(tmp_path / "w.duckdb"))


def test_changed_definitions_are_rebuilt(duck_build: Warehouse) -> None:
    view = dict(load_view("patients").raw)
    view["description"] = "changed"
    from carehub.warehouse.viewdef.model import parse_view

    plan = plan_build([parse_view(view), load_view("procedures")])
    assert stale_views(plan, duck_build.tables()) == {"patients"}
    result = refresh(plan, NdjsonSource([EXTRA]), duck_build, as_of=AS_OF)
    assert result.rebuilt == ["patients"]
    assert duck_build.tables()["patients"].definition_hash == plan.views[0].hash


def test_refresh_recomputes_the_screening_facts_of_changed_patients_only(
    tmp_path: Path, fhir_store: SqliteStore
) -> None:
    store = fhir_store
    with store.session(write=True) as session:
        # the same vital sign for a patient nothing changes for
        vital = fresh(json.loads(session.read("Observation", "v2").body or "{}"))
        session.put({**vital, "id": "v5", "subject": {"reference": "Patient/p5"}})
    warehouse = Warehouse(tmp_path / "w.duckdb", tmp_path / "parquet", compact_share=100)
    plan = plan_build()
    build(plan, StoreSource(store), warehouse.engine, warehouse, as_of=AS_OF)
    conn = warehouse.connection
    marker = "UPDATE screening_facts SET text = ? WHERE patient_id = 'Patient/p5'"
    conn.execute(marker, ["not recomputed"])
    with store.session(write=True) as session:
        moved = fresh(json.loads(session.read("Observation", "o3").body or "{}"))
        moved["subject"] = {"reference": "Patient/p1"}  # p2 loses it, p1 gains it
        session.put(moved)
        value = fresh(json.loads(session.read("Observation", "o1").body or "{}"))
        value["valueQuantity"]["value"] = 2.4
        session.put(value)
        session.delete("Observation", "o2")
    result = refresh(plan, StoreSource(store), warehouse, as_of=AS_OF)
    assert result.parquet["screening_facts"] == "appended", "updated by patient, in place"
    facts = conn.execute(
        "SELECT patient_id, ref, value FROM screening_facts WHERE kind = 'lab' ORDER BY ref"
    ).fetchall()
    assert [(p, r) for p, r, _ in facts] == [
        ("Patient/p1", "Observation/o1"),
        ("Patient/p1", "Observation/o3"),
    ]
    assert facts[0][2] == pytest.approx(2.4 * 88.4)
    kept = conn.execute("SELECT text FROM screening_facts WHERE patient_id = 'Patient/p5'")
    assert kept.fetchall() == [("not recomputed",)]
    conn.execute(marker, [None])
    scratch = Warehouse(tmp_path / "fresh.duckdb", None)
    build(plan, StoreSource(store), scratch.engine, scratch, as_of=AS_OF)
    assert snapshot(warehouse) == snapshot(scratch)


def test_a_failed_refresh_keeps_the_watermark_and_the_next_one_catches_up(
    tmp_path: Path, fhir_store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = fhir_store
    warehouse = Warehouse(tmp_path / "w.duckdb", tmp_path / "parquet")
    plan = plan_build()
    build(plan, StoreSource(store), warehouse.engine, warehouse, as_of=AS_OF)
    conn = warehouse.connection
    threshold = conn.execute("SELECT current_setting('checkpoint_threshold')").fetchone()
    watermark = warehouse.state("watermark")
    with store.session(write=True) as session:
        session.put({"resourceType": "Patient", "id": "p3", "gender": "other"})
        session.delete("Condition", "c2")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    module = importlib.import_module("carehub.warehouse.refresh")
    monkeypatch.setattr(module, "_refresh_mart", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        refresh(plan, StoreSource(store), warehouse, as_of=AS_OF)
    # the views changed, but the refresh did not finish: it is not recorded as done
    assert warehouse.state("watermark") == watermark
    after = conn.execute("SELECT current_setting('checkpoint_threshold')").fetchone()
    assert after == threshold, "automatic checkpoints are held back only during a refresh"
    scratch_left = "SELECT count(*) FROM duckdb_schemas() WHERE schema_name = '_carehub_refresh'"
    assert conn.execute(scratch_left).fetchone() == (0,)
    monkeypatch.undo()
    result = refresh(plan, StoreSource(store), warehouse, as_of=AS_OF)
    assert result.changed["Patient"] == 1 and result.deleted["Condition"] == 1
    scratch = Warehouse(tmp_path / "fresh.duckdb", None)
    build(plan, StoreSource(store), scratch.engine, scratch, as_of=AS_OF)
    assert snapshot(warehouse) == snapshot(scratch)
    assert warehouse.tables()["patients"].rows == scratch.tables()["patients"].rows
