"""Round trips: NDJSON in → import → ``$export`` → download → the same resources out.

https://hl7.org/fhir/uv/bulkdata/STU2/export.html

Inputs: the Synthea bulk sample (``fhir-samples/bulk-10-patients``, 7,160
resources; its ``log.ndjson`` is an export log, not FHIR, so its 4 lines fail),
the hand-written set, and a population written by ``carehub synth``. Resources
are compared one by one, ``meta`` aside.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from carehub.app.wiring import build_hub
from carehub.bulk.local_files import LocalImport, collect_files
from carehub.cli.main import app
from carehub.errors import Issue
from carehub.settings import load_settings
from carehub.storage.base import ResourceStore
from tests.bulk.conftest import (
    FIXTURES,
    Backend,
    Resource,
    by_key,
    export_all,
    finish,
    kick_off,
    read_ndjson,
)

SAMPLE = Path("fhir-samples") / "bulk-10-patients"


def load(backend: Backend, store: ResourceStore, folder: Path) -> list[Issue]:
    hub = build_hub(load_settings(backend.env), store)
    issues: list[Issue] = []
    LocalImport(hub, issues.append).run(collect_files([folder], hub.defs.is_resource_type))
    return issues


def inputs(folder: Path) -> list[Resource]:
    return [
        r for p in sorted(folder.glob("*.ndjson")) if p.name != "log.ndjson" for r in read_ndjson(p)
    ]


def assert_round_trip(client: TestClient, want: list[Resource]) -> None:
    files = export_all(client)
    got = [r for items in files.values() for r in items]
    expected, actual = by_key(want), by_key(got)
    assert actual.keys() == expected.keys()
    for key, res in expected.items():
        assert actual[key] == res, key


def test_shared_sample_round_trip(
    shared_dir: Path, backend: Backend, store: ResourceStore, client: TestClient
) -> None:
    folder = shared_dir / SAMPLE
    issues = load(backend, store, folder)
    errors = [i.diagnostics for i in issues if i.severity == "error"]
    assert errors == [f"log.ndjson line {n}: the line has no resourceType" for n in range(1, 5)]
    want = inputs(folder)
    assert len(want) == 7160
    assert_round_trip(client, want)


def test_fixture_round_trip(backend: Backend, store: ResourceStore, client: TestClient) -> None:
    folder = FIXTURES / "roundtrip"
    assert load(backend, store, folder) == []
    assert_round_trip(client, inputs(folder))


def test_import_api_then_export(client: TestClient) -> None:
    """The same trip through the API only: ``$import`` upload, then ``$export``."""
    want = inputs(FIXTURES / "roundtrip")
    body = b"".join(p.read_bytes() for p in sorted((FIXTURES / "roundtrip").glob("*.ndjson")))
    headers = {"Content-Type": "application/fhir+ndjson"}
    manifest = finish(client, kick_off(client, "/fhir/$import", content=body, headers=headers))
    assert manifest["extension"]["loaded"] == len(want)
    assert_round_trip(client, want)


def test_synth_round_trip(
    backend: Backend, store: ResourceStore, client: TestClient, tmp_path: Path
) -> None:
    """``carehub synth --patients 30`` → ``carehub import`` path → export."""
    out = tmp_path / "synth"
    result = CliRunner().invoke(app, ["synth", "--patients", "30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    want = inputs(out)
    assert len({r["resourceType"] for r in want}) > 5
    issues = load(backend, store, out)
    assert [i for i in issues if i.severity == "error"] == []
    assert_round_trip(client, want)
