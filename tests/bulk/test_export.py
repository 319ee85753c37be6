"""``$export`` at system, Patient and Group level: kick-off, polling, files, cancel, errors.

https://hl7.org/fhir/uv/bulkdata/STU2/export.html

The store is filled through the REST API (PUT) with the hand-written set in
``tests/fixtures/bulk/roundtrip``; every expectation is computed from those
files with plain Python.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from carehub.bulk import export as export_module
from carehub.bulk.jobs import JobContext, JobRecord, JobResult
from carehub.fhir_api.operations import bulk_routes
from carehub.storage.base import ResourceStore
from tests.bulk.conftest import (
    ASYNC,
    BASE,
    FHIR,
    FIXTURES,
    Backend,
    Resource,
    by_key,
    download,
    download_all,
    export_all,
    finish,
    kick_off,
    make_client,
    put_all,
    read_ndjson,
    strip_meta,
    wait,
)
from tests.fhir_api.conftest import assert_outcome

SET = FIXTURES / "roundtrip"
INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture
def resources() -> list[Resource]:
    """The hand-written set, every file."""
    return [r for path in sorted(SET.glob("*.ndjson")) for r in read_ndjson(path)]


@pytest.fixture
def seeded(client: TestClient, resources: list[Resource]) -> TestClient:
    """The API with the hand-written set stored."""
    put_all(client, resources)
    return client


def subjects(res: Resource) -> set[str]:
    """The patients whose compartment holds a resource of the set (R4: subject,
    performer, Group.member; a Patient is in its own)."""
    if res["resourceType"] == "Patient":
        return {res["id"]}
    refs = [res.get("subject", {}).get("reference", "")]
    refs += [p.get("reference", "") for p in res.get("performer", [])]
    refs += [m["entity"]["reference"] for m in res.get("member", [])]
    return {r.removeprefix("Patient/") for r in refs if r.startswith("Patient/")}


def flat(files: dict[str, list[Resource]]) -> list[Resource]:
    return [r for items in files.values() for r in items]


# -- system level ----------------------------------------------------------------------
def test_system_export_flow(seeded: TestClient, resources: list[Resource]) -> None:
    status_url = kick_off(seeded, "/fhir/$export?_outputFormat=application/fhir%2Bndjson")
    manifest = finish(seeded, status_url)
    assert INSTANT.match(manifest["transactionTime"]), manifest
    assert manifest["request"] == f"{BASE}/$export?_outputFormat=application/fhir%2Bndjson"
    assert manifest["requiresAccessToken"] is False
    assert manifest["error"] == []
    types = [e["type"] for e in manifest["output"]]
    # referenced types first, then the rest by name
    assert types == [
        "Organization",
        "Practitioner",
        "Patient",
        "Condition",
        "Encounter",
        "Group",
        "Observation",
    ]
    for entry in manifest["output"]:
        assert entry["url"].startswith(f"{BASE}/$bulk-file/")
    got = flat(download_all(seeded, manifest))
    assert by_key(got) == by_key(resources)
    assert all(r["meta"]["versionId"] == "1" for r in got)
    # the status stays available until deleted
    assert seeded.get(status_url).json() == manifest


@pytest.mark.parametrize("fmt", ["application/ndjson", "ndjson", "application/fhir+ndjson"])
def test_output_formats_accepted(seeded: TestClient, fmt: str) -> None:
    params = {"_outputFormat": fmt, "_type": "Organization"}
    r = seeded.get("/fhir/$export", params=params, headers=ASYNC)
    assert r.status_code == 202, r.text
    manifest = finish(seeded, r.headers["content-location"].removeprefix("http://testserver"))
    assert [(e["type"], e["count"]) for e in manifest["output"]] == [("Organization", 2)]


def test_type_filter(seeded: TestClient, resources: list[Resource]) -> None:
    files = export_all(seeded, "/fhir/$export?_type=Observation,Patient&_type=Patient")
    assert sorted(files) == ["Observation", "Patient"]
    want = [r for r in resources if r["resourceType"] in ("Observation", "Patient")]
    assert by_key(flat(files)) == by_key(want)


def test_since_filter(seeded: TestClient, resources: list[Resource]) -> None:
    time.sleep(0.01)
    p2 = next(r for r in resources if r["id"] == "p2")
    changed = {**p2, "gender": "unknown"}
    r = seeded.put("/fhir/Patient/p2", json=changed, headers=FHIR)
    assert r.status_code == 200, r.text
    since = r.json()["meta"]["lastUpdated"]
    new_obs = {
        "resourceType": "Observation",
        "id": "obs-late",
        "status": "final",
        "code": {"text": "late"},
        "subject": {"reference": "Patient/p3"},
    }
    put_all(seeded, [new_obs])
    files = export_all(seeded, f"/fhir/$export?_since={since}")
    assert by_key(flat(files)) == by_key([changed, new_obs])
    assert files["Patient"][0]["meta"]["versionId"] == "2"
    # at Patient level too
    files = export_all(seeded, f"/fhir/Patient/$export?_since={since}")
    assert by_key(flat(files)) == by_key([changed, new_obs])


def test_empty_export(client: TestClient) -> None:
    manifest = finish(client, kick_off(client, "/fhir/$export"))
    assert manifest["output"] == [] and manifest["error"] == []


# -- Patient and Group level -----------------------------------------------------------
def test_patient_level(seeded: TestClient, resources: list[Resource]) -> None:
    files = export_all(seeded, "/fhir/Patient/$export")
    want = [r for r in resources if r["resourceType"] not in ("Organization", "Practitioner")]
    want = [r for r in want if subjects(r)]  # obs-device is about no patient
    assert by_key(flat(files)) == by_key(want)
    assert ("Observation", "obs-device") not in by_key(flat(files))


def test_patient_level_type_outside_compartment(seeded: TestClient) -> None:
    status_url = kick_off(seeded, "/fhir/Patient/$export?_type=Patient,Organization")
    manifest = finish(seeded, status_url)
    assert [e["type"] for e in manifest["output"]] == ["Patient"]
    [error] = manifest["error"]
    [outcome] = download(seeded, error["url"])
    assert outcome["resourceType"] == "OperationOutcome"
    assert "Organization is not in the patient compartment" in outcome["issue"][0]["diagnostics"]


def test_group_level(seeded: TestClient, resources: list[Resource]) -> None:
    manifest = finish(seeded, kick_off(seeded, "/fhir/Group/g1/$export"))
    got = flat(download_all(seeded, manifest))
    # p3 is an inactive member, pr-1 is not a patient: only p1's data
    want = [r for r in resources if "p1" in subjects(r)]
    assert by_key(got) == by_key(want)
    # only p1's records: the others in it are the Group and obs-shared (p2 performed it)
    strangers = [r["id"] for r in got if subjects(r) - {"p1"}]
    assert sorted(strangers) == ["g1", "obs-shared"]
    [error] = manifest["error"]
    issues = download(seeded, error["url"])[0]["issue"]
    assert [i["severity"] for i in issues] == ["warning"]
    assert "Practitioner/pr-1" in issues[0]["diagnostics"]
    assert issues[0]["expression"] == ["Group.member[2].entity"]


def test_group_level_missing_member(seeded: TestClient, resources: list[Resource]) -> None:
    manifest = finish(seeded, kick_off(seeded, "/fhir/Group/g2/$export?_type=Patient,Encounter"))
    got = flat(download_all(seeded, manifest))
    want = [
        r
        for r in resources
        if r["resourceType"] in ("Patient", "Encounter") and "p2" in subjects(r)
    ]
    assert by_key(got) == by_key(want)
    issues = download(seeded, manifest["error"][0]["url"])[0]["issue"]
    assert any("Patient/ghost does not exist" in i["diagnostics"] for i in issues)


def test_group_level_many_patient_slices(
    seeded: TestClient, resources: list[Resource], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Patients are queried in slices; a resource of two members comes once."""
    monkeypatch.setattr(export_module, "PATIENTS_PER_QUERY", 1)
    group = {
        "resourceType": "Group",
        "id": "g12",
        "type": "person",
        "actual": True,
        "member": [
            {"entity": {"reference": "Patient/p1"}},
            {"entity": {"reference": "Patient/p2"}},
        ],
    }
    put_all(seeded, [group])
    got = flat(export_all(seeded, "/fhir/Group/g12/$export"))
    want = [r for r in [*resources, group] if subjects(r) & {"p1", "p2"}]
    assert by_key(got) == by_key(want)  # by_key fails on a repeated resource
    assert ("Observation", "obs-shared") in by_key(got)


def test_group_errors(seeded: TestClient) -> None:
    assert_outcome(seeded.get("/fhir/Group/nobody/$export", headers=ASYNC), 404, "not-found")
    assert seeded.delete("/fhir/Group/g2").status_code == 204
    assert_outcome(seeded.get("/fhir/Group/g2/$export", headers=ASYNC), 410, "deleted")


# -- kick-off errors -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "headers", "status"),
    [
        ("/fhir/$export", {}, 400),
        ("/fhir/Patient/$export", {"Prefer": "return=minimal"}, 400),
        ("/fhir/Group/g1/$export", {}, 400),
        ("/fhir/$export?_outputFormat=application/fhir%2Bjson", ASYNC, 400),
        ("/fhir/Patient/$export?_outputFormat=text/csv", ASYNC, 400),
        ("/fhir/$export?_type=Patinet", ASYNC, 400),
        ("/fhir/$export?_since=yesterday", ASYNC, 400),
        ("/fhir/$export?_count=5", ASYNC, 400),
        ("/fhir/$export?_typeFilter=Patient%3Fgender%3Dmale", ASYNC, 400),
    ],
)
def test_kick_off_errors(
    seeded: TestClient, url: str, headers: dict[str, str], status: int
) -> None:
    body = assert_outcome(seeded.get(url, headers=headers), status)
    assert body["issue"][0]["diagnostics"]


def test_missing_prefer_says_why(client: TestClient) -> None:
    body = assert_outcome(client.get("/fhir/$export"), 400)
    assert "Prefer: respond-async" in body["issue"][0]["diagnostics"]


def test_lenient_handling_ignores_unsupported_parameters(seeded: TestClient) -> None:
    headers = {"Prefer": "respond-async, handling=lenient"}
    status_url = kick_off(seeded, "/fhir/$export?_type=Organization&_elements=id", headers=headers)
    manifest = finish(seeded, status_url)
    assert [e["type"] for e in manifest["output"]] == ["Organization"]
    issues = download(seeded, manifest["error"][0]["url"])[0]["issue"]
    assert issues[0]["diagnostics"] == "parameter '_elements' was ignored"


def test_unknown_job(client: TestClient) -> None:
    for job in ("0" * 32, "not-a-job", "..%2F..%2Fetc"):
        assert_outcome(client.get(f"/fhir/$bulk-status/{job}"), 404, "not-found")
        assert_outcome(client.delete(f"/fhir/$bulk-status/{job}"), 404, "not-found")
        assert_outcome(client.get(f"/fhir/$bulk-file/{job}/Patient.ndjson"), 404, "not-found")


def test_unknown_file_of_a_job(seeded: TestClient) -> None:
    status_url = kick_off(seeded, "/fhir/$export?_type=Patient")
    finish(seeded, status_url)
    job = status_url.rsplit("/", 1)[1]
    for name in ("Observation.ndjson", "job.json", "job.lock", "..", "%2E%2E%2Fjob.json"):
        assert_outcome(seeded.get(f"/fhir/$bulk-file/{job}/{name}"), 404)


# -- running, cancelling, failing ------------------------------------------------------
@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Hold every export job at its start until the event is set."""
    release = threading.Event()
    real = bulk_routes.run_export

    def held(hub: Any, plan: Any, ctx: JobContext) -> JobResult:
        ctx.progress("waiting at the gate")
        while not release.wait(0.01):
            ctx.check()
        return real(hub, plan, ctx)

    monkeypatch.setattr(bulk_routes, "run_export", held)
    yield release
    release.set()


def test_running_job_reports_progress(seeded: TestClient, gate: threading.Event) -> None:
    status_url = kick_off(seeded, "/fhir/$export?_type=Patient")
    deadline = time.monotonic() + 30
    while (r := seeded.get(status_url)).headers.get("x-progress") != "waiting at the gate":
        assert r.status_code == 202 and time.monotonic() < deadline, r.text
        time.sleep(0.01)
    assert r.status_code == 202 and r.headers["retry-after"] == "1"
    gate.set()
    assert finish(seeded, status_url)["output"][0]["count"] == 3


def test_cancel_running_job(seeded: TestClient, gate: threading.Event, backend: Backend) -> None:
    status_url = kick_off(seeded, "/fhir/$export")
    job = status_url.rsplit("/", 1)[1]
    folder = Path(backend.env["CAREHUB_DATA_DIR"]) / "bulk" / job
    assert folder.is_dir()
    assert seeded.get(status_url).status_code == 202
    r = seeded.delete(status_url)
    assert r.status_code == 202, r.text
    assert r.json()["resourceType"] == "OperationOutcome"
    assert not folder.exists()
    assert_outcome(seeded.get(status_url), 404)
    gate.set()
    time.sleep(0.2)  # the worker sees the cancel at its next check and leaves nothing
    assert not folder.exists()
    assert_outcome(seeded.delete(status_url), 404)


def test_cancel_completed_job_removes_files(seeded: TestClient, backend: Backend) -> None:
    status_url = kick_off(seeded, "/fhir/$export")
    manifest = finish(seeded, status_url)
    file_url = manifest["output"][0]["url"].removeprefix("http://testserver")
    assert seeded.get(file_url).status_code == 200
    assert seeded.delete(status_url).status_code == 202
    assert_outcome(seeded.get(status_url), 404)
    assert_outcome(seeded.get(file_url), 404)
    assert list((Path(backend.env["CAREHUB_DATA_DIR"]) / "bulk").iterdir()) == []


def test_status_survives_restart(
    backend: Backend, store: ResourceStore, resources: list[Resource]
) -> None:
    with make_client(backend, store) as first:
        put_all(first, resources)
        status_url = kick_off(first, "/fhir/$export?_type=Patient")
        manifest = finish(first, status_url)
    with make_client(backend, store) as second:
        assert second.get(status_url).json() == manifest
        assert len(download(second, manifest["output"][0]["url"])) == 3


def test_unfinished_job_fails_after_restart(backend: Backend, store: ResourceStore) -> None:
    """A job whose server died (no process holds its lock) is reported failed."""
    bulk_dir = Path(backend.env["CAREHUB_DATA_DIR"]) / "bulk"
    job_id = "ab" * 16
    (bulk_dir / job_id).mkdir(parents=True)
    record = JobRecord(
        job_id,
        "export",
        f"{BASE}/$export",
        "in-progress",
        "2024-01-01T00:00:00Z",
        progress="exporting Patient",
    )
    (bulk_dir / job_id / "job.json").write_bytes(record.to_json())
    with make_client(backend, store) as client:
        body = assert_outcome(client.get(f"/fhir/$bulk-status/{job_id}"), 500, "incomplete")
        assert "stopped before this job finished" in body["issue"][0]["diagnostics"]
        saved = orjson.loads((bulk_dir / job_id / "job.json").read_bytes())
        assert saved["status"] == "failed"
        assert client.delete(f"/fhir/$bulk-status/{job_id}").status_code == 202


class BrokenStore:
    """A store whose every session fails."""

    name = "broken"

    def session(self, *, write: bool = False) -> Any:
        raise RuntimeError("disk on fire at /var/lib/secret")

    def close(self) -> None:
        pass


def test_store_failure_fails_the_job(backend: Backend) -> None:
    with make_client(backend, BrokenStore()) as client:  # type: ignore[arg-type]
        for url in ("/fhir/$export", "/fhir/Patient/$export"):
            r = wait(client, kick_off(client, url))
            body = assert_outcome(r, 500, "exception")
            assert body["issue"][0]["diagnostics"] == "internal error: RuntimeError"
            assert "secret" not in r.text
        assert_outcome(client.get("/fhir/Group/g1/$export", headers=ASYNC), 500, "exception")


def test_capability_statement_lists_bulk_operations(client: TestClient) -> None:
    cs = client.get("/fhir/metadata").json()
    assert "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data" in cs["instantiates"]
    system = {o["name"]: o["definition"] for o in cs["rest"][0]["operation"]}
    assert system["export"] == "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
    assert "import" in system
    by_type = {r["type"]: r for r in cs["rest"][0]["resource"]}
    for rtype, definition in (("Patient", "patient-export"), ("Group", "group-export")):
        ops = {o["name"]: o["definition"] for o in by_type[rtype]["operation"]}
        assert ops["export"].endswith(f"/OperationDefinition/{definition}")
    assert "operation" not in by_type["Observation"]


def test_exported_lines_are_stored_bodies(seeded: TestClient) -> None:
    """Each line is the stored resource, as a read returns it."""
    for entry in finish(seeded, kick_off(seeded, "/fhir/$export?_type=Condition"))["output"]:
        for res in download(seeded, entry["url"]):
            read = seeded.get(f"/fhir/Condition/{res['id']}").json()
            assert res == read
            assert strip_meta(res)["code"]["text"] == "Hypertension — “essential”"
