"""Cohorts run as SQL in the warehouse engine: attrition, members, index dates.

The cohort runs on DuckDB here; for Spark the same plan is checked to compile
(Spark SQL that parses), since starting a Spark session costs more than this
suite's time budget.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import sqlglot

from carehub.errors import Incorrect
from carehub.research.cohort import load_cohort, plan_cohort, run_cohort
from carehub.research.cohort.compile import sql_texts
from carehub.research.cohort.run import fetch
from carehub.warehouse.engines.duckdb import DuckDBEngine
from carehub.warehouse.store import Warehouse
from tests.research.cohort.conftest import fixture_data

INDEX = {"type": "condition", "codes": ["E11"]}


def steps(result: Any) -> list[tuple[str, int, int, int]]:
    return [(s.criterion, s.before, s.removed, s.after) for s in result.attrition]


def test_fixture_cohort_attrition_and_members(cohort_warehouse: Warehouse) -> None:
    result = run_cohort(load_cohort(fixture_data()["definition"]), cohort_warehouse)
    # p9 (E10), p10 (before the period) and p11 (entered in error) have no index event
    assert steps(result) == [
        ("index: first condition E11", 9, 0, 9),
        ("adult at index", 9, 2, 7),  # p2 (13), p5 (a day short of 18)
        ("HbA1c >= 6.5 %", 7, 2, 5),  # p3 (6.0 %), p12 (31 days after)
        ("gestational diabetes", 5, 1, 4),  # p6
        ("insulin in the year before", 4, 1, 3),  # p7 (223 days before)
    ]
    assert result.patient_ids() == ["Patient/p1", "Patient/p4", "Patient/p8"]
    rows = fetch(result.engine, f"SELECT patient_id, index_date FROM {result.table}")
    assert dict(rows) == {
        "Patient/p1": datetime.date(2023, 5, 10),  # the first of two E11 records
        "Patient/p4": datetime.date(2023, 7, 19),
        "Patient/p8": datetime.date(2021, 1, 10),
    }
    assert result.size == 3


def run(warehouse: Warehouse, **parts: Any) -> list[str]:
    definition = {"name": "probe", "index": INDEX, **parts}
    return run_cohort(load_cohort(definition), warehouse).patient_ids()


def test_last_occurrence_and_period(cohort_warehouse: Warehouse) -> None:
    index = {**INDEX, "occurrence": "last", "period": {"start": "2023-06-01"}}
    result = run_cohort(load_cohort({"name": "last", "index": index}), cohort_warehouse)
    rows = dict(fetch(result.engine, f"SELECT patient_id, index_date FROM {result.table}"))
    assert rows["Patient/p1"] == datetime.date(2024, 1, 1)
    assert "Patient/p3" not in rows  # its only E11 is in February 2023


def test_other_criteria(cohort_warehouse: Warehouse) -> None:
    assert run(cohort_warehouse, inclusion=[{"type": "sex", "sexes": ["female"]},
                                            {"type": "age", "max": 50}]) == [
        "Patient/p4", "Patient/p5", "Patient/p6"]  # p1 is 53
    assert run(cohort_warehouse, inclusion=[{"type": "encounter", "codes": ["IMP"],
                                             "window": {"start": 0, "end": 0}}]) == ["Patient/p1"]
    assert run(cohort_warehouse, inclusion=[{"type": "procedure", "codes": ["80146002"],
                                             "window": {"start": 0, "end": 7}}]) == ["Patient/p1"]
    # a medication request (not a dispense), matched by ATC prefix
    assert run(cohort_warehouse, inclusion=[{"type": "medication", "codes": ["A10B"]}]) == [
        "Patient/p1"]
    # two HbA1c results needed: nobody has two
    assert run(cohort_warehouse, inclusion=[{"type": "lab", "codes": ["4548-4"],
                                             "min_count": 2}]) == []
    # p4's 53 mmol/mol is 7.0 % in the canonical unit: kept by max 7.05, refused by max 6.95
    assert "Patient/p4" in run(cohort_warehouse, inclusion=[
        {"type": "lab", "codes": ["4548-4"], "value": {"min": 6.95, "max": 7.05}}])
    assert "Patient/p4" not in run(cohort_warehouse, inclusion=[
        {"type": "lab", "codes": ["4548-4"], "value": {"max": 6.95}}])


def test_rerun_replaces_the_tables(cohort_warehouse: Warehouse) -> None:
    assert run(cohort_warehouse, inclusion=[{"type": "sex", "sexes": ["male"]}]) == [
        "Patient/p12", "Patient/p2", "Patient/p3", "Patient/p7", "Patient/p8"]
    assert run(cohort_warehouse, inclusion=[{"type": "sex", "sexes": ["other"]}]) == []


def test_a_missing_warehouse_table_is_a_clear_error() -> None:
    engine = DuckDBEngine()
    try:
        with pytest.raises(Incorrect, match="no conditions, labs, medications_dispensed"):
            run_cohort(load_cohort(fixture_data()["definition"]), engine)
    finally:
        engine.close()


def test_the_plan_is_one_tree_written_for_each_engine() -> None:
    plan = plan_cohort(load_cohort(fixture_data()["definition"]))
    for dialect in ("duckdb", "spark"):
        texts = dict(sql_texts(plan, dialect))
        assert set(texts) == {"cohort_t2dm_adults_index", "cohort_t2dm_adults_criteria",
                              "cohort_t2dm_adults", "attrition"}
        for text in texts.values():
            sqlglot.parse_one(text, read=dialect)  # each engine's text parses in its dialect
    spark = dict(sql_texts(plan, "spark"))["cohort_t2dm_adults_criteria"]
    duck = dict(sql_texts(plan, "duckdb"))["cohort_t2dm_adults_criteria"]
    assert "DATEDIFF(" in spark and "DATE_DIFF('DAY'" in duck
