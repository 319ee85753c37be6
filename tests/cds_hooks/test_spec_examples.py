"""Our discovery document and cards against the CDS Hooks 2.0 specification and its examples.

The examples (``tests/fixtures/cds_hooks``, see its SOURCES.md) are run through
the same checks as our own output; the two examples that contradict the
specification's tables are named exclusions.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from carehub.cds_hooks.feedback import parse_feedback
from carehub.cds_hooks.models import (
    INDICATORS,
    SUMMARY_MAX,
    action_from_json,
    card_from_json,
    parse_request,
)
from carehub.cds_hooks.prefetch import check_template, render, resources_of, split_prefetch
from carehub.errors import Incorrect
from tests.cds_hooks.conftest import (
    condition,
    hook_request,
    lab,
    medication_order,
    patient,
    searchset,
    spec_example,
)

SERVICE_FIELDS = {"hook", "title", "description", "id", "prefetch", "usageRequirements",
                  "extension"}


def check_discovery(doc: Any) -> None:
    """The discovery response rules: services array; hook, description, id required."""
    assert isinstance(doc, dict) and isinstance(doc["services"], list)
    for service in doc["services"]:
        for required in ("hook", "description", "id"):
            assert isinstance(service.get(required), str) and service[required], required
        assert set(service) <= SERVICE_FIELDS
        for template in (service.get("prefetch") or {}).values():
            check_template(template)


def check_response(doc: Any) -> None:
    """The response rules: a cards array of valid cards (and valid systemActions)."""
    assert isinstance(doc["cards"], list)
    for card in doc["cards"]:
        parsed = card_from_json(card)
        assert len(parsed.summary) < SUMMARY_MAX and parsed.indicator in INDICATORS
        assert parsed.to_json() == card  # nothing lost or invented
    for action in doc.get("systemActions") or ():
        action_from_json(action)


@pytest.mark.parametrize("name", ["discovery.json", "discovery_extension.json"])
def test_spec_discovery_examples_pass_our_checks(name: str) -> None:
    check_discovery(spec_example(name))


def test_our_discovery_follows_the_spec(client: TestClient) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    doc = response.json()
    check_discovery(doc)
    hooks = {s["id"]: s["hook"] for s in doc["services"]}
    assert hooks == {"carehub-screening": "patient-view",
                     "carehub-renal-prescribing": "order-sign"}
    assert all(s["title"] for s in doc["services"])


@pytest.mark.parametrize("name", ["response.json", "response_empty.json"])
def test_spec_response_examples_pass_our_card_checks(name: str) -> None:
    check_response(spec_example(name))


def test_spec_source_actions_and_override_reasons_parse() -> None:
    card = {"summary": "s", "indicator": "info", **spec_example("source.json"),
            **spec_example("override_reasons.json")}
    assert card_from_json(card).source.topic is not None
    kinds = [action_from_json(a).type for a in spec_example("actions.json")]
    assert kinds == ["create", "update", "delete"]


def test_exclusion_autolaunchable_example_lacks_required_indicator() -> None:
    with pytest.raises(Incorrect, match="indicator is required"):
        check_response(spec_example("response_autolaunchable.json"))


def test_exclusion_system_action_example_lacks_required_description() -> None:
    doc = spec_example("response_system_actions.json")
    with pytest.raises(Incorrect, match="description"):
        check_response(doc)


def test_spec_request_example_parses() -> None:
    body = spec_example("request_patient_view.json")
    request = parse_request(body, "patient-view")
    assert request.patient_id == "1288992"
    assert request.fhir_authorization is not None
    assert request.fhir_authorization.access_token == "some-opaque-fhir-access-token"
    templates = {"patientToGreet": "Patient/{{context.patientId}}"}
    satisfied, missing = split_prefetch(templates, request.prefetch)
    assert missing == [] and satisfied["patientToGreet"]["birthDate"] == "1925-12-23"


def test_exclusion_extension_request_example_lacks_patient_id() -> None:
    with pytest.raises(Incorrect, match=r"context\.patientId is required"):
        parse_request(spec_example("request_extension.json"))


def test_spec_order_sign_example_parses() -> None:
    body = {"hook": "order-sign", "hookInstance": "x", **spec_example("order_sign_context.json")}
    request = parse_request(body, "order-sign")
    kinds = [r["resourceType"] for r in resources_of(request.context["draftOrders"])]
    assert kinds == ["NutritionOrder", "MedicationRequest"]


def test_spec_prefetch_templates_render() -> None:
    templates = spec_example("prefetch_templates.json")["prefetch"]
    context = {"patientId": "123", "userId": "PractitionerRole/r9"}
    rendered = {k: render(t, context) for k, t in templates.items()}
    assert rendered["patient"] == "Patient/123"
    assert rendered["hemoglobin-a1c"].startswith("Observation?patient=123&code=4548-4")
    assert rendered["user"] == "PractitionerRole?_id=r9"
    data = spec_example("prefetch_data.json")["prefetch"]
    satisfied, missing = split_prefetch(templates, data)
    assert missing == ["diabetes-type2"]
    assert [r["resourceType"] for r in resources_of(satisfied["hemoglobin-a1c"])] == ["Observation"]


@pytest.mark.parametrize("name", ["feedback_accepted.json", "feedback_overridden.json",
                                  "feedback_override_reason.json"])
def test_spec_feedback_examples_parse(name: str) -> None:
    entries = parse_feedback("svc", spec_example(name))
    assert len(entries) == 1 and entries[0].outcome in ("accepted", "overridden")


def test_our_patient_view_cards_follow_the_spec(client: TestClient) -> None:
    prefetch = {"patient": patient(), "conditions": searchset(condition("c1", "E11.9")),
                "observations": searchset(), "medications": None, "procedures": None,
                "imaging": None, "responses": None}
    body = hook_request("patient-view", {"userId": "Practitioner/a", "patientId": "p1"},
                        prefetch)
    response = client.post("/cds-services/carehub-screening", json=body)
    assert response.status_code == 200, response.text
    doc = response.json()
    check_response(doc)
    assert doc["cards"]


def test_our_order_sign_cards_follow_the_spec(client: TestClient) -> None:
    orders = searchset(medication_order("m1", "Metformin 500 mg tablet", "A10BA02"),
                       medication_order("m2", "Ibuprofen 400 mg", "M01AE01"))
    context = {"userId": "Practitioner/a", "patientId": "p1", "draftOrders": orders}
    prefetch = {"patient": patient(),
                "labs": searchset(lab("e1", "98979-8", 25, "mL/min/{1.73_m2}", "2025-01-10")),
                "conditions": searchset(condition("c1", "E11.9"))}
    response = client.post("/cds-services/carehub-renal-prescribing",
                           json=hook_request("order-sign", context, prefetch))
    assert response.status_code == 200, response.text
    doc = response.json()
    check_response(doc)
    assert len(doc["cards"]) >= 3
    for card in doc["cards"]:
        if card.get("suggestions"):
            assert card["selectionBehavior"] in ("at-most-one", "any")
        assert all(link["type"] == "absolute" for link in card.get("links", []))
