"""The terminology operations over the FHIR API: Parameters in and out, OperationOutcome errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carehub.app.wiring import build_app
from carehub.errors import Incorrect
from carehub.settings import load_settings
from carehub.storage.sqlite import SqliteStore
from tests.fhir_api.conftest import FHIR, assert_outcome
from tests.terminology.conftest import VI_TITLES

ICD = "http://hl7.org/fhir/sid/icd-10"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("terminology-api")
    settings = load_settings({"CAREHUB_DATA_DIR": str(folder), "CAREHUB_AUTH": "off",
                              "CAREHUB_ICD10_VI_TITLES": str(VI_TITLES)})
    store = SqliteStore(folder / "fhir.sqlite3")
    with TestClient(build_app(settings, store), raise_server_exceptions=False) as c:
        yield c
    store.close()


def value(body: dict[str, Any], name: str) -> Any:
    part = next(p for p in body["parameter"] if p["name"] == name)
    return next(v for k, v in part.items() if k.startswith("value"))


def test_lookup_get_and_post(client: TestClient) -> None:
    r = client.get("/fhir/CodeSystem/$lookup", params={"system": ICD, "code": "I10"})
    assert r.status_code == 200 and r.json()["resourceType"] == "Parameters"
    assert value(r.json(), "display") == "Essential (primary) hypertension"
    posted = client.post("/fhir/CodeSystem/$lookup", headers=FHIR, json={
        "resourceType": "Parameters", "parameter": [
            {"name": "coding", "valueCoding": {"system": ICD, "code": "I10"}},
            {"name": "displayLanguage", "valueCode": "vi"}]})
    assert value(posted.json(), "display") == "Tăng huyết áp vô căn (nguyên phát)"


def test_validate_code_routes(client: TestClient) -> None:
    r = client.get("/fhir/CodeSystem/$validate-code",
                   params={"url": "http://unitsofmeasure.org", "code": "mmol/L"})
    assert value(r.json(), "result") is True
    r = client.post("/fhir/ValueSet/$validate-code", headers=FHIR, json={
        "resourceType": "Parameters", "parameter": [
            {"name": "url", "valueUri": "https://carehub.vn/fhir/CodeSystem/vn-province?fhir_vs"},
            {"name": "system", "valueUri": "https://carehub.vn/fhir/CodeSystem/vn-province"},
            {"name": "code", "valueCode": "99"}]})
    assert r.status_code == 200 and value(r.json(), "result") is False


def test_expand_route(client: TestClient) -> None:
    r = client.get("/fhir/ValueSet/$expand", params={
        "url": "http://loinc.org?fhir_vs", "filter": "glucose", "count": "10"})
    assert r.status_code == 200
    vs = r.json()
    assert vs["resourceType"] == "ValueSet"
    assert {c["code"] for c in vs["expansion"]["contains"]} >= {"14771-0"}


def test_errors_are_outcomes(client: TestClient) -> None:
    body = assert_outcome(client.get("/fhir/CodeSystem/$lookup",
                                     params={"system": "http://hl7.org/fhir/sid/icd10",
                                             "code": "I10"}), 404)
    assert "Did you mean 'http://hl7.org/fhir/sid/icd-10'" in body["issue"][0]["diagnostics"]
    assert_outcome(client.get("/fhir/CodeSystem/$lookup", params={"system": ICD}), 400,
                   "required")
    assert_outcome(client.get("/fhir/ValueSet/$expand"), 400, "required")
    assert_outcome(client.get("/fhir/ValueSet/$validate-code", params={"url": "http://x"}), 404)
    assert_outcome(client.post("/fhir/CodeSystem/$validate-code", headers=FHIR,
                               json={"resourceType": "Patient"}), 400)
    assert_outcome(client.post("/fhir/ValueSet/$expand", content=b"<Parameters/>",
                               headers={"Content-Type": "application/fhir+xml"}), 415)


def test_missing_vietnamese_titles_stop_the_app(tmp_path: Path) -> None:
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path), "CAREHUB_AUTH": "off",
                              "CAREHUB_ICD10_VI_TITLES": str(tmp_path / "none.csv")})
    with pytest.raises(Incorrect, match="does not exist"):
        build_app(settings, SqliteStore(tmp_path / "f.sqlite3"))
