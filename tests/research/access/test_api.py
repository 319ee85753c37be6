"""``/research``: researchers submit, data stewards decide, scopes enforced, every step audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.security.conftest import make_app, token

REQUEST = {"project": "dm-2026", "title": "Diabetes outcomes", "purpose": "T2DM outcomes",
           "protocol": "v1.0", "ethics_approval": "IRB-2026-014", "cohort": "t2dm_adults"}
RESEARCHER = "carehub.research openid"
STEWARD = "carehub.research.steward openid"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    built, store = make_app(tmp_path)
    yield built
    store.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def as_(app: FastAPI, who: str, scopes: str) -> dict[str, str]:
    return token(app, scopes, subject=who)


def audit(app: FastAPI) -> list[tuple[str, str, str]]:
    app.state.audit.flush()
    events = reversed(app.state.audit.trail.search(count=200))
    return [(e["subtype"][0]["code"], e["agent"][0]["who"]["identifier"]["value"], e["outcome"])
            for e in events if e.get("subtype")]


def outcome(response: Any, status: int, text: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert text in body["issue"][0]["diagnostics"]


def test_submit_then_approve(app: FastAPI, client: TestClient) -> None:
    an = as_(app, "dr.an", RESEARCHER)
    made = client.post("/research/requests", json=REQUEST, headers=an)
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["status"], body["requester"], body["ethics_approval"]) == (
        "submitted", "dr.an", "IRB-2026-014")
    rid = body["id"]
    # a researcher cannot reach the steward routes
    r = client.post(f"/research/steward/requests/{rid}/approve", json={}, headers=an)
    assert r.status_code == 403
    binh = as_(app, "steward.binh", STEWARD)
    r = client.post(f"/research/steward/requests/{rid}/approve", json={"note": "ok"}, headers=binh)
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert r.json()["decided_by"] == "steward.binh"
    outcome(client.post(f"/research/steward/requests/{rid}/reject", json={"note": "late"},
                        headers=binh), 409, "already approved")
    assert client.get(f"/research/requests/{rid}", headers=an).json()["status"] == "approved"
    assert audit(app) == [("submit", "dr.an", "0"), ("approve", "steward.binh", "0"),
                          ("reject", "steward.binh", "4")]


def test_bad_requests_store_nothing(app: FastAPI, client: TestClient) -> None:
    an = as_(app, "dr.an", RESEARCHER)
    missing = {k: v for k, v in REQUEST.items() if k != "ethics_approval"}
    outcome(client.post("/research/requests", json=missing, headers=an), 400,
            "ethics_approval: required")
    outcome(client.post("/research/requests", content=b"{no", headers=an), 400, "not JSON")
    outcome(client.post("/research/requests", json={**REQUEST, "data": "all"}, headers=an), 400,
            "data: unknown field")
    assert client.get("/research/requests", headers=an).json() == {"requests": []}
    outcome(client.get("/research/requests/rq-nope", headers=an), 404, "no research access")
    assert audit(app) == [("submit", "dr.an", "4")] * 2  # the JSON error never reached a step


def test_stewards_decide_others_requests_only(app: FastAPI, client: TestClient) -> None:
    both = as_(app, "dr.chi", f"{RESEARCHER} carehub.research.steward")
    rid = client.post("/research/requests", json=REQUEST, headers=both).json()["id"]
    outcome(client.post(f"/research/steward/requests/{rid}/approve", json={}, headers=both),
            403, "cannot decide their own request")
    binh = as_(app, "steward.binh", STEWARD)
    outcome(client.post(f"/research/steward/requests/{rid}/reject", json={}, headers=binh),
            400, "a rejection needs a reason")
    r = client.post(f"/research/steward/requests/{rid}/reject", json={"note": "no consent"},
                    headers=binh)
    assert r.status_code == 200 and r.json()["decision_note"] == "no consent"


def test_researchers_see_their_own_requests(app: FastAPI, client: TestClient) -> None:
    an, dung = as_(app, "dr.an", RESEARCHER), as_(app, "dr.dung", RESEARCHER)
    mine = client.post("/research/requests", json=REQUEST, headers=an).json()["id"]
    client.post("/research/requests", json=REQUEST, headers=dung)
    assert [r["id"] for r in client.get("/research/requests", headers=an).json()["requests"]] == [
        mine]
    outcome(client.get(f"/research/requests/{mine}", headers=dung), 403, "only its requester")
    steward = as_(app, "steward.binh", STEWARD)
    assert len(client.get("/research/requests", headers=steward).json()["requests"]) == 2


def test_without_a_research_scope_everything_is_refused(app: FastAPI, client: TestClient) -> None:
    clinician = token(app, "user/*.cruds openid")
    assert client.post("/research/requests", json=REQUEST, headers=clinician).status_code == 403
    assert client.get("/research/requests").status_code == 401


def test_roles_grant_the_research_scopes() -> None:
    from carehub.security.roles import role

    assert role("researcher").scopes.has("carehub.research")
    assert role("data_steward").scopes.has("carehub.research.steward")
    assert not role("researcher").scopes.has("carehub.research.steward")
