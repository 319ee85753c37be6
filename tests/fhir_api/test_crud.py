"""create, read, vread, update, delete, patch and their HTTP semantics."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.fhir_api.conftest import FHIR, assert_outcome, post

PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "name": [{"family": "Nguyễn", "given": ["Văn", "An"]}],
    "gender": "male",
    "birthDate": "1970-05-04",
}


def test_create_assigns_id_version_and_headers(client: TestClient) -> None:
    r = client.post("/fhir/Patient", json={**PATIENT, "id": "client-id"}, headers=FHIR)
    assert r.status_code == 201
    body = r.json()
    assert body["id"] != "client-id"
    assert body["meta"]["versionId"] == "1"
    assert body["meta"]["lastUpdated"].endswith("Z")
    assert r.headers["etag"] == 'W/"1"'
    assert r.headers["location"].endswith(f"/fhir/Patient/{body['id']}/_history/1")
    assert "GMT" in r.headers["last-modified"]
    got = client.get(f"/fhir/Patient/{body['id']}")
    assert got.status_code == 200
    assert got.json() == body
    assert got.headers["etag"] == 'W/"1"'


def test_read_unknown_is_404_and_unknown_type_suggests(client: TestClient) -> None:
    assert_outcome(client.get("/fhir/Patient/nope"), 404, "not-found")
    body = assert_outcome(client.get("/fhir/Patinet/1"), 404)
    assert "Did you mean 'Patient'" in body["issue"][0]["diagnostics"]


def test_update_versions_and_vread(client: TestClient) -> None:
    created = post(client, "Patient", PATIENT)
    pid = created["id"]
    changed = {**created, "gender": "female"}
    r = client.put(f"/fhir/Patient/{pid}", json=changed, headers=FHIR)
    assert r.status_code == 200
    assert r.json()["meta"]["versionId"] == "2"
    v1 = client.get(f"/fhir/Patient/{pid}/_history/1").json()
    assert v1["gender"] == "male" and v1["meta"]["versionId"] == "1"
    assert client.get(f"/fhir/Patient/{pid}").json()["gender"] == "female"
    assert_outcome(client.get(f"/fhir/Patient/{pid}/_history/9"), 404)


def test_create_on_update_with_client_id(client: TestClient) -> None:
    r = client.put("/fhir/Patient/vn-001", json={**PATIENT, "id": "vn-001"}, headers=FHIR)
    assert r.status_code == 201
    assert r.headers["location"].endswith("/Patient/vn-001/_history/1")
    assert client.get("/fhir/Patient/vn-001").status_code == 200


def test_update_id_mismatch_and_missing_id_are_400(client: TestClient) -> None:
    assert_outcome(client.put("/fhir/Patient/a", json={**PATIENT, "id": "b"}, headers=FHIR), 400)
    assert_outcome(client.put("/fhir/Patient/a", json=PATIENT, headers=FHIR), 400)
    assert client.get("/fhir/Patient/a").status_code == 404


def test_if_match_optimistic_locking(client: TestClient) -> None:
    created = post(client, "Patient", PATIENT)
    pid = created["id"]
    ok = client.put(f"/fhir/Patient/{pid}", json=created, headers={**FHIR, "If-Match": 'W/"1"'})
    assert ok.status_code == 200
    stale = client.put(f"/fhir/Patient/{pid}", json=created, headers={**FHIR, "If-Match": 'W/"1"'})
    assert_outcome(stale, 412, "conflict")
    assert client.get(f"/fhir/Patient/{pid}").json()["meta"]["versionId"] == "2"


def test_delete_then_gone_and_history_kept(client: TestClient) -> None:
    pid = post(client, "Patient", PATIENT)["id"]
    assert client.delete(f"/fhir/Patient/{pid}").status_code == 204
    assert_outcome(client.get(f"/fhir/Patient/{pid}"), 410, "deleted")
    assert client.delete(f"/fhir/Patient/{pid}").status_code == 204
    hist = client.get(f"/fhir/Patient/{pid}/_history").json()
    assert [e["request"]["method"] for e in hist["entry"]] == ["DELETE", "POST"]
    assert client.get(f"/fhir/Patient/{pid}/_history/1").status_code == 200
    assert_outcome(client.get(f"/fhir/Patient/{pid}/_history/2"), 410)
    # re-create after delete
    again = client.put(f"/fhir/Patient/{pid}", json={**PATIENT, "id": pid}, headers=FHIR)
    assert again.status_code == 201
    assert again.json()["meta"]["versionId"] == "3"


def test_prefer_return(client: TestClient) -> None:
    minimal = client.post(
        "/fhir/Patient", json=PATIENT, headers={**FHIR, "Prefer": "return=minimal"}
    )
    assert minimal.status_code == 201 and minimal.content == b""
    assert minimal.headers["location"]
    oo = client.post(
        "/fhir/Patient", json=PATIENT, headers={**FHIR, "Prefer": "return=OperationOutcome"}
    )
    assert oo.status_code == 201 and oo.json()["resourceType"] == "OperationOutcome"
    full = client.post(
        "/fhir/Patient", json=PATIENT, headers={**FHIR, "Prefer": "return=representation"}
    )
    assert full.json()["resourceType"] == "Patient"


def test_json_patch(client: TestClient) -> None:
    pid = post(client, "Patient", PATIENT)["id"]
    ops = [
        {"op": "replace", "path": "/gender", "value": "female"},
        {"op": "add", "path": "/name/0/given/-", "value": "Bình"},
    ]
    r = client.patch(
        f"/fhir/Patient/{pid}", json=ops, headers={"Content-Type": "application/json-patch+json"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["gender"] == "female" and body["name"][0]["given"][-1] == "Bình"
    assert body["meta"]["versionId"] == "2"
    hist = client.get(f"/fhir/Patient/{pid}/_history").json()
    assert hist["entry"][0]["request"]["method"] == "PATCH"


def test_json_patch_errors_keep_the_resource(client: TestClient) -> None:
    pid = post(client, "Patient", PATIENT)["id"]
    hdr = {"Content-Type": "application/json-patch+json"}
    bad_path = [{"op": "replace", "path": "/nope/0", "value": 1}]
    assert_outcome(client.patch(f"/fhir/Patient/{pid}", json=bad_path, headers=hdr), 422)
    bad_value = [{"op": "replace", "path": "/gender", "value": "robot"}]
    assert_outcome(client.patch(f"/fhir/Patient/{pid}", json=bad_value, headers=hdr), 422)
    change_id = [{"op": "replace", "path": "/id", "value": "other"}]
    assert_outcome(client.patch(f"/fhir/Patient/{pid}", json=change_id, headers=hdr), 422)
    wrong_type = client.patch(f"/fhir/Patient/{pid}", json=bad_path, headers=FHIR)
    assert_outcome(wrong_type, 415)
    assert client.get(f"/fhir/Patient/{pid}").json()["meta"]["versionId"] == "1"


def test_conditional_create(client: TestClient) -> None:
    pat = {**PATIENT, "identifier": [{"system": "urn:vn:cccd", "value": "001070000001"}]}
    cond = {"If-None-Exist": "identifier=urn:vn:cccd|001070000001"}
    first = client.post("/fhir/Patient", json=pat, headers={**FHIR, **cond})
    assert first.status_code == 201
    second = client.post("/fhir/Patient", json=pat, headers={**FHIR, **cond})
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    client.post("/fhir/Patient", json=pat, headers=FHIR)
    third = client.post("/fhir/Patient", json=pat, headers={**FHIR, **cond})
    assert_outcome(third, 412)
    unknown = client.post("/fhir/Patient", json=pat, headers={**FHIR, "If-None-Exist": "bogus=1"})
    assert_outcome(unknown, 400)


def test_conditional_update_and_delete(client: TestClient) -> None:
    pat = {**PATIENT, "identifier": [{"system": "urn:vn:bhyt", "value": "DN4010123456789"}]}
    url = "/fhir/Patient?identifier=urn:vn:bhyt|DN4010123456789"
    created = client.put(url, json=pat, headers=FHIR)
    assert created.status_code == 201
    pid = created.json()["id"]
    updated = client.put(url, json={**pat, "gender": "female"}, headers=FHIR)
    assert updated.status_code == 200 and updated.json()["id"] == pid
    assert updated.json()["meta"]["versionId"] == "2"
    assert client.delete(url).status_code == 204
    assert client.get(f"/fhir/Patient/{pid}").status_code == 410


def test_invalid_resources_rejected_and_nothing_written(client: TestClient) -> None:
    bad = {**PATIENT, "gender": "robot"}
    body = assert_outcome(client.post("/fhir/Patient", json=bad, headers=FHIR), 422)
    assert any("Patient.gender" in e for i in body["issue"] for e in i.get("expression", []))
    unknown_el = {**PATIENT, "favouriteColour": "blue"}
    assert_outcome(client.post("/fhir/Patient", json=unknown_el, headers=FHIR), 422)
    assert_outcome(client.post("/fhir/Patient", content=b"{not json", headers=FHIR), 400)
    assert_outcome(client.post("/fhir/Patient", json=[1, 2], headers=FHIR), 400)
    wrong = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    assert_outcome(client.post("/fhir/Patient", json=wrong, headers=FHIR), 400)
    xml = client.post(
        "/fhir/Patient", content=b"<Patient/>", headers={"Content-Type": "application/fhir+xml"}
    )
    assert_outcome(xml, 415)
    total = client.get("/fhir/Patient?_summary=count").json()["total"]
    assert total == 0


def test_invalid_update_keeps_previous_version(client: TestClient) -> None:
    created = post(client, "Patient", PATIENT)
    pid = created["id"]
    bad = {**created, "birthDate": "04/05/1970"}
    assert_outcome(client.put(f"/fhir/Patient/{pid}", json=bad, headers=FHIR), 422)
    got = client.get(f"/fhir/Patient/{pid}").json()
    assert got["birthDate"] == "1970-05-04" and got["meta"]["versionId"] == "1"


def test_history_type_and_system_with_since_and_count(client: TestClient) -> None:
    ids = [post(client, "Patient", PATIENT)["id"] for _ in range(3)]
    first = client.get(f"/fhir/Patient/{ids[0]}").json()
    upd = client.put(f"/fhir/Patient/{ids[0]}", json=first, headers=FHIR).json()
    post(client, "Organization", {"resourceType": "Organization", "name": "Bệnh viện Bạch Mai"})
    th = client.get("/fhir/Patient/_history").json()
    assert th["type"] == "history" and len(th["entry"]) == 4
    sh = client.get("/fhir/_history?_count=2").json()
    assert len(sh["entry"]) == 2
    assert sh["entry"][0]["resource"]["resourceType"] == "Organization"
    nxt = next(link["url"] for link in sh["link"] if link["relation"] == "next")
    page2 = client.get(nxt.replace("http://testserver", "")).json()
    assert len(page2["entry"]) == 2
    seen = {e["fullUrl"] + e["response"]["etag"] for e in sh["entry"] + page2["entry"]}
    assert len(seen) == 4
    since = upd["meta"]["lastUpdated"]
    recent = client.get(f"/fhir/_history?_since={since}").json()
    assert len(recent["entry"]) == 2
    assert_outcome(client.get("/fhir/_history?_since=yesterday"), 400)
