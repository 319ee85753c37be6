"""The CDS Hooks HTTP API: errors, prefetch fallback to the FHIR server, feedback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from carehub.cds_hooks.feedback import JsonlFeedbackStore, MemoryFeedbackStore, parse_feedback
from carehub.cds_hooks.fhir_fetch import FetchSettings
from tests.cds_hooks.conftest import (
    condition,
    hook_request,
    lab,
    medication_order,
    patient,
    searchset,
    spec_example,
)

PV = "/cds-services/carehub-screening"
OS = "/cds-services/carehub-renal-prescribing"
PV_CONTEXT = {"userId": "Practitioner/a", "patientId": "p1"}


def _issue(response: httpx.Response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return str(body["issue"][0]["diagnostics"])


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"hook": "patient-view", "context": PV_CONTEXT}, 400, "hookInstance is required"),
        ({"hook": "patient-veiw", "hookInstance": "x", "context": PV_CONTEXT}, 400,
         "unknown hook 'patient-veiw' Did you mean 'patient-view'?"),
        ({"hook": "order-sign", "hookInstance": "x", "context": PV_CONTEXT}, 400,
         "this service answers hook 'patient-view', not 'order-sign'"),
        ({"hook": "patient-view", "hookInstance": "x", "context": {"userId": "Practitioner/a"}},
         400, "context.patientId is required for hook patient-view"),
        ({"hook": "patient-view", "hookInstance": "x", "context": []}, 400,
         "context must be a JSON object"),
        ([1, 2], 400, "must be a JSON object"),
        ({"hook": "patient-view", "hookInstance": "x", "context": PV_CONTEXT,
          "fhirAuthorization": spec_example("fhir_authorization.json")["fhirAuthorization"]},
         400, "fhirServer is required when fhirAuthorization is given"),
    ],
)
def test_bad_requests_get_400_with_a_clear_message(
    client: TestClient, body: Any, status: int, message: str
) -> None:
    response = client.post(PV, json=body)
    assert response.status_code == status
    assert message in _issue(response)


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(PV, content=b'{"hook": "patient-view",',
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "malformed JSON" in _issue(response)


def test_unknown_service_is_404_with_suggestion(client: TestClient) -> None:
    response = client.post("/cds-services/carehub-screenin", json={})
    assert response.status_code == 404
    assert "Did you mean 'carehub-screening'?" in _issue(response)


def test_order_sign_draft_orders_must_be_a_bundle(client: TestClient) -> None:
    context = {**PV_CONTEXT, "draftOrders": {"resourceType": "MedicationRequest"}}
    response = client.post(OS, json=hook_request("order-sign", context))
    assert response.status_code == 400
    assert "context.draftOrders must be a FHIR Bundle" in _issue(response)


def test_missing_prefetch_without_fhir_server_is_412(client: TestClient) -> None:
    response = client.post(PV, json=hook_request("patient-view", PV_CONTEXT, {"patient": None}))
    assert response.status_code == 412
    assert "no fhirServer" in _issue(response)


def _fake_fhir(seen: list[httpx.Request], resources: list[dict[str, Any]],
               status: int = 200) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if status != 200:
            return httpx.Response(status, json={"resourceType": "OperationOutcome"})
        path = request.url.path.removeprefix("/fhir/")
        rtype, _, rid = path.partition("/")
        if rid:
            found = [r for r in resources if r["resourceType"] == rtype and r["id"] == rid]
            return httpx.Response(200, json=found[0]) if found else httpx.Response(404)
        return httpx.Response(200, json=searchset(*[r for r in resources
                                                     if r["resourceType"] == rtype]))

    return httpx.MockTransport(handle)


def test_fhir_server_fallback_sends_the_bearer_token(
    make_client: Callable[..., TestClient]
) -> None:
    seen: list[httpx.Request] = []
    data = [patient(), condition("c1", "E11.9")]
    client = make_client(FetchSettings(transport=_fake_fhir(seen, data)))
    body = spec_example("request_patient_view.json")
    body.update(fhirServer="https://ehr.example/fhir", prefetch={"patient": patient()},
                context=PV_CONTEXT)
    response = client.post(PV, json=body)
    assert response.status_code == 200, response.text
    assert {r.headers["Authorization"] for r in seen} == {"Bearer some-opaque-fhir-access-token"}
    paths = sorted(f"{r.url.path}?{r.url.query.decode()}" for r in seen)
    assert "/fhir/Condition?patient=p1" in paths
    assert not any(p.startswith("/fhir/Patient/") for p in paths)  # prefetched
    titles = [c["summary"] for c in response.json()["cards"]]
    assert any("ACR" in t for t in titles)


def test_fhir_server_refusing_gives_412(make_client: Callable[..., TestClient]) -> None:
    seen: list[httpx.Request] = []
    client = make_client(FetchSettings(transport=_fake_fhir(seen, [], status=401)))
    body = hook_request("patient-view", PV_CONTEXT, fhirServer="https://ehr.example/fhir")
    response = client.post(PV, json=body)
    assert response.status_code == 412
    assert "answered 401" in _issue(response)


def test_fallback_against_carehubs_own_fhir_api(
    make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    from carehub.app.wiring import build_app
    from carehub.settings import load_settings

    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path), "CAREHUB_STORAGE": "sqlite",
                              "CAREHUB_AUTH": "off"})
    fhir_app = build_app(settings)
    with TestClient(fhir_app) as fhir:
        for resource in (patient(), lab("e1", "98979-8", 22, "mL/min/{1.73_m2}", "2025-02-01"),
                         condition("c1", "E11.9")):
            put = fhir.put(f"/fhir/{resource['resourceType']}/{resource['id']}", json=resource)
            assert put.status_code in (200, 201), put.text
        client = make_client(FetchSettings(transport=httpx.ASGITransport(app=fhir_app)))
        orders = searchset(medication_order("m1", "Metformin 850 mg tablet"))
        body = hook_request("order-sign", {**PV_CONTEXT, "draftOrders": orders},
                            fhirServer="http://carehub.test/fhir")
        response = client.post(OS, json=body)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert cards[0]["indicator"] == "critical"
    assert "eGFR 22" in cards[0]["summary"]


def test_feedback_is_stored(client: TestClient, feedback_store: MemoryFeedbackStore) -> None:
    for name in ("feedback_accepted.json", "feedback_override_reason.json"):
        response = client.post(f"{PV}/feedback", json=spec_example(name))
        assert response.status_code == 200
    stored = feedback_store.all()
    assert [f.outcome for f in stored] == ["accepted", "overridden"]
    assert stored[0].accepted_suggestions == ("e56e1945-20b3-4393-8503-a1a20fd73152",)
    assert stored[1].override_reason is not None


def test_bad_feedback_is_400(client: TestClient) -> None:
    bad = {"feedback": [{"card": "c", "outcome": "liked", "outcomeTimestamp": "2020-01-01"}]}
    response = client.post(f"{PV}/feedback", json=bad)
    assert response.status_code == 400
    assert "feedback[0].outcome must be accepted or overridden" in _issue(response)
    assert client.post("/cds-services/nope/feedback", json=bad).status_code == 404


def test_jsonl_feedback_store_round_trips(tmp_path: Path) -> None:
    store = JsonlFeedbackStore(tmp_path / "cds" / "feedback.jsonl")
    entries = parse_feedback("svc", spec_example("feedback_accepted.json"))
    store.add(entries)
    assert store.all() == entries
