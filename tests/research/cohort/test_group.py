"""A cohort stored as a FHIR Group is what Bulk ``Group/[id]/$export`` exports."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from carehub.app.wiring import build_app
from carehub.errors import Incorrect
from carehub.research.cohort import load_cohort, run_cohort, store_group, to_group
from carehub.research.cohort.group import group_resource
from carehub.settings import load_settings
from carehub.storage.sqlite import SqliteStore
from carehub.warehouse.store import Warehouse
from tests.bulk.conftest import download_all, finish, kick_off
from tests.research.cohort.conftest import fixture_data


def test_group_of_the_cohort(cohort_warehouse: Warehouse) -> None:
    result = run_cohort(load_cohort(fixture_data()["definition"]), cohort_warehouse)
    group = to_group(result, "T2DM study 2026")
    assert group["type"] == "person" and group["actual"] is True
    assert group["name"] == "T2DM study 2026" and group["quantity"] == 3
    assert group["identifier"] == [{"system": "urn:carehub:research:cohort",
                                    "value": "t2dm_adults"}]
    assert [(m["entity"]["reference"], m["period"]["start"]) for m in group["member"]] == [
        ("Patient/p1", "2023-05-10"), ("Patient/p4", "2023-07-19"), ("Patient/p8", "2021-01-10")]


def test_bad_members_and_ids_are_refused() -> None:
    with pytest.raises(Incorrect, match="not a Patient key"):
        group_resource("x", "x", [("Encounter/e1", None)])
    with pytest.raises(Incorrect, match="not a valid FHIR id"):
        group_resource("x", "x", [], id="bad id!")


def test_bulk_group_export_exports_the_cohort(cohort_warehouse: Warehouse, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "fhir.sqlite3")
    try:
        with store.session(write=True) as session:
            for resource in fixture_data()["resources"]:
                session.put(dict(resource))
        result = run_cohort(load_cohort(fixture_data()["definition"]), cohort_warehouse)
        assert store_group(store, to_group(result)) == "Group/cohort-t2dm-adults/_history/1"
        assert store_group(store, to_group(result)) == "Group/cohort-t2dm-adults/_history/2"
        settings = load_settings({"CAREHUB_STORAGE": "sqlite", "CAREHUB_AUTH": "off",
                                  "CAREHUB_SQLITE_PATH": str(tmp_path / "fhir.sqlite3"),
                                  "CAREHUB_DATA_DIR": str(tmp_path / "data")})
        with TestClient(build_app(settings, store), raise_server_exceptions=False) as client:
            read = client.get("/fhir/Group/cohort-t2dm-adults")
            assert read.status_code == 200 and read.json()["quantity"] == 3
            manifest = finish(client, kick_off(client, "/fhir/Group/cohort-t2dm-adults/$export"))
            files = download_all(client, manifest)
        patients = sorted(r["id"] for r in files["Patient"])
        assert patients == ["p1", "p4", "p8"]
        subjects = {r["subject"]["reference"] for r in files["Condition"]}
        assert subjects == {"Patient/p1", "Patient/p4", "Patient/p8"}
        assert len(files["Observation"]) == 3
    finally:
        store.close()


def test_storing_something_else_is_refused(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "fhir.sqlite3")
    try:
        with pytest.raises(Incorrect, match="only a Group"):
            store_group(store, {"resourceType": "Patient", "id": "p1"})
        with store.session() as session:
            assert session.read("Patient", "p1") is None
    finally:
        store.close()
