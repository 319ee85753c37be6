"""An authorization-on CareHub over a small two-patient world, and token helpers.

Patients ``p1`` and ``p2`` each have an Observation and an Encounter (the
Encounter of ``p1`` by department ``dept-a``); ``o1``'s performer is
Practitioner ``dr1``. Tokens are minted straight from the app's token store
(:func:`token`) for scope tests; the OAuth flows have their own tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.app.wiring import build_app
from carehub.security.context import Grant
from carehub.security.scopes import ScopeSet
from carehub.security.server import AuthServer
from carehub.settings import load_settings
from carehub.storage.sqlite import SqliteStore

FHIR = {"Content-Type": "application/fhir+json"}

WORLD: list[dict[str, Any]] = [
    {"resourceType": "Practitioner", "id": "dr1", "name": [{"family": "Trần"}]},
    {"resourceType": "Organization", "id": "dept-a", "name": "Khoa Nội"},
    {"resourceType": "Patient", "id": "p1", "name": [{"family": "Nguyễn", "given": ["Thị Lan"]}],
     "identifier": [{"system": "urn:vn:cccd", "value": "079123456789"}]},
    {"resourceType": "Patient", "id": "p2", "name": [{"family": "Phạm", "given": ["Văn Hùng"]}]},
    {"resourceType": "Observation", "id": "o1", "status": "final",
     "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
     "subject": {"reference": "Patient/p1"}, "performer": [{"reference": "Practitioner/dr1"}]},
    {"resourceType": "Observation", "id": "o2", "status": "final",
     "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
     "subject": {"reference": "Patient/p2"}},
    {"resourceType": "Encounter", "id": "e1", "status": "finished",
     "class": {"code": "AMB"}, "subject": {"reference": "Patient/p1"},
     "serviceProvider": {"reference": "Organization/dept-a"}},
    {"resourceType": "Encounter", "id": "e2", "status": "finished",
     "class": {"code": "AMB"}, "subject": {"reference": "Patient/p2"}},
]


def make_app(tmp_path: Path, **env: str) -> tuple[FastAPI, SqliteStore]:
    store = SqliteStore(tmp_path / "fhir.sqlite3")
    with store.session(write=True) as s:
        for resource in WORLD:
            s.put(dict(resource))
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path / "data"),
                              "CAREHUB_VALIDATE": "false", **env})
    return build_app(settings, store), store


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    built, store = make_app(tmp_path)
    yield built
    store.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def server(app: FastAPI) -> AuthServer:
    found: AuthServer = app.state.auth
    return found


def token(app: FastAPI, scopes: str, *, patient: str | None = None, subject: str = "tester",
          client_id: str = "test-app", role: str | None = None, department: str | None = None,
          break_glass: str | None = None) -> dict[str, str]:
    """Authorization headers of a fresh token with ``scopes``."""
    grant = Grant(subject, client_id, ScopeSet.parse(scopes), patient, None, role, department,
                  break_glass)
    issued = server(app).tokens.issue(grant, refresh=False)
    return {"Authorization": f"Bearer {issued.access_token}"}


def ids(bundle: dict[str, Any]) -> list[str]:
    """``Type/id`` of every entry of a Bundle, sorted."""
    return sorted(f"{e['resource']['resourceType']}/{e['resource']['id']}"
                  for e in bundle.get("entry", []) if "resource" in e)
