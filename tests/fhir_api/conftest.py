"""Fixtures for the FHIR API behaviour suite, run against every store back-end.

``store`` is parametrised over ``sqlite`` (a file in the test's temp folder)
and ``postgres`` (a fresh schema in the session's PostgreSQL database), so
every API test runs on both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from carehub.app.wiring import build_app
from carehub.settings import load_settings
from carehub.storage.base import ResourceStore

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def make_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> ResourceStore:
    """A fresh, empty store of ``kind``."""
    if kind == "sqlite":
        from carehub.storage.sqlite import SqliteStore

        return SqliteStore(tmp_path / "fhir.sqlite3")
    from carehub.storage.postgres import PostgresStore

    dsn: str = request.getfixturevalue("postgres_dsn")
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    request.addfinalizer(drop)
    sep = "&" if "?" in dsn else "?"
    return PostgresStore(f"{dsn}{sep}options=-csearch_path%3D{schema}", pool_size=4)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ResourceStore]:
    """An empty store of each back-end."""
    st = make_store(request.param, tmp_path, request)
    try:
        yield st
    finally:
        st.close()


@pytest.fixture
def client(store: ResourceStore, tmp_path: Path) -> Iterator[TestClient]:
    """A test client of the FHIR API over ``store`` (base URL http://testserver/fhir)."""
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path / "data"), "CAREHUB_AUTH": "off"})
    app = build_app(settings, store)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


FHIR = {"Content-Type": "application/fhir+json"}


def post(client: TestClient, rtype: str, resource: dict[str, Any], **headers: str) -> Any:
    """POST a resource, assert 201, return the created resource."""
    r = client.post(f"/fhir/{rtype}", json=resource, headers={**FHIR, **headers})
    assert r.status_code == 201, r.text
    return r.json()


def assert_outcome(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert an OperationOutcome error response and return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"], body
    if code is not None:
        assert any(i["code"] == code for i in body["issue"]), body
    return body
