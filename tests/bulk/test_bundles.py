"""Importing a folder of transaction Bundles as Synthea writes them.

https://hl7.org/fhir/R4/http.html#transaction

``tests/fixtures/bulk/bundles`` mimics Synthea's output: two patient Bundles
whose Encounters refer to their practitioner, location and organization by
conditional references, the ``hospitalInformation``/``practitionerInformation``
files holding those (conditional creates), and a second ``hospitalInformation``
file repeating the organization, as a second Synthea run writes it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from carehub.app.wiring import build_hub
from carehub.bulk.loader import LoadStats
from carehub.bulk.local_files import LocalImport, collect_files
from carehub.errors import Issue
from carehub.fhir_api.hub import Hub
from carehub.settings import load_settings
from carehub.storage.base import ResourceStore
from tests.bulk.conftest import FIXTURES, Backend, Resource

BUNDLES = FIXTURES / "bundles"
NPI = "http://hl7.org/fhir/sid/us-npi|9999990001"


@pytest.fixture
def hub(backend: Backend, store: ResourceStore) -> Hub:
    return build_hub(load_settings(backend.env), store)


def run(hub: Hub, *paths: Path) -> tuple[LoadStats, list[Issue]]:
    issues: list[Issue] = []
    files = collect_files(list(paths), hub.defs.is_resource_type)
    return LocalImport(hub, issues.append).run(files).stats, issues


def everything(hub: Hub, rtype: str) -> list[Resource]:
    with hub.store.session() as s:
        return [json.loads(body) for _, body in s.scan(rtype)]


def find(hub: Hub, rtype: str, query: str) -> list[tuple[str, str]]:
    with hub.store.session() as s:
        return s.search_ids(hub.parser.parse(rtype, parse_qsl(query)), 10)


def test_order_puts_shared_resources_first() -> None:
    files = collect_files([BUNDLES], lambda t: False)
    assert [f.path.name for f in files] == [
        "hospitalInformation1700000000000.json",
        "hospitalInformation1700000000999.json",
        "practitionerInformation1700000000000.json",
        "Aaron697_Lee_1a2b.json",
        "Zoe12_Park_3c4d.json",
    ]


def test_bundle_folder_resolves_conditional_references(hub: Hub) -> None:
    stats, issues = run(hub, BUNDLES)
    # the second hospital file finds its organization already there
    assert stats == LoadStats(loaded=2 + 2 + 3 + 3, unchanged=1, failed=0), issues
    assert not issues
    counts = {
        t: len(everything(hub, t))
        for t in (
            "Organization",
            "Location",
            "Practitioner",
            "PractitionerRole",
            "Patient",
            "Encounter",
            "Condition",
        )
    }
    assert counts == {
        "Organization": 1,
        "Location": 1,
        "Practitioner": 1,
        "PractitionerRole": 1,
        "Patient": 2,
        "Encounter": 2,
        "Condition": 2,
    }
    [org] = everything(hub, "Organization")
    [loc] = everything(hub, "Location")
    [prac] = everything(hub, "Practitioner")
    patients = {p["name"][0]["family"]: p["id"] for p in everything(hub, "Patient")}
    for enc in everything(hub, "Encounter"):
        assert enc["participant"][0]["individual"]["reference"] == f"Practitioner/{prac['id']}"
        assert enc["location"][0]["location"]["reference"] == f"Location/{loc['id']}"
        assert enc["serviceProvider"]["reference"] == f"Organization/{org['id']}"
        assert enc["subject"]["reference"] in {f"Patient/{i}" for i in patients.values()}
    for cond in everything(hub, "Condition"):
        assert cond["encounter"]["reference"].startswith("Encounter/")
    # the references are indexed like any other
    assert len(find(hub, "Encounter", f"practitioner.identifier={NPI}")) == 2
    assert find(hub, "Patient", "family=Park") == [("Patient", patients["Park"])]


def test_patient_bundle_without_its_shared_files_fails_whole(hub: Hub, tmp_path: Path) -> None:
    shutil.copy(BUNDLES / "Aaron697_Lee_1a2b.json", tmp_path)
    stats, issues = run(hub, tmp_path)
    assert stats == LoadStats(failed=3)
    [issue] = issues
    assert issue.diagnostics.startswith("Aaron697_Lee_1a2b.json: Bundle.entry[1]: ")
    assert "matches no resources" in issue.diagnostics
    assert everything(hub, "Patient") == []  # a transaction is all or nothing


def test_json_files_that_are_not_bundles(hub: Hub, tmp_path: Path) -> None:
    (tmp_path / "COUNTS.json").write_text('{"files": 1}')
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "Patient.json").write_text('{"resourceType": "Patient", "id": "solo"}')
    stats, issues = run(hub, tmp_path)
    assert stats == LoadStats(failed=1)
    assert [(i.severity, i.diagnostics.split(",")[0]) for i in issues] == [
        ("warning", "COUNTS.json: skipped"),
        ("warning", "Patient.json: skipped"),
        ("error", "broken.json: not valid JSON (unexpected end of data: line 1 column 2 (char 1))"),
    ]
    named, named_issues = run(hub, tmp_path / "Patient.json")
    assert named == LoadStats(failed=1)
    assert named_issues[0].diagnostics == "Patient.json: not a Bundle (a Patient)"


def test_batch_bundle_counts_each_entry(hub: Hub, tmp_path: Path) -> None:
    entries = [
        {
            "resource": {"resourceType": "Patient", "id": "b1"},
            "request": {"method": "PUT", "url": "Patient/b1"},
        },
        {
            "resource": {"resourceType": "Patient", "id": "b2", "gender": "robot"},
            "request": {"method": "PUT", "url": "Patient/b2"},
        },
    ]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "batch", "entry": entries}))
    stats, issues = run(hub, path)
    assert stats == LoadStats(loaded=1, failed=1)
    [issue] = issues
    assert issue.diagnostics.startswith("batch.json entry 1: ")
    assert issue.expression == ("Bundle.entry[1]",)
