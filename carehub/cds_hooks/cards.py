"""Helpers the services share to build CDS Hooks cards.

https://cds-hooks.hl7.org/2.0/#card-attributes

Card and suggestion ``uuid``s are derived from the ``hookInstance`` and a key
(:func:`stable_uuid`), so the same call gives the same cards and feedback can
be matched to the finding that produced it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from carehub.cds_hooks.models import INDICATORS, SUMMARY_MAX, Card, Coding

NAMESPACE = uuid.UUID("6f1c8a52-3a5e-4f5b-9a55-1f3c0c6e2a10")
"""uuid5 namespace of CareHub's cards and suggestions."""
OVERRIDE_SYSTEM = "urn:carehub:cds-hooks:override-reason"
PROGRAMME_SYSTEM = "urn:carehub:screening:programme"
LOINC = "http://loinc.org"

OVERRIDE_REASONS = (
    Coding("patient-declined", OVERRIDE_SYSTEM, "Patient declined"),
    Coding("done-elsewhere", OVERRIDE_SYSTEM, "Already done elsewhere"),
    Coding("not-appropriate", OVERRIDE_SYSTEM, "Not clinically appropriate for this patient"),
)
"""Override reasons offered on every CareHub card."""


def stable_uuid(hook_instance: str, key: str) -> str:
    """A UUID that depends only on ``hook_instance`` and ``key``.

    >>> stable_uuid("h1", "kidney.acr") == stable_uuid("h1", "kidney.acr")
    True
    >>> stable_uuid("h1", "a") == stable_uuid("h2", "a")
    False
    """
    return str(uuid.uuid5(NAMESPACE, f"{hook_instance}/{key}"))


def clip(text: str, limit: int = SUMMARY_MAX - 1) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis.

    >>> clip("a  b\\nc"), len(clip("x" * 200))
    ('a b c', 139)
    """
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def by_urgency(cards: list[Card]) -> list[Card]:
    """``cards`` most urgent first (stable within one indicator)."""
    return sorted(cards, key=lambda c: -INDICATORS.index(c.indicator))


def service_request(
    patient_id: str,
    text: str,
    *,
    code: Mapping[str, str] | None = None,
    reason: str | None = None,
    occurrence: str | None = None,
) -> dict[str, Any]:
    """A draft ServiceRequest proposal for ``patient_id`` (the resource of a create action).

    >>> service_request("p1", "Urine ACR", code={"system": LOINC, "code": "9318-7"})["code"]
    {'coding': [{'system': 'http://loinc.org', 'code': '9318-7'}], 'text': 'Urine ACR'}
    """
    concept: dict[str, Any] = {"text": text}
    if code is not None:
        concept = {"coding": [dict(code)], "text": text}
    out: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "code": concept,
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    if reason:
        out["reasonCode"] = [{"text": clip(reason, 500)}]
    if occurrence:
        out["occurrenceDateTime"] = occurrence
    return out
