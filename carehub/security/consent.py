"""Research opt-outs from patients' Consent resources.

https://hl7.org/fhir/R4/consent.html and
http://terminology.hl7.org/CodeSystem/consentscope (``research``)

A patient has opted out of research use when their most recent *active*
Consent whose ``scope`` is ``research`` denies (``provision.type = deny``).
A later permitting research Consent opts them back in; inactive, rejected or
entered-in-error Consents are ignored. Research exports and the warehouse's
research views leave these patients out.

Failure modes: unreadable Consent bodies are skipped; store errors propagate.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from carehub.storage.base import ResourceStore

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
_CHUNK = 2000


def is_research_consent(consent: dict[str, Any]) -> bool:
    """Whether a Consent's scope is research.

    >>> is_research_consent({"scope": {"coding": [{"system": CONSENT_SCOPE, "code": "research"}]}})
    True
    """
    scope = consent.get("scope") or {}
    codings = scope.get("coding") or [] if isinstance(scope, dict) else []
    return any(
        isinstance(c, dict) and c.get("code") == "research"
        and c.get("system") in (CONSENT_SCOPE, None)
        for c in codings
    )


def opt_outs(consents: Iterable[dict[str, Any]]) -> set[str]:
    """Patient ids whose latest active research Consent denies.

    >>> deny = {"resourceType": "Consent", "status": "active", "dateTime": "2024-01-01",
    ...         "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "research"}]},
    ...         "patient": {"reference": "Patient/p1"}, "provision": {"type": "deny"}}
    >>> permit = {**deny, "dateTime": "2025-01-01", "provision": {"type": "permit"}}
    >>> opt_outs([deny]), opt_outs([deny, permit]), opt_outs([{**deny, "status": "inactive"}])
    ({'p1'}, set(), set())
    """
    latest: dict[str, tuple[str, bool]] = {}
    for c in consents:
        if c.get("status") != "active" or not is_research_consent(c):
            continue
        ref = (c.get("patient") or {}).get("reference", "")
        if not isinstance(ref, str) or "Patient/" not in ref:
            continue
        pid = ref.rsplit("Patient/", 1)[1]
        when = str(c.get("dateTime") or (c.get("meta") or {}).get("lastUpdated") or "")
        denies = (c.get("provision") or {}).get("type") == "deny"
        if pid not in latest or when >= latest[pid][0]:
            latest[pid] = (when, denies)
    return {pid for pid, (_, denies) in latest.items() if denies}


def research_opt_outs(store: ResourceStore) -> set[str]:
    """Ids of the patients who opted out of research use (see the module docstring).

    Reads every current Consent of ``store`` (in chunks). Give it the unguarded
    store, or call it inside a grant that may read Consent.
    """
    bodies: list[dict[str, Any]] = []
    after = 0
    while True:
        with store.session() as session:
            chunk = session.scan("Consent", after=after, limit=_CHUNK)
        for position, body in chunk:
            after = position
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError:
                continue
            if isinstance(parsed, dict):
                bodies.append(parsed)
        if len(chunk) < _CHUNK:
            return opt_outs(bodies)
