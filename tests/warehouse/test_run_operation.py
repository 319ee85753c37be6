"""``ViewDefinition/$run`` on the FHIR API: inline and standard views, formats, filters, errors."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from carehub.app.wiring import build_app
from carehub.settings import load_settings
from carehub.storage.sqlite import SqliteStore

EXTRA = Path(__file__).resolve().parents[1] / "fixtures" / "warehouse" / "extra.ndjson"
PATIENT_VIEW = {
    "resourceType": "ViewDefinition",
    "resource": "Patient",
    "select": [
        {
            "column": [
                {"name": "id", "path": "getResourceKey()"},
                {"name": "gender", "path": "gender"},
                {"name": "given", "path": "name.given", "collection": True},
            ]
        }
    ],
}


def parameters(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": list(parts)}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[httpx.AsyncClient]:
    store = SqliteStore(tmp_path / "fhir.sqlite3")
    with store.session(write=True) as session:
        for line in EXTRA.read_text(encoding="utf-8").splitlines():
            session.put(json.loads(line))
    settings = load_settings(
        {"CAREHUB_DATA_DIR": str(tmp_path), "CAREHUB_VALIDATE": "false", "CAREHUB_AUTH": "off"}
    )
    app = build_app(settings, store)
    yield httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    store.close()


def call(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


FHIR = {"Content-Type": "application/fhir+json"}


def test_inline_view_over_store_data_as_json(api: httpx.AsyncClient) -> None:
    body = parameters({"name": "viewResource", "resource": PATIENT_VIEW})
    r = call(api, "POST", "/fhir/ViewDefinition/$run", json=body, headers=FHIR)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    rows = sorted(r.json(), key=lambda row: row["id"])
    assert rows == [
        {"id": "Patient/p1", "gender": "male", "given": ["Van", "An"]},
        {"id": "Patient/p2", "gender": "female", "given": []},
    ]


def test_inline_resources_and_csv(api: httpx.AsyncClient) -> None:
    body = parameters(
        {"name": "viewResource", "resource": PATIENT_VIEW},
        {"name": "resource", "resource": {"resourceType": "Patient", "id": "x", "gender": "other"}},
        {"name": "_format", "valueCode": "csv"},
    )
    r = call(api, "POST", "/fhir/ViewDefinition/$run", json=body, headers=FHIR)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(r.text))) == [
        ["id", "gender", "given"],
        ["Patient/x", "other", "[]"],
    ]


def test_standard_view_instance_level_ndjson_with_patient_filter(api: httpx.AsyncClient) -> None:
    r = call(
        api,
        "GET",
        "/fhir/ViewDefinition/encounters/$run",
        params={"patient": "Patient/p2", "_format": "ndjson"},
    )
    assert r.status_code == 200, r.text
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert sorted(row["encounter_id"] for row in rows) == ["Encounter/e2", "Encounter/e3"]


def test_accept_header_limit_and_parquet(api: httpx.AsyncClient, tmp_path: Path) -> None:
    r = call(
        api,
        "GET",
        "/fhir/ViewDefinition/vitals/$run",
        params={"_limit": "2"},
        headers={"Accept": "application/vnd.apache.parquet"},
    )
    assert r.status_code == 200, r.text
    path = tmp_path / "rows.parquet"
    path.write_bytes(r.content)
    assert duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchall() == [
        (2,)
    ]


def test_type_level_get_with_view_reference(api: httpx.AsyncClient) -> None:
    r = call(
        api,
        "GET",
        "/fhir/ViewDefinition/$run",
        params={"viewReference": "ViewDefinition/patients", "_format": "json"},
    )
    assert r.status_code == 200, r.text
    assert len(r.json()) == 2


def test_invalid_view_is_422_with_the_json_path(api: httpx.AsyncClient) -> None:
    bad = {"resource": "Patient", "select": [{"column": [{"name": "a", "path": "name.frist()"}]}]}
    r = call(
        api,
        "POST",
        "/fhir/ViewDefinition/$run",
        json=parameters({"name": "viewResource", "resource": bad}),
        headers=FHIR,
    )
    assert r.status_code == 422, r.text
    issue = r.json()["issue"][0]
    assert r.json()["resourceType"] == "OperationOutcome"
    assert issue["expression"] == ["viewResource.select[0].column[0].path"]
    assert "frist" in issue["diagnostics"]


@pytest.mark.parametrize(
    ("url", "params", "status"),
    [
        ("/fhir/ViewDefinition/nope/$run", {}, 404),
        ("/fhir/ViewDefinition/patients/$run", {"_format": "xml"}, 400),
        ("/fhir/ViewDefinition/$run", {}, 400),
        ("/fhir/ViewDefinition/patients/$run", {"group": "Group/1"}, 501),
    ],
)
def test_errors_are_operation_outcomes(
    api: httpx.AsyncClient, url: str, params: dict[str, str], status: int
) -> None:
    r = call(api, "GET", url, params=params)
    assert r.status_code == status, r.text
    assert r.json()["resourceType"] == "OperationOutcome"


def test_capability_statement_lists_run(api: httpx.AsyncClient) -> None:
    r = call(api, "GET", "/fhir/metadata")
    names = [op["name"] for op in r.json()["rest"][0].get("operation", [])]
    assert "run" in names
