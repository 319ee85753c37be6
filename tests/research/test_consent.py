"""Research opt-outs: the warehouse's consents view agrees with the FHIR store's rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from carehub.errors import Incorrect
from carehub.research.consent import (
    create_research_views,
    opt_out_patient_ids,
    research_view_sql,
)
from carehub.storage.sqlite import SqliteStore
from carehub.warehouse.store import Warehouse
from tests.research.conftest import ResearchPopulation


def test_warehouse_and_store_agree_on_opt_outs(research_population: ResearchPopulation) -> None:
    warehouse = research_population.warehouse()
    store = SqliteStore(research_population.data_dir / "fhir.sqlite3")
    try:
        from_warehouse = opt_out_patient_ids(warehouse)
        from_store = opt_out_patient_ids(store=store)
    finally:
        store.close()
        warehouse.close()
    assert from_warehouse == from_store == set(research_population.opted_out)


def test_without_a_consents_view_the_store_is_needed(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "w.duckdb")
    try:
        with pytest.raises(Incorrect, match="no 'consents' view"):
            opt_out_patient_ids(warehouse)
        warehouse.connection.execute("CREATE TABLE patients AS SELECT 'Patient/a' AS patient_id "
                                     "UNION ALL SELECT 'Patient/b'")
        assert create_research_views(warehouse, extra=["b"]) == ["research_patients"]
        rows = warehouse.connection.execute("SELECT patient_id FROM research_patients").fetchall()
        assert rows == [("Patient/a",)]
        with pytest.raises(Incorrect, match="no view 'labs'"):
            create_research_views(warehouse, ["labs"])
    finally:
        warehouse.close()


def test_research_view_sql_excludes_opt_outs() -> None:
    assert "NOT IN (SELECT patient_id FROM" in research_view_sql("encounters")
