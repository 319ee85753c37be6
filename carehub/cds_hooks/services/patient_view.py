"""The ``patient-view`` service: due screenings, abnormal results and risk scores.

https://cds-hooks.hl7.org/2.0/#cds-service-response ·
hook: https://cds-hooks.org/hooks/patient-view/

The prefetched (or fetched) Patient and its Conditions, Observations,
MedicationRequests, Procedures, ImagingStudies and QuestionnaireResponses
become a :class:`~carehub.screening.snapshot.PatientSnapshot`;
:func:`~carehub.screening.evaluate.evaluate_patient` runs the screening
programmes on it, and every actionable recommendation becomes a card
(:data:`INDICATOR`). Missing data is gathered into one ``info`` card. A
patient the client has no record of gets no cards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from carehub.cds_hooks.cards import (
    OVERRIDE_REASONS,
    PROGRAMME_SYSTEM,
    by_urgency,
    clip,
    service_request,
    stable_uuid,
)
from carehub.cds_hooks.discovery import CdsService, ServiceCall
from carehub.cds_hooks.models import Action, Card, Coding, Source, Suggestion
from carehub.screening.evaluate import evaluate_patient
from carehub.screening.fhir_snapshot import snapshot_from_resources
from carehub.screening.recommendation import Recommendation

SERVICE_ID = "carehub-screening"
PREFETCH: Mapping[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}",
    "procedures": "Procedure?patient={{context.patientId}}",
    "imaging": "ImagingStudy?patient={{context.patientId}}",
    "responses": "QuestionnaireResponse?patient={{context.patientId}}",
}
"""Prefetch templates: the patient and every resource type the programmes read."""

INDICATOR: Mapping[str, str] = {
    "referral": "critical",
    "positive": "warning",
    "overdue": "warning",
    "care_gap": "warning",
    "due": "info",
}
"""Recommendation status → card indicator; other statuses give no card of their own."""
ORDERABLE = frozenset({"due", "overdue", "care_gap", "referral"})
"""Statuses whose card suggests ordering (a draft ServiceRequest)."""


def _value(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def detail_markdown(rec: Recommendation) -> str:
    """The card detail (GitHub-flavoured Markdown): explanation, values, data, guideline."""
    lines = [rec.detail.strip() or rec.title, ""]
    if rec.values:
        lines.append("**Scores:** " + ", ".join(f"{k} = {_value(v)}" for k, v in rec.values))
    if rec.due_date is not None:
        lines.append(f"**Due:** {rec.due_date.isoformat()}")
    if rec.recall_months:
        lines.append(f"**Recall:** every {rec.recall_months} months")
    if rec.data_used:
        lines += ["", "**Data used:**"]
        for d in rec.data_used:
            unit = f" {d.unit}" if d.unit else ""
            day = f" ({d.date.isoformat()})" if d.date else ""
            lines.append(f"- {d.kind} `{d.code}`: {_value(d.value)}{unit}{day}")
    lines += ["", f"**Guideline:** {rec.guideline} · rule `{rec.key}`"]
    return "\n".join(lines).strip()


def recommendation_card(rec: Recommendation, patient_id: str, hook_instance: str) -> Card:
    """The card of one actionable recommendation (status in :data:`INDICATOR`)."""
    suggestions: tuple[Suggestion, ...] = ()
    if rec.status in ORDERABLE:
        when = rec.due_date.isoformat() if rec.due_date else None
        action = Action("create", f"Propose: {rec.title}",
                        service_request(patient_id, rec.title, reason=rec.detail,
                                        occurrence=when))
        suggestions = (Suggestion(clip(f"Order: {rec.title}", 80),
                                  stable_uuid(hook_instance, rec.key + "/order"), True,
                                  (action,)),)
    return Card(
        summary=clip(rec.title),
        indicator=INDICATOR[rec.status],
        source=Source(clip(f"CareHub screening · {rec.guideline}", 100),
                      topic=Coding(rec.programme, PROGRAMME_SYSTEM, rec.programme)),
        detail=detail_markdown(rec),
        uuid=stable_uuid(hook_instance, rec.key),
        suggestions=suggestions,
        selection_behavior="at-most-one" if suggestions else None,
        override_reasons=OVERRIDE_REASONS,
    )


def missing_data_card(recs: Sequence[Recommendation], hook_instance: str) -> Card:
    """One ``info`` card listing what the programmes could not evaluate for lack of data."""
    lines = [f"- **{r.programme}** ({r.title}): needs {', '.join(r.needs) or 'more data'}"
             for r in recs]
    return Card(
        summary=clip(f"Screening incomplete: data missing for {len(recs)} rule(s)"),
        indicator="info",
        source=Source("CareHub screening"),
        detail="Record these to complete the screening review:\n\n" + "\n".join(lines),
        uuid=stable_uuid(hook_instance, "insufficient_data"),
    )


def cards_for(call: ServiceCall) -> list[Card]:
    """The cards for one ``patient-view`` call (see the module docstring)."""
    return [card for card, _ in reviewed(call)]


def reviewed(call: ServiceCall) -> list[tuple[Card, Recommendation | None]]:
    """The cards of :func:`cards_for`, each with the recommendation it shows.

    The missing-data card, which sums up several recommendations, has None.
    An application that shows the cards in another language renders them
    from the recommendations' messages.
    """
    patient_id = call.request.patient_id or ""
    resources = [
        r for r in call.resources()
        if r.get("resourceType") != "Patient" or r.get("id") == patient_id
    ]
    if not any(r.get("resourceType") == "Patient" for r in resources):
        return []
    snapshot = snapshot_from_resources(resources, call.as_of)
    recs = evaluate_patient(snapshot)
    instance = call.request.hook_instance
    pairs: list[tuple[Card, Recommendation | None]] = [
        (recommendation_card(r, patient_id, instance), r) for r in recs if r.status in INDICATOR
    ]
    lacking = [r for r in recs if r.status == "insufficient_data"]
    if lacking:
        pairs.append((missing_data_card(lacking, instance), None))
    order = {id(card): i for i, card in enumerate(by_urgency([c for c, _ in pairs]))}
    return sorted(pairs, key=lambda pair: order[id(pair[0])])


SERVICE = CdsService(
    id=SERVICE_ID,
    hook="patient-view",
    title="CareHub screening and risk review",
    description=(
        "Due and overdue screenings, abnormal results needing follow-up and risk scores "
        "from CareHub's screening programmes (kidney, respiratory, lung cancer, heart "
        "failure, cardiovascular, liver and cancer)."
    ),
    handler=cards_for,
    prefetch=PREFETCH,
)
