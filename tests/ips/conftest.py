"""A small synthetic population loaded into a SQLite store, shared by the IPS tests.

``ips_world``: 25 synthetic patients (seed 3) written by ``carehub synth`` and
loaded through :class:`~carehub.bulk.local_files.LocalImport` (validation on),
with a test client of the FHIR API over that store and the resources grouped
by patient.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carehub.app.wiring import build_app, build_hub
from carehub.bulk.local_files import LocalImport, collect_files
from carehub.settings import load_settings
from carehub.storage.sqlite import SqliteStore
from carehub.synth import SynthConfig, generate


@dataclass
class IpsWorld:
    """The synthetic resources by patient reference and a client over their store."""

    client: TestClient
    by_patient: dict[str, list[dict[str, Any]]]
    shared: list[dict[str, Any]]
    patients: dict[str, dict[str, Any]]


def _subject(resource: dict[str, Any]) -> str | None:
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, dict) and str(ref.get("reference", "")).startswith("Patient/"):
            return str(ref["reference"])
    return None


@pytest.fixture(scope="session")
def ips_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IpsWorld]:
    folder = tmp_path_factory.mktemp("ips-world")
    nd = folder / "ndjson"
    generate(SynthConfig(patients=25, seed=3), nd)
    settings = load_settings({"CAREHUB_DATA_DIR": str(folder / "data"), "CAREHUB_AUTH": "off"})
    store = SqliteStore(folder / "fhir.sqlite3")
    hub = build_hub(settings, store)
    issues: list[Any] = []
    LocalImport(hub, issues.append).run(
        collect_files(sorted(nd.glob("*.ndjson")), hub.defs.is_resource_type)
    )
    assert not issues, issues[:3]
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    shared: list[dict[str, Any]] = []
    patients: dict[str, dict[str, Any]] = {}
    for path in sorted(nd.glob("*.ndjson")):
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if r["resourceType"] == "Patient":
                patients[r["id"]] = r
            elif (key := _subject(r)) is not None:
                by_patient[key].append(r)
            else:
                shared.append(r)
    app = build_app(settings, store)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield IpsWorld(client, dict(by_patient), shared, patients)
    store.close()
