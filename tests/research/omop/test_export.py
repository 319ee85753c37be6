"""The OMOP CDM export: tables, source values, concept ids only from the concept map."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from carehub.errors import Incorrect
from carehub.research.omop import CDM_NAMES, export_omop, omop_views, read_concept_map
from carehub.warehouse.compiler import compile_view
from carehub.warehouse.sources import MemorySource
from tests.research.cohort.conftest import fixture_data

CONCEPT_MAP = Path(__file__).resolve().parents[2] / "fixtures" / "research" / "omop_concept_map.csv"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("omop")
    report = export_omop(MemorySource(fixture_data()["resources"]), out, concept_map=CONCEPT_MAP)
    assert report.concepts == 8  # the repeated E11.9 line counts once
    assert set(report.rows) == set(CDM_NAMES)
    return out


def query(out: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(out / "omop.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_every_table_is_written_as_parquet_and_csv(exported: Path) -> None:
    for name in CDM_NAMES:
        rows = query(exported, f"SELECT count(*) FROM {name}")[0][0]
        parquet = str(exported / f"{name}.parquet")
        assert query(exported, f"SELECT count(*) FROM read_parquet('{parquet}')")[0][0] == rows
        with (exported / f"{name}.csv").open() as handle:
            assert sum(1 for _ in csv.reader(handle)) == rows + 1
    assert query(exported, "SELECT count(*) FROM person")[0][0] == 12


def test_person_and_concepts_from_the_map(exported: Path) -> None:
    rows = query(exported, "SELECT person_source_value, gender_concept_id, year_of_birth, "
                 "month_of_birth, day_of_birth, race_concept_id FROM person ORDER BY 1")
    assert rows[0] == ("Patient/p1", 8532, 1970, 3, 15, 0)
    conditions = query(exported, "SELECT condition_source_value, condition_concept_id, "
                       "count(*) FROM condition_occurrence GROUP BY 1, 2 ORDER BY 1")
    # E11.9 is mapped, the others are not; p11's E11.9 entered in error is left out
    assert conditions == [("E10.9", 0, 1), ("E11.65", 0, 1), ("E11.9", 201826, 10),
                          ("O24.1", 0, 1)]


def test_measurements_visits_drugs_procedures(exported: Path) -> None:
    labs = query(exported, "SELECT p.person_source_value, m.measurement_concept_id, "
                 "m.value_as_number, m.unit_source_value, m.unit_concept_id, m.measurement_date "
                 "FROM measurement m JOIN person p USING (person_id) "
                 "WHERE p.person_source_value IN ('Patient/p1', 'Patient/p4') ORDER BY 1")
    assert labs == [("Patient/p1", 3004410, 7.2, "%", 8554, datetime.date(2023, 4, 30)),
                    ("Patient/p4", 3004410, 53.0, "mmol/mol", 0, datetime.date(2023, 8, 15))]
    visit = query(exported, "SELECT visit_concept_id, visit_source_value, visit_start_date, "
                  "visit_end_date FROM visit_occurrence")
    assert visit == [(9201, "IMP", datetime.date(2023, 5, 10), datetime.date(2023, 5, 14))]
    drugs = query(exported, "SELECT drug_source_value, drug_concept_id, "
                  "drug_exposure_start_date = drug_exposure_end_date FROM drug_exposure "
                  "ORDER BY 1")
    assert drugs == [("A10AB01", 1596977, True), ("A10AB01", 1596977, True),
                     ("A10BA02", 0, True)]
    assert query(exported, "SELECT procedure_source_value, procedure_concept_id "
                 "FROM procedure_occurrence") == [("80146002", 4217878)]


def test_observation_period_spans_every_record(exported: Path) -> None:
    rows = query(exported, "SELECT observation_period_start_date, observation_period_end_date "
                 "FROM observation_period o JOIN person p USING (person_id) "
                 "WHERE p.person_source_value = 'Patient/p1'")
    assert rows == [(datetime.date(2023, 4, 30), datetime.date(2024, 1, 1))]


def test_without_a_map_every_concept_id_is_zero(tmp_path: Path) -> None:
    export_omop(MemorySource(fixture_data()["resources"]), tmp_path)
    total = query(tmp_path, "SELECT sum(gender_concept_id) FROM person")[0][0]
    total += query(tmp_path, "SELECT sum(condition_concept_id) FROM condition_occurrence")[0][0]
    total += query(tmp_path, "SELECT sum(measurement_concept_id + unit_concept_id) "
                   "FROM measurement")[0][0]
    assert total == 0


def test_the_source_views_compile_with_the_warehouse_compiler() -> None:
    names = [compile_view(v).name for v in omop_views()]
    assert names == sorted(names) and len(names) == 7


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("vocabulary,code,concept\nICD10,E11,1\n", "the header must be"),
        ("source_vocabulary,source_code,concept_id\nICD10,E11,x\n", ":2: concept_id 'x'"),
        ("source_vocabulary,source_code,concept_id\nICD10,E11,1\nICD10,E11,2\n",
         ":3: ICD10 E11 is mapped to both 1 and 2"),
        ("source_vocabulary,source_code,concept_id\nICD10,E11\n", ":2: expected 3 columns"),
    ],
)
def test_malformed_concept_maps(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "map.csv"
    path.write_text(text)
    with pytest.raises(Incorrect, match=message):
        read_concept_map(path)
    out = tmp_path / "out"
    with pytest.raises(Incorrect):
        export_omop(MemorySource([]), out, concept_map=path)
    assert not out.exists()  # nothing written before the map is checked
