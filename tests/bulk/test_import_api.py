"""``$import``: NDJSON upload, ``file://`` inputs in the import folder, http(s) inputs.

https://github.com/smart-on-fhir/bulk-import/blob/master/import.md (request shape) and
https://hl7.org/fhir/uv/bulkdata/STU2/export.html#response---complete-status (manifest)

http(s) downloads go through an httpx ``MockTransport``: no socket is opened.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from carehub.storage.base import ResourceStore
from tests.bulk.conftest import (
    ASYNC,
    FHIR,
    FIXTURES,
    Backend,
    download,
    finish,
    kick_off,
    make_client,
    read_ndjson,
)
from tests.fhir_api.conftest import assert_outcome

NDJSON = {"Content-Type": "application/fhir+ndjson"}
BAD_FILE = FIXTURES / "bad" / "Patient.ndjson"
SET = FIXTURES / "roundtrip"


def parameters(*inputs: tuple[str | None, str], fmt: str | None = None) -> dict[str, Any]:
    params: list[dict[str, Any]] = []
    if fmt is not None:
        params.append({"name": "inputFormat", "valueCode": fmt})
    for rtype, url in inputs:
        parts: list[dict[str, Any]] = [{"name": "url", "valueUrl": url}]
        if rtype is not None:
            parts.insert(0, {"name": "type", "valueCode": rtype})
        params.append({"name": "input", "part": parts})
    return {"resourceType": "Parameters", "parameter": params}


@pytest.fixture
def import_dir(backend: Backend) -> Path:
    folder = Path(backend.env["CAREHUB_DATA_DIR"]) / "import"
    folder.mkdir(parents=True)
    return folder


def serve_files(request: httpx.Request) -> httpx.Response:
    """The fake file server: the hand-written set under /data/, 404 elsewhere."""
    path = SET / request.url.path.removeprefix("/data/")
    if request.url.path.startswith("/data/") and path.is_file():
        return httpx.Response(200, content=path.read_bytes())
    return httpx.Response(404, text="not here")


@pytest.fixture
def web_client(backend: Backend, store: ResourceStore) -> Iterator[TestClient]:
    """The API with a fake web for http(s) inputs."""
    with make_client(backend, store, httpx.MockTransport(serve_files)) as c:
        yield c


def version(client: TestClient, rtype: str, rid: str) -> str:
    r = client.get(f"/fhir/{rtype}/{rid}")
    assert r.status_code == 200, r.text
    v: str = r.json()["meta"]["versionId"]
    return v


def test_upload(client: TestClient) -> None:
    status_url = kick_off(client, "/fhir/$import", content=BAD_FILE.read_bytes(), headers=NDJSON)
    manifest = finish(client, status_url)
    assert manifest["requiresAccessToken"] is False
    # an upload declares no type: the Observation line is fine here
    [out] = manifest["output"]
    assert out == {
        "type": "Resource",
        "inputUrl": "upload.ndjson",
        "count": 4,
        "loaded": 4,
        "unchanged": 0,
        "failed": 6,
    }
    assert manifest["extension"] == {"loaded": 4, "unchanged": 0, "failed": 6, "issues": 6}
    [error] = manifest["error"]
    assert error["type"] == "OperationOutcome" and error["count"] == 1
    [outcome] = download(client, error["url"])
    lines = [i["diagnostics"].split(":")[0] for i in outcome["issue"]]
    assert lines == [f"upload.ndjson line {n}" for n in (2, 3, 7, 8, 9, 10)]
    assert version(client, "Observation", "o1") == "1"
    assert version(client, "Patient", "ok-3") == "1"


def test_upload_twice_is_idempotent(client: TestClient) -> None:
    body = (SET / "Patient.ndjson").read_bytes()
    first = finish(client, kick_off(client, "/fhir/$import", content=body, headers=NDJSON))
    assert first["extension"]["loaded"] == 3 and first["error"] == []
    again = finish(client, kick_off(client, "/fhir/$import", content=body, headers=NDJSON))
    assert again["extension"] == {"loaded": 0, "unchanged": 3, "failed": 0, "issues": 0}
    assert version(client, "Patient", "p1") == "1"


def test_file_url_inputs(client: TestClient, import_dir: Path) -> None:
    shutil.copytree(SET, import_dir / "set")
    shutil.copy(BAD_FILE, import_dir / "Patient.bad.ndjson")
    body = parameters(
        (None, (import_dir / "set" / "Observation.ndjson").as_uri()),
        ("Patient", (import_dir / "Patient.bad.ndjson").as_uri()),
        (None, (import_dir / "set" / "Organization.ndjson").as_uri()),
        fmt="application/fhir+ndjson",
    )
    manifest = finish(client, kick_off(client, "/fhir/$import", json=body, headers=FHIR))
    # Organization first, then Patient, then the rest
    assert [(o["type"], o["count"], o["failed"]) for o in manifest["output"]] == [
        ("Organization", 2, 0),
        ("Patient", 3, 7),
        ("Observation", 8, 0),
    ]
    assert manifest["output"][1]["inputUrl"] == (import_dir / "Patient.bad.ndjson").as_uri()
    [outcome] = download(client, manifest["error"][0]["url"])
    assert outcome["issue"][2]["diagnostics"] == (
        "Patient.bad.ndjson line 4: resourceType 'Observation' in a file of Patient resources"
    )
    assert outcome["issue"][2]["expression"] == ["resourceType"]
    assert client.get("/fhir/Observation/o1").status_code == 404


def test_http_inputs(web_client: TestClient) -> None:
    body = parameters(
        ("Patient", "https://files.example.org/data/Patient.ndjson"),
        (None, "http://files.example.org/data/Encounter.ndjson"),
        (None, "https://files.example.org/missing/Condition.ndjson"),
    )
    manifest = finish(web_client, kick_off(web_client, "/fhir/$import", json=body, headers=FHIR))
    assert [(o["type"], o["loaded"]) for o in manifest["output"]] == [
        ("Patient", 3),
        ("Condition", 0),
        ("Encounter", 6),
    ]
    [outcome] = download(web_client, manifest["error"][0]["url"])
    [issue] = outcome["issue"]
    assert issue["diagnostics"] == (
        "Condition.ndjson: https://files.example.org/missing/Condition.ndjson: "
        "the server answered HTTP 404"
    )
    encounters = read_ndjson(SET / "Encounter.ndjson")
    got = web_client.get(f"/fhir/Encounter/{encounters[0]['id']}").json()
    assert {k: v for k, v in got.items() if k != "meta"} == encounters[0]


def test_http_inputs_can_be_switched_off(backend: Backend, store: ResourceStore) -> None:
    with make_client(backend, store, CAREHUB_IMPORT_HTTP="false") as client:
        body = parameters(("Patient", "https://files.example.org/data/Patient.ndjson"))
        r = client.post("/fhir/$import", json=body, headers={**ASYNC, **FHIR})
        assert_outcome(r, 403, "forbidden")


def test_file_url_outside_import_folder_refused(
    client: TestClient, import_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "Patient.ndjson"
    shutil.copy(SET / "Patient.ndjson", outside)
    (import_dir / "link.ndjson").symlink_to(outside)
    for url in (
        outside.as_uri(),
        (import_dir / "link.ndjson").as_uri(),
        (import_dir / ".." / "import" / ".." / "Patient.ndjson").as_uri(),
        "file:///etc/passwd",
    ):
        r = client.post("/fhir/$import", json=parameters((None, url)), headers={**ASYNC, **FHIR})
        assert_outcome(r, 403, "forbidden")
    assert client.get("/fhir/Patient/p1").status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"resourceType": "Patient", "id": "x"}, 400),
        ({"resourceType": "Parameters", "parameter": []}, 400),
        (parameters((None, "ftp://files.example.org/Patient.ndjson")), 400),
        (parameters((None, "file:///nowhere/at/all.ndjson")), 403),
        (parameters(("Patinet", "https://files.example.org/data/Patient.ndjson")), 400),
        (parameters((None, "https://x.example/P.ndjson"), fmt="text/csv"), 400),
        ({"resourceType": "Parameters", "parameter": [{"name": "inptu"}]}, 400),
    ],
)
def test_kick_off_errors(client: TestClient, body: dict[str, Any], status: int) -> None:
    r = client.post("/fhir/$import", json=body, headers={**ASYNC, **FHIR})
    assert_outcome(r, status)


def test_kick_off_request_errors(client: TestClient, import_dir: Path) -> None:
    (import_dir / "missing-here.txt").write_text("")
    r = client.post(
        "/fhir/$import",
        json=parameters((None, (import_dir / "nope.ndjson").as_uri())),
        headers={**ASYNC, **FHIR},
    )
    assert "no such file" in assert_outcome(r, 400)["issue"][0]["diagnostics"]
    body = (SET / "Patient.ndjson").read_bytes()
    assert_outcome(client.post("/fhir/$import", content=body, headers=NDJSON), 400)
    assert_outcome(client.post("/fhir/$import", content=b"", headers={**ASYNC, **NDJSON}), 400)
    r = client.post("/fhir/$import", content=body, headers={**ASYNC, "Content-Type": "text/csv"})
    assert_outcome(r, 415)
    # nothing was left behind by the refused requests
    bulk = import_dir.parent / "bulk"
    assert not bulk.exists() or list(bulk.iterdir()) == []
