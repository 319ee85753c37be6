"""The ``order-sign`` service: drugs and kidney function.

https://cds-hooks.hl7.org/2.0/#cds-service-response ·
hook: https://cds-hooks.org/hooks/order-sign/

For every draft MedicationRequest in ``context.draftOrders`` the listed drugs it
contains (:mod:`carehub.cds_hooks.drug_lists`, a data file) are checked:

* a nephrotoxic or renally-dosed drug with an eGFR below one of its thresholds
  gives a card of the threshold's indicator, its advice, a link to the source and
  a suggestion to remove the draft order;
* such a drug with no eGFR in the last ``egfr_recall_months`` gives a
  ``warning`` suggesting a serum creatinine;
* a glucose-lowering drug, or an order whose reason is diabetes, with no urine
  albumin-to-creatinine ratio (ACR) in the last ``acr_recall_months``, gives a
  ``warning`` suggesting an ACR (KDIGO 2022: eGFR and ACR at least yearly in
  diabetes).

The eGFR is the most recent of a reported eGFR and CKD-EPI 2021 computed from
the most recent creatinine (with the patient's age and sex).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carehub.cds_hooks.cards import (
    LOINC,
    OVERRIDE_REASONS,
    by_urgency,
    clip,
    service_request,
    stable_uuid,
)
from carehub.cds_hooks.discovery import CdsService, ServiceCall
from carehub.cds_hooks.drug_lists import Drug, DrugLists, Reference, Threshold, drug_lists
from carehub.cds_hooks.models import Action, Card, Link, Source, Suggestion
from carehub.cds_hooks.prefetch import resources_of
from carehub.errors import NotFound
from carehub.screening import codes
from carehub.screening.fhir_snapshot import snapshot_from_resources
from carehub.screening.programmes.kidney import egfr_of
from carehub.screening.snapshot import PatientSnapshot, add_months

SERVICE_ID = "carehub-renal-prescribing"
PREFETCH: Mapping[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "labs": "Observation?patient={{context.patientId}}&category=laboratory",
    "conditions": "Condition?patient={{context.patientId}}",
}
EGFR_CODES = (codes.EGFR, "62238-1", "33914-3", "48642-3", "48643-1", "50044-7", "77147-7")
"""LOINC codes of a reported eGFR."""
ACR_CODES = (codes.URINE_ACR, "14959-1", "32294-1")
"""LOINC codes of a urine albumin-to-creatinine ratio."""
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
CREATININE_TEST = {"system": LOINC, "code": codes.CREATININE_MASS}
ACR_TEST = {"system": LOINC, "code": codes.URINE_ACR}


@dataclass(frozen=True, slots=True)
class Egfr:
    """The eGFR a decision used: value, date and where it came from."""

    value: float
    date: datetime.date | None
    how: str

    def describe(self) -> str:
        """E.g. ``eGFR 25 mL/min/1.73 m² (2024-05-01, reported)``."""
        day = self.date.isoformat() if self.date else "undated"
        return f"eGFR {self.value:.0f} mL/min/1.73 m² ({day}, {self.how})"


def latest_egfr(s: PatientSnapshot) -> Egfr | None:
    """The most recent eGFR: reported, or CKD-EPI 2021 from creatinine."""
    found: list[Egfr] = []
    for code in EGFR_CODES:
        fact = s.latest(code)
        if fact is not None and fact.value is not None:
            found.append(Egfr(fact.value, fact.date, "reported"))
    for code in (codes.CREATININE, codes.CREATININE_MASS):
        fact = s.latest(code)
        if fact is None:
            continue
        try:
            value, _ = egfr_of(s, fact)
        except NotFound:  # no CKD-EPI calculator installed: reported eGFR only
            value = None
        if value is not None:
            found.append(Egfr(value, fact.date, "CKD-EPI 2021 from creatinine"))
    return max(found, key=lambda e: e.date or datetime.date.min) if found else None


def _recent(day: datetime.date | None, as_of: datetime.date, months: int) -> bool:
    return day is not None and add_months(day, months) >= as_of


def medication_terms(order: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """The (system, code) pairs and texts naming an order's medication.

    >>> medication_terms({"medicationCodeableConcept": {"text": "Metformin 500 mg",
    ...     "coding": [{"system": "s", "code": "1", "display": "metformin"}]}})
    ([('s', '1')], ['Metformin 500 mg', 'metformin'])
    """
    concepts: list[Any] = [order.get("medicationCodeableConcept")]
    ref = order.get("medicationReference")
    texts: list[str] = []
    if isinstance(ref, Mapping):
        if isinstance(ref.get("display"), str):
            texts.append(ref["display"])
        target = str(ref.get("reference", ""))
        for contained in order.get("contained") or ():
            if isinstance(contained, Mapping) and target == f"#{contained.get('id')}":
                concepts.append(contained.get("code"))
    pairs: list[tuple[str, str]] = []
    for concept in concepts:
        if not isinstance(concept, Mapping):
            continue
        if isinstance(concept.get("text"), str):
            texts.append(concept["text"])
        for coding in concept.get("coding") or ():
            if not isinstance(coding, Mapping):
                continue
            pairs.append((str(coding.get("system", "")), str(coding.get("code", ""))))
            if isinstance(coding.get("display"), str):
                texts.append(coding["display"])
    return pairs, texts


def _label(order: Mapping[str, Any], drug: Drug) -> str:
    _, texts = medication_terms(order)
    return texts[0] if texts else drug.name


def _crossed(thresholds: tuple[Threshold, ...], egfr: float) -> Threshold | None:
    return next((t for t in thresholds if egfr < t.egfr_below), None)


def _for_diabetes(order: Mapping[str, Any], lists: DrugLists) -> bool:
    for concept in order.get("reasonCode") or ():
        for coding in (concept.get("coding") or ()) if isinstance(concept, Mapping) else ():
            code, system = str(coding.get("code", "")), coding.get("system")
            if system == ICD10 and code.startswith(lists.diabetes_icd10):
                return True
            if system == SNOMED and code in lists.diabetes_snomed:
                return True
    return False


@dataclass(slots=True)
class _Builder:
    call: ServiceCall
    lists: DrugLists
    patient_id: str

    def uuid(self, key: str) -> str:
        return stable_uuid(self.call.request.hook_instance, key)

    def source(self, ref: Reference) -> Source:
        return Source(clip(f"CareHub renal prescribing · {ref.label}", 100), url=ref.url)

    def threshold_card(self, order: Mapping[str, Any], key: str, drug: Drug, t: Threshold,
                       egfr: Egfr, kind: str) -> Card:
        name = _label(order, drug)
        summary = f"{drug.name.capitalize()} with eGFR {egfr.value:.0f}: {kind}"
        detail = (f"**{name}** — {t.advice}\n\n{egfr.describe()}; threshold eGFR < "
                  f"{t.egfr_below:g}.\n\n_{self.lists.disclaimer}_")
        suggestions: tuple[Suggestion, ...] = ()
        if order.get("id"):
            remove = Action("delete", f"Remove the draft order for {name}",
                            resource_id=f"MedicationRequest/{order['id']}")
            suggestions = (Suggestion(clip(f"Remove {name}", 80), self.uuid(key + "/remove"),
                                      t.indicator == "critical", (remove,)),)
        return Card(clip(summary), t.indicator, self.source(drug.reference), detail,
                    self.uuid(key), suggestions, "at-most-one" if suggestions else None,
                    OVERRIDE_REASONS, (Link(drug.reference.label, drug.reference.url),))

    def no_egfr_card(self, order: Mapping[str, Any], key: str, drug: Drug) -> Card:
        name = _label(order, drug)
        months = self.lists.egfr_recall_months
        test = service_request(self.patient_id, "Serum creatinine (eGFR)", code=CREATININE_TEST,
                               reason=f"Kidney function before prescribing {name}")
        action = Action("create", "Order serum creatinine to estimate eGFR", test)
        return Card(
            clip(f"No eGFR in the past {months} months before prescribing {drug.name}"),
            "warning", self.source(drug.reference),
            f"**{name}** needs kidney function to be known: it is "
            f"{'nephrotoxic' if drug.nephrotoxic else 'dosed by kidney function'}. No eGFR or "
            f"creatinine result from the past {months} months was found.",
            self.uuid(key), (Suggestion("Order serum creatinine", self.uuid(key + "/order"),
                                        True, (action,)),),
            "at-most-one", OVERRIDE_REASONS, (Link(drug.reference.label, drug.reference.url),))

    def acr_card(self, names: list[str], egfr_missing: bool) -> Card:
        months = self.lists.acr_recall_months
        ref = self.lists.diabetes_reference
        actions = [Action("create", "Order urine albumin-to-creatinine ratio",
                          service_request(self.patient_id, "Urine albumin-to-creatinine ratio",
                                          code=ACR_TEST,
                                          reason="Annual CKD screening in diabetes"))]
        if egfr_missing:
            actions.append(Action("create", "Order serum creatinine to estimate eGFR",
                                  service_request(self.patient_id, "Serum creatinine (eGFR)",
                                                  code=CREATININE_TEST,
                                                  reason="Annual CKD screening in diabetes")))
        label = "Order urine ACR" + (" and creatinine" if egfr_missing else "")
        return Card(
            clip(f"Prescribing for diabetes: no urine ACR in the past {months} months"),
            "warning", self.source(ref),
            f"Orders: {', '.join(names)}. People with diabetes should have eGFR and urine ACR "
            f"checked at least once a year (KDIGO 2022); no ACR result from the past {months} "
            "months was found.",
            self.uuid("diabetes/acr"),
            (Suggestion(label, self.uuid("diabetes/acr/order"), True, tuple(actions)),),
            "at-most-one", OVERRIDE_REASONS, (Link(ref.label, ref.url),))


def _orders(call: ServiceCall) -> list[Mapping[str, Any]]:
    return [r for r in resources_of(call.request.context.get("draftOrders"))
            if r.get("resourceType") == "MedicationRequest"]


def cards_for(call: ServiceCall, lists: DrugLists | None = None) -> list[Card]:
    """The cards for one ``order-sign`` call (see the module docstring)."""
    lists = lists or drug_lists()
    patient_id = call.request.patient_id or ""
    orders = _orders(call)
    if not orders:
        return []
    resources = [r for r in call.resources() if r.get("resourceType") != "Patient"
                 or r.get("id") == patient_id]
    if not any(r.get("resourceType") == "Patient" for r in resources):
        resources.append({"resourceType": "Patient", "id": patient_id})
    snapshot = snapshot_from_resources(resources, call.as_of)
    egfr = latest_egfr(snapshot)
    recent = egfr if egfr is not None and _recent(egfr.date, call.as_of,
                                                  lists.egfr_recall_months) else None
    b = _Builder(call, lists, patient_id)
    cards: list[Card] = []
    diabetes_orders: list[str] = []
    for index, order in enumerate(orders):
        pairs, texts = medication_terms(order)
        drugs = lists.drugs_in(pairs, texts)
        if lists.is_antidiabetic(drugs, pairs) or _for_diabetes(order, lists):
            diabetes_orders.append(texts[0] if texts else f"order {index + 1}")
        for drug in drugs:
            if not (drug.nephrotoxic or drug.renal_dosing):
                continue
            key = f"{order.get('id') or index}/{drug.name}"
            if recent is None:
                cards.append(b.no_egfr_card(order, key + "/no-egfr", drug))
                continue
            dosing = _crossed(drug.renal_dosing, recent.value)
            if dosing is not None:
                cards.append(b.threshold_card(order, key + "/dosing", drug, dosing, recent,
                                              "renal dose check"))
            toxic = _crossed(lists.nephrotoxic_thresholds, recent.value) if drug.nephrotoxic \
                else None
            if toxic is not None:
                cards.append(b.threshold_card(order, key + "/nephrotoxic", drug, toxic, recent,
                                              "nephrotoxic"))
    if diabetes_orders:
        acr = [f for code in ACR_CODES if (f := snapshot.latest(code)) is not None]
        if not any(_recent(f.date, call.as_of, lists.acr_recall_months) for f in acr):
            cards.append(b.acr_card(diabetes_orders, recent is None))
    return by_urgency(cards)


SERVICE = CdsService(
    id=SERVICE_ID,
    hook="order-sign",
    title="CareHub renal prescribing check",
    description=(
        "Checks draft medication orders against kidney function: nephrotoxic or renally-dosed "
        "drugs with a low or unknown eGFR, and glucose-lowering prescriptions without a urine "
        "albumin-to-creatinine ratio in the past year."
    ),
    handler=cards_for,
    prefetch=PREFETCH,
)
