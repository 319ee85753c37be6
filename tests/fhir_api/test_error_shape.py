"""The one error shape of the FHIR API, locked route by route.

https://hl7.org/fhir/R4/http.html#Status and https://hl7.org/fhir/R4/operationoutcome.html

The route table of the app is walked; every ``/fhir`` route must have a case
below, so a new route without one fails here. Each case provokes an error
(400, 404, 405, 410, 412, 415, 422 and 501 from requests; 409, 503 and 500 from
a store that fails) and checks the response: the expected status,
``application/fhir+json``, and an OperationOutcome whose first issue has a
severity, an issue-type code and diagnostics.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import compile_path

from carehub.app.wiring import build_app
from carehub.errors import Busy, Conflict
from carehub.settings import load_settings

Route = tuple[str, str]  # (path template, method)

#: http://hl7.org/fhir/R4/valueset-issue-type.html
ISSUE_TYPES = frozenset({
    "invalid", "structure", "required", "value", "invariant", "security", "login", "unknown",
    "expired", "forbidden", "suppressed", "processing", "not-supported", "duplicate",
    "multiple-matches", "not-found", "deleted", "too-long", "code-invalid", "extension",
    "too-costly", "business-rule", "conflict", "transient", "lock-error", "no-store",
    "exception", "timeout", "incomplete", "throttled", "informational",
})
PATCH_JSON = {"Content-Type": "application/json-patch+json"}
FHIR = {"Content-Type": "application/fhir+json"}
ASYNC = {"Prefer": "respond-async"}
LONG_ID = "x" * 65
#: routes no request can make fail: they read no input and touch no store
NO_ERROR: frozenset[Route] = frozenset({("/fhir/metadata", "GET")})
#: routes that open no store session while answering (bulk jobs use it later, in the
#: background; a failed job's status is checked in its own test below)
NO_STORE: frozenset[Route] = NO_ERROR | {
    ("/fhir/$export", "GET"),
    ("/fhir/Patient/$export", "GET"),
    ("/fhir/$import", "POST"),
    ("/fhir/$bulk-status/{job_id}", "GET"),
    ("/fhir/$bulk-status/{job_id}", "DELETE"),
    ("/fhir/$bulk-file/{job_id}/{name}", "GET"),
    ("/fhir/CodeSystem/$lookup", "GET"), ("/fhir/CodeSystem/$lookup", "POST"),
    ("/fhir/CodeSystem/$validate-code", "GET"), ("/fhir/CodeSystem/$validate-code", "POST"),
    ("/fhir/ValueSet/$validate-code", "GET"), ("/fhir/ValueSet/$validate-code", "POST"),
    ("/fhir/ValueSet/$expand", "GET"), ("/fhir/ValueSet/$expand", "POST"),
    ("/fhir/Questionnaire/{qid}/$score", "POST"), ("/fhir/QuestionnaireResponse/$score", "POST"),
}


@dataclass(frozen=True)
class Case:
    """One request and the error it must give."""

    method: str
    url: str
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    code: str | None = None

    def send(self, client: TestClient) -> Any:
        content = self.body if isinstance(self.body, bytes | None) else orjson.dumps(self.body)
        headers = self.headers or (FHIR if content is not None else {})
        return client.request(self.method, self.url, content=content, headers=headers)


def patient(id: str | None = None, **extra: Any) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Patient", "name": [{"family": "Trần"}], **extra}
    return res if id is None else {**res, "id": id}


def tx(*entries: dict[str, Any], kind: str = "transaction") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def params(*parts: tuple[str, str, Any]) -> dict[str, Any]:
    """A Parameters resource of (name, value[x] key, value) parts."""
    return {"resourceType": "Parameters",
            "parameter": [{"name": n, key: value} for n, key, value in parts]}


DUP = "identifier=urn:test|dup"
VIEW_REF = ("viewReference", "valueString", "ViewDefinition/patients")
CASES: tuple[Case, ...] = (
    Case("POST", "/fhir", 400, b"{not json"),
    Case("POST", "/fhir", 400, patient()),
    Case("POST", "/fhir", 415, b"<Bundle/>", {"Content-Type": "application/fhir+xml"}),
    Case("POST", "/fhir", 412, tx({"resource": patient("p1"), "request": {
        "method": "PUT", "url": "Patient/p1", "ifMatch": 'W/"1"'}}), code="conflict"),
    Case("POST", "/fhir", 422, tx({"resource": patient(gender="robot"), "request": {
        "method": "POST", "url": "Patient"}})),
    Case("POST", "/fhir/", 400, tx(kind="collection")),
    Case("GET", "/fhir", 405),
    Case("GET", "/fhir/_history?_since=yesterday", 400),
    Case("GET", "/fhir/Patinet", 404),
    Case("GET", "/fhir/Patient?_count=many", 400),
    Case("GET", "/fhir/Patient?_summary=true", 501),
    Case("POST", "/fhir/Patient/_search", 400, {"name": "x"}),
    Case("POST", "/fhir/Patinet/_search", 404, b"", {"Content-Type": "text/plain"}),
    Case("POST", "/fhir/Patient", 422, patient(gender="robot")),
    Case("POST", "/fhir/Patient", 400, b"[1, 2]"),
    Case("POST", "/fhir/Patinet", 404, patient()),
    Case("POST", "/fhir/Patient", 412, patient(), {**FHIR, "If-None-Exist": DUP}),
    Case("PUT", "/fhir/Patient", 400, patient()),
    Case("PUT", f"/fhir/Patient?{DUP}", 412, patient()),
    Case("DELETE", "/fhir/Patient", 400),
    Case("DELETE", f"/fhir/Patient?{DUP}", 412),
    Case("GET", "/fhir/Patinet/_history", 404),
    Case("GET", "/fhir/Patient/_history?_count=-1", 400),
    Case("GET", "/fhir/Patient/nobody/$everything", 404, code="not-found"),
    Case("GET", "/fhir/Patient/gone/$everything", 410, code="deleted"),
    Case("GET", "/fhir/Patient/p1/$everything?_count=0", 400),
    Case("GET", "/fhir/Patient/nobody", 404, code="not-found"),
    Case("GET", "/fhir/Patient/gone", 410, code="deleted"),
    Case("PUT", f"/fhir/Patient/{LONG_ID}", 400, patient(LONG_ID)),
    Case("PUT", "/fhir/Patient/p1", 400, patient("p2")),
    Case("PUT", "/fhir/Patient/p1", 400, b"{not json"),
    Case("PUT", "/fhir/Patient/p1", 422, patient("p1", birthDate="04/05/1970")),
    Case("PUT", "/fhir/Patient/p1", 412, patient("p1"), {**FHIR, "If-Match": 'W/"1"'}),
    Case("PUT", "/fhir/Patient/p1", 400, patient("p1"), {**FHIR, "If-Match": "yesterday"}),
    Case("PATCH", "/fhir/Patient/p1", 400, b"{not json", PATCH_JSON),
    Case("PATCH", "/fhir/Patient/p1", 415, [], FHIR),
    Case("PATCH", "/fhir/Patient/p1", 422, [{"op": "replace", "path": "/gender", "value": 1}],
         PATCH_JSON),
    Case("PATCH", "/fhir/Patient/p1", 412, [], {**PATCH_JSON, "If-Match": 'W/"1"'}),
    Case("DELETE", "/fhir/Patient/p1", 412, headers={"If-Match": 'W/"1"'}),
    Case("DELETE", "/fhir/Patient/nobody", 404),
    Case("GET", "/fhir/Patient/nobody/_history", 404),
    Case("GET", "/fhir/Patient/gone/_history/2", 410, code="deleted"),
    Case("GET", "/fhir/Patient/p1/_history/9", 404),
    Case("POST", "/fhir/Patient/p1", 405, patient("p1"), code="not-supported"),
    Case("PUT", "/fhir/Patient/p1/_history", 405),
    Case("PATCH", "/fhir/metadata", 405),
    Case("GET", "/fhir/Patient/p1/_history/1/more", 404, code="not-found"),
    # bulk data
    Case("GET", "/fhir/$export", 400, code="not-supported"),
    Case("GET", "/fhir/$export?_type=Patinet", 400, headers=ASYNC),
    Case("GET", "/fhir/Patient/$export?_since=soon", 400, headers=ASYNC),
    Case("GET", "/fhir/Group/nobody/$export", 404, headers=ASYNC),
    Case("POST", "/fhir/$import", 400, {"resourceType": "Parameters"}),
    Case("POST", "/fhir/$import", 415, b"<Parameters/>",
         {**ASYNC, "Content-Type": "application/fhir+xml"}),
    Case("GET", "/fhir/$bulk-status/nojob", 404),
    Case("DELETE", "/fhir/$bulk-status/nojob", 404),
    Case("GET", "/fhir/$bulk-file/nojob/Patient.ndjson", 404),
    # SQL-on-FHIR ViewDefinition/$run
    Case("GET", "/fhir/ViewDefinition/$run", 400, code="required"),
    Case("GET", "/fhir/ViewDefinition/$run?group=g", 501),
    Case("POST", "/fhir/ViewDefinition/$run", 400, params(("bogus", "valueString", "x"))),
    Case("POST", "/fhir/ViewDefinition/$run", 422, params(("viewResource", "resource", {
        "resourceType": "ViewDefinition", "resource": "Patient", "status": "active",
        "select": [{"column": [{"name": "x", "path": "name.(("}]}]}))),
    Case("GET", "/fhir/ViewDefinition/nope/$run", 404),
    Case("POST", "/fhir/ViewDefinition/nope/$run", 404, b""),
    Case("POST", "/fhir/ViewDefinition/patients/$run", 400, params(VIEW_REF)),
    # International Patient Summary
    Case("GET", "/fhir/Patient/nobody/$summary", 404, code="not-found"),
    Case("GET", "/fhir/Patient/p1/$summary?_language=fr", 400),
    Case("POST", "/fhir/Patient/gone/$summary", 410, b"", code="deleted"),
    # terminology
    Case("GET", "/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd10&code=I10", 404),
    Case("POST", "/fhir/CodeSystem/$lookup", 400, params(
        ("system", "valueUri", "http://hl7.org/fhir/sid/icd-10")), code="required"),
    Case("GET", "/fhir/CodeSystem/$validate-code?url=http://loinc.org", 400, code="required"),
    Case("POST", "/fhir/CodeSystem/$validate-code", 400, {"resourceType": "Patient"}),
    Case("GET", "/fhir/ValueSet/$validate-code?url=urn:nope&code=x&system=urn:x", 404),
    Case("POST", "/fhir/ValueSet/$validate-code", 415, b"<Parameters/>",
         {"Content-Type": "application/fhir+xml"}),
    Case("GET", "/fhir/ValueSet/$expand", 400, code="required"),
    Case("POST", "/fhir/ValueSet/$expand", 400, params(
        ("url", "valueUri", "http://loinc.org?fhir_vs"), ("count", "valueString", "many"))),
    # self-assessment scoring
    Case("POST", "/fhir/Questionnaire/nope/$score", 404, {"resourceType": "QuestionnaireResponse",
         "status": "completed"}),
    Case("POST", "/fhir/QuestionnaireResponse/$score", 400, b"{not json"),
)

#: a well-formed request per route, sent to an app whose store fails
REQUESTS: dict[Route, Case] = {
    ("/fhir", "POST"): Case("POST", "/fhir", 500, tx(
        {"resource": patient("a"), "request": {"method": "PUT", "url": "Patient/a"}})),
    ("/fhir/", "POST"): Case("POST", "/fhir/", 500, tx(
        {"request": {"method": "GET", "url": "Patient/a"}})),
    ("/fhir/_history", "GET"): Case("GET", "/fhir/_history", 500),
    ("/fhir/{rtype}", "GET"): Case("GET", "/fhir/Patient?name=x", 500),
    ("/fhir/{rtype}/_search", "POST"): Case(
        "POST", "/fhir/Patient/_search", 500, b"name=x",
        {"Content-Type": "application/x-www-form-urlencoded"}),
    ("/fhir/{rtype}", "POST"): Case("POST", "/fhir/Patient", 500, patient()),
    ("/fhir/{rtype}", "PUT"): Case("PUT", f"/fhir/Patient?{DUP}", 500, patient()),
    ("/fhir/{rtype}", "DELETE"): Case("DELETE", f"/fhir/Patient?{DUP}", 500),
    ("/fhir/{rtype}/_history", "GET"): Case("GET", "/fhir/Patient/_history", 500),
    ("/fhir/Patient/{rid}/$everything", "GET"): Case("GET", "/fhir/Patient/a/$everything", 500),
    ("/fhir/{rtype}/{rid}", "GET"): Case("GET", "/fhir/Patient/a", 500),
    ("/fhir/{rtype}/{rid}", "PUT"): Case("PUT", "/fhir/Patient/a", 500, patient("a")),
    ("/fhir/{rtype}/{rid}", "PATCH"): Case("PATCH", "/fhir/Patient/a", 500, [], PATCH_JSON),
    ("/fhir/{rtype}/{rid}", "DELETE"): Case("DELETE", "/fhir/Patient/a", 500),
    ("/fhir/{rtype}/{rid}/_history", "GET"): Case("GET", "/fhir/Patient/a/_history", 500),
    ("/fhir/{rtype}/{rid}/_history/{vid}", "GET"): Case("GET", "/fhir/Patient/a/_history/1", 500),
    ("/fhir/Group/{gid}/$export", "GET"): Case("GET", "/fhir/Group/g/$export", 500, None, ASYNC),
    ("/fhir/ViewDefinition/$run", "GET"): Case(
        "GET", "/fhir/ViewDefinition/$run?viewReference=ViewDefinition/patients", 500),
    ("/fhir/ViewDefinition/$run", "POST"): Case(
        "POST", "/fhir/ViewDefinition/$run", 500, params(VIEW_REF)),
    ("/fhir/ViewDefinition/{name}/$run", "GET"): Case(
        "GET", "/fhir/ViewDefinition/patients/$run", 500),
    ("/fhir/ViewDefinition/{name}/$run", "POST"): Case(
        "POST", "/fhir/ViewDefinition/patients/$run", 500, b""),
    ("/fhir/Patient/{rid}/$summary", "GET"): Case("GET", "/fhir/Patient/a/$summary", 500),
    ("/fhir/Patient/{rid}/$summary", "POST"): Case("POST", "/fhir/Patient/a/$summary", 500, b""),
}


def fhir_routes(app: FastAPI) -> list[tuple[str, frozenset[str], re.Pattern[str]]]:
    """(path, methods, path regex) of every route under /fhir, in matching order.

    Included routers are walked whether the framework lists their routes flat
    or keeps them behind an included-router object.
    """
    out: list[tuple[str, frozenset[str], re.Pattern[str]]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes, prefix + getattr(route.include_context, "prefix", ""))
            elif hasattr(route, "methods") and (prefix + route.path).startswith("/fhir"):
                path = prefix + route.path
                out.append((path, frozenset(route.methods), compile_path(path)[0]))

    walk(list(app.routes), "")
    return out


def served_by(app: FastAPI, case: Case) -> tuple[Route | None, str | None]:
    """The route that answers ``case`` (first full match), and the first path that
    matched at all (which answers 405 when no route has the method)."""
    path = case.url.split("?")[0]
    matched_path = None
    for route_path, methods, regex in fhir_routes(app):
        if regex.match(path):
            if case.method in methods:
                return (route_path, case.method), route_path
            matched_path = matched_path or route_path
    return None, matched_path


def assert_error_shape(response: Any, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    first = body["issue"][0]
    assert first["severity"] in ("fatal", "error"), first
    assert first["code"] in ISSUE_TYPES, first
    assert isinstance(first["diagnostics"], str) and first["diagnostics"].strip(), first
    if code is not None:
        assert first["code"] == code, first


@pytest.fixture
def seeded(client: TestClient) -> TestClient:
    """p1 at version 2, 'gone' deleted (version 2), two patients sharing an identifier."""
    for _ in range(2):
        assert client.put("/fhir/Patient/p1", json=patient("p1"), headers=FHIR).is_success
    assert client.put("/fhir/Patient/gone", json=patient("gone"), headers=FHIR).is_success
    assert client.delete("/fhir/Patient/gone").status_code == 204
    for _ in range(2):
        dup = patient(identifier=[{"system": "urn:test", "value": "dup"}])
        assert client.post("/fhir/Patient", json=dup, headers=FHIR).status_code == 201
    return client


def test_every_error_is_an_operation_outcome(seeded: TestClient) -> None:
    app = seeded.app
    assert isinstance(app, FastAPI)
    hit: set[Route] = set()
    paths: set[str] = set()
    for case in CASES:
        route, path = served_by(app, case)
        if route is not None:
            hit.add(route)
        elif path is None:
            assert case.status == 404, case  # no route at all
        else:
            assert case.status == 405, case
        paths.add(path or "")
        assert_error_shape(case.send(seeded), case.status, case.code)
    routes = {(p, m) for p, methods, _ in fhir_routes(app) for m in methods}
    assert hit | NO_ERROR == routes, sorted(routes - hit)
    assert {p for p, _ in routes} <= paths
    statuses = {c.status for c in CASES}
    assert {400, 404, 405, 410, 412, 415, 422} <= statuses


class BrokenStore:
    """A store whose every session fails with ``error``."""

    name = "broken"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def session(self, *, write: bool = False) -> Any:
        raise self.error

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (RuntimeError("disk on fire at /var/lib/secret"), 500, "exception"),
        (Conflict("a concurrent write won"), 409, "conflict"),
        (Busy("the database is busy"), 503, "transient"),
    ],
)
def test_store_failures_are_outcomes(
    error: Exception, status: int, code: str, tmp_path: Path
) -> None:
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path), "CAREHUB_AUTH": "off"})
    app = build_app(settings, BrokenStore(error))  # type: ignore[arg-type]
    routes = {(p, m) for p, methods, _ in fhir_routes(app) for m in methods}
    assert set(REQUESTS) | NO_STORE == routes, sorted(routes - set(REQUESTS) - NO_STORE)
    with TestClient(app, raise_server_exceptions=False) as client:
        for route, case in REQUESTS.items():
            assert served_by(app, case)[0] == route, case
            r = case.send(client)
            assert_error_shape(r, status, code)
            assert "secret" not in r.text  # an unexpected error's details stay in the log
        assert client.get("/fhir/metadata").status_code == 200


def test_failed_bulk_job_status_is_a_500_outcome(tmp_path: Path) -> None:
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path), "CAREHUB_AUTH": "off"})
    broken = BrokenStore(RuntimeError("disk on fire at /var/lib/secret"))
    app = build_app(settings, broken)  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as client:
        kick_off = client.get("/fhir/$export", headers=ASYNC)
        assert kick_off.status_code == 202, kick_off.text
        status_url = kick_off.headers["content-location"].removeprefix("http://testserver")
        assert served_by(app, Case("GET", status_url, 500))[0] == (
            "/fhir/$bulk-status/{job_id}", "GET")
        deadline = time.monotonic() + 30
        while (r := client.get(status_url)).status_code == 202 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert_error_shape(r, 500)
        assert "secret" not in r.text
