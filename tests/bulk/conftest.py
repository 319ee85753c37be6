"""Fixtures of the bulk data suite, run against every store back-end.

``backend`` is parametrised over ``sqlite`` and ``postgres`` and knows both how
to open its store and the ``CAREHUB_*`` variables that name it (for the CLI);
``client`` is the FHIR API over that store with its data folder in the test's
temporary folder. Helpers kick off bulk requests, poll their status with a
timeout, and read NDJSON downloads.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
import pytest
from fastapi.testclient import TestClient

from carehub.app.wiring import build_app
from carehub.settings import load_settings
from carehub.storage.base import ResourceStore
from tests.fhir_api.conftest import BACKENDS

Resource = dict[str, Any]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bulk"
ASYNC = {"Prefer": "respond-async"}
FHIR = {"Content-Type": "application/fhir+json"}
BASE = "http://testserver/fhir"
POLL_TIMEOUT_S = 60.0


@dataclass
class Backend:
    """A fresh, empty database of one kind, and how to reach it."""

    kind: str
    env: dict[str, str]
    stores: list[ResourceStore] = field(default_factory=list)

    def open(self) -> ResourceStore:
        """A store over the database (closed at the end of the test)."""
        store: ResourceStore
        if self.kind == "sqlite":
            from carehub.storage.sqlite import SqliteStore

            store = SqliteStore(self.env["CAREHUB_SQLITE_PATH"])
        else:
            from carehub.storage.postgres import PostgresStore

            store = PostgresStore(self.env["CAREHUB_POSTGRES_DSN"], pool_size=4)
        self.stores.append(store)
        return store


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """An empty SQLite file or PostgreSQL schema, with its ``CAREHUB_*`` variables."""
    data_dir = str(tmp_path / "data")
    if request.param == "sqlite":
        env = {
            "CAREHUB_STORAGE": "sqlite",
            "CAREHUB_SQLITE_PATH": str(tmp_path / "fhir.sqlite3"),
            "CAREHUB_DATA_DIR": data_dir,
            "CAREHUB_AUTH": "off",
        }
        found = Backend("sqlite", env)
        yield found
        for store in found.stores:
            store.close()
        return
    dsn: str = request.getfixturevalue("postgres_dsn")
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in dsn else "?"
    env = {
        "CAREHUB_STORAGE": "postgres",
        "CAREHUB_POSTGRES_DSN": f"{dsn}{sep}options=-csearch_path%3D{schema}",
        "CAREHUB_DATA_DIR": data_dir,
        "CAREHUB_AUTH": "off",
    }
    found = Backend("postgres", env)
    try:
        yield found
    finally:
        for store in found.stores:
            store.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def store(backend: Backend) -> ResourceStore:
    """The backend's store."""
    return backend.open()


def make_client(
    backend: Backend,
    store: ResourceStore,
    transport: httpx.BaseTransport | None = None,
    **env: str,
) -> TestClient:
    """A test client over ``store`` with the backend's settings plus ``env``."""
    settings = load_settings({**backend.env, **env})
    app = build_app(settings, store, http_transport=transport)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(backend: Backend, store: ResourceStore) -> Iterator[TestClient]:
    """The FHIR API over ``store``; bulk files under the test's data folder."""
    with make_client(backend, store) as c:
        yield c


# -- helpers ---------------------------------------------------------------------------
def read_ndjson(path: Path) -> list[Resource]:
    """Every resource of an NDJSON file."""
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def put_all(client: TestClient, resources: list[Resource]) -> None:
    """PUT each resource (201 or 200 expected)."""
    for res in resources:
        r = client.put(f"/fhir/{res['resourceType']}/{res['id']}", json=res, headers=FHIR)
        assert r.status_code in (200, 201), r.text


def kick_off(client: TestClient, url: str, **kwargs: Any) -> str:
    """Start a bulk request (GET, or POST when ``content``/``json`` is given); return
    the status URL relative to the test server."""
    headers = {**ASYNC, **kwargs.pop("headers", {})}
    method = "POST" if ("content" in kwargs or "json" in kwargs) else "GET"
    r = client.request(method, url, headers=headers, **kwargs)
    assert r.status_code == 202, r.text
    location = r.headers["content-location"]
    assert location.startswith(f"{BASE}/$bulk-status/"), location
    return location.removeprefix("http://testserver")


def wait(client: TestClient, status_url: str, timeout: float = POLL_TIMEOUT_S) -> Any:
    """Poll ``status_url`` until it is no longer 202; return the final response."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(status_url)
        if r.status_code != 202:
            return r
        assert "x-progress" in r.headers and r.headers["retry-after"].isdigit()
        assert time.monotonic() < deadline, f"{status_url} still running after {timeout} s"
        time.sleep(0.05)


def finish(client: TestClient, status_url: str) -> dict[str, Any]:
    """Wait for a job to complete and return its manifest."""
    r = wait(client, status_url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    manifest: dict[str, Any] = r.json()
    return manifest


def download(client: TestClient, url: str) -> list[Resource]:
    """Every resource of one manifest file."""
    r = client.get(url.removeprefix("http://testserver"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+ndjson")
    assert r.content.endswith(b"\n")
    return [orjson.loads(line) for line in r.content.splitlines()]


def download_all(client: TestClient, manifest: dict[str, Any]) -> dict[str, list[Resource]]:
    """Type → resources of every output file of a manifest (counts checked)."""
    out: dict[str, list[Resource]] = {}
    for entry in manifest["output"]:
        resources = download(client, entry["url"])
        assert len(resources) == entry["count"]
        assert {r["resourceType"] for r in resources} == {entry["type"]}
        out.setdefault(entry["type"], []).extend(resources)
    return out


def export_all(client: TestClient, url: str = "/fhir/$export") -> dict[str, list[Resource]]:
    """Run an export to the end and download it."""
    return download_all(client, finish(client, kick_off(client, url)))


def strip_meta(res: Resource) -> Resource:
    """``res`` without ``meta`` (what round trips compare)."""
    return {k: v for k, v in res.items() if k != "meta"}


def by_key(resources: list[Resource]) -> dict[tuple[str, str], Resource]:
    """Resources by (type, id) without meta, asserting no key repeats."""
    out = {(r["resourceType"], r["id"]): strip_meta(r) for r in resources}
    assert len(out) == len(resources), "a resource is repeated"
    return out
