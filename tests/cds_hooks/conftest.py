"""Fixtures of the CDS Hooks tests: spec examples, a patient record, an app with the router."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.cds_hooks.feedback import MemoryFeedbackStore
from carehub.cds_hooks.fhir_fetch import FetchSettings
from carehub.cds_hooks.router import cds_hooks_router
from carehub.fhir_api.errors import install_error_handlers

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cds_hooks"
TODAY = datetime.date(2025, 3, 1)
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
LAB = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                    "code": "laboratory"}]}]


def spec_example(name: str) -> Any:
    """One specification example of ``tests/fixtures/cds_hooks``."""
    return orjson.loads((FIXTURES / name).read_bytes())


def patient(pid: str = "p1", gender: str = "male", birth: str = "1960-05-01") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": gender, "birthDate": birth}


def condition(cid: str, icd: str, pid: str = "p1") -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": f"Patient/{pid}"},
            "code": {"coding": [{"system": ICD10, "code": icd}]},
            "recordedDate": "2020-01-01"}


def lab(oid: str, code: str, value: float, unit: str, day: str, pid: str = "p1") -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final", "category": LAB,
            "subject": {"reference": f"Patient/{pid}"},
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "effectiveDateTime": day,
            "valueQuantity": {"value": value, "unit": unit, "code": unit}}


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": r} for r in resources]}


def medication_order(oid: str, text: str, atc: str | None = None, pid: str = "p1",
                     reason_icd: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": text}
    if atc:
        concept["coding"] = [{"system": "http://www.whocc.no/atc", "code": atc}]
    out: dict[str, Any] = {"resourceType": "MedicationRequest", "id": oid, "status": "draft",
                           "intent": "order", "medicationCodeableConcept": concept,
                           "subject": {"reference": f"Patient/{pid}"}}
    if reason_icd:
        out["reasonCode"] = [{"coding": [{"system": ICD10, "code": reason_icd}]}]
    return out


def hook_request(hook: str, context: dict[str, Any], prefetch: dict[str, Any] | None = None,
                 **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"hook": hook, "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
                            "context": context}
    if prefetch is not None:
        body["prefetch"] = prefetch
    body.update(extra)
    return body


@pytest.fixture
def feedback_store() -> MemoryFeedbackStore:
    return MemoryFeedbackStore()


@pytest.fixture
def make_client(feedback_store: MemoryFeedbackStore) -> Iterator[Callable[..., TestClient]]:
    """Build a test client of an app holding only the CDS Hooks router."""
    clients: list[TestClient] = []

    def make(fetch: FetchSettings | None = None) -> TestClient:
        app = FastAPI()
        install_error_handlers(app)
        app.include_router(cds_hooks_router(feedback_store=feedback_store, fetch=fetch,
                                            today=lambda: TODAY))
        client = TestClient(app)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
