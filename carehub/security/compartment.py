"""Patient-compartment membership of resources, for patient-context access.

https://hl7.org/fhir/R4/compartmentdefinition-patient.html and
http://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#patient-specific-scopes

A patient-context token may only see resources in its patient's compartment
(as CareHub defines it in :func:`carehub.fhir_model.compartments.patient_compartment`),
plus a short list of *shared* types that hold no patient data (practitioners,
organizations, medications...), read-only. The Patient resource itself is in
its own compartment only (``link`` does not open other patients' records).

Failure modes: a resource whose index cannot be extracted (malformed) is
treated as outside every compartment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from carehub.errors import CareHubError
from carehub.fhir_model.compartments import patient_compartment
from carehub.fhir_model.search_index import extract

#: types readable in patient context although outside the compartment: no patient data
SHARED_TYPES = frozenset(
    {
        "Practitioner", "PractitionerRole", "Organization", "Location", "Medication",
        "HealthcareService", "Endpoint", "Substance", "Questionnaire", "ValueSet",
        "CodeSystem", "ViewDefinition",
    }
)

#: preferred restriction parameter, in order, when a type has several compartment params
_PREFERRED = ("patient", "subject", "beneficiary", "individual", "member", "actor")

_PATIENT_REF = re.compile(rb'"reference"\s*:\s*"(?:[^"]*/)?Patient/([A-Za-z0-9\-.]{1,64})"')


def compartment_params(resource_type: str) -> tuple[str, ...]:
    """The search parameters that put ``resource_type`` in a patient's compartment.

    >>> compartment_params("Observation"), compartment_params("Practitioner")
    (('subject', 'performer'), ())
    """
    return patient_compartment().get(resource_type, ())


def restriction_param(resource_type: str, indexed: Mapping[str, Any]) -> str | None:
    """The one parameter used to restrict a search to a patient (None: cannot restrict).

    ``indexed`` is the type's searchable parameters (by code).

    >>> restriction_param("Observation", {"subject": 1, "performer": 1, "patient": 1})
    'subject'
    >>> restriction_param("Coverage", {"beneficiary": 1, "payor": 1})
    'beneficiary'
    """
    params = compartment_params(resource_type)
    for name in _PREFERRED:
        if name in params and name in indexed:
            return name
    for name in params:
        if name in indexed:
            return name
    return None


def in_compartment(resource: Mapping[str, Any], patient_id: str) -> bool:
    """Whether ``resource`` is in the compartment of ``Patient/patient_id``.

    >>> obs = {"resourceType": "Observation", "status": "final", "code": {},
    ...        "subject": {"reference": "Patient/p1"}}
    >>> in_compartment(obs, "p1"), in_compartment(obs, "p2")
    (True, False)
    >>> in_compartment({"resourceType": "Patient", "id": "p1"}, "p1")
    True
    """
    rtype = resource.get("resourceType")
    if rtype == "Patient":
        return resource.get("id") == patient_id
    params = compartment_params(str(rtype))
    if not params:
        return False
    try:
        rows = extract(resource)
    except CareHubError:
        return False
    return any(
        param in params and target_type == "Patient" and target_id == patient_id
        for param, target_type, target_id, _ in rows.references
    )


def body_in_compartment(body: bytes | str, patient_id: str) -> bool:
    """:func:`in_compartment` on stored JSON.

    >>> body_in_compartment(b'{"resourceType":"Patient","id":"p9"}', "p9")
    True
    """
    try:
        resource = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(resource, dict) and in_compartment(resource, patient_id)


def referenced_patients(body: bytes | str) -> set[str]:
    """Ids of every patient a stored resource refers to (for the audit trail; cheap).

    >>> sorted(referenced_patients(b'{"subject":{"reference":"Patient/a"},'
    ...                             b'"x":{"reference": "http://h/fhir/Patient/b"}}'))
    ['a', 'b']
    """
    raw = body.encode() if isinstance(body, str) else body
    return {m.decode() for m in _PATIENT_REF.findall(raw)}
