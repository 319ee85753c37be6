"""The built-in services' decisions, called directly (no HTTP)."""

from __future__ import annotations

from typing import Any

from carehub.cds_hooks.discovery import ServiceCall
from carehub.cds_hooks.drug_lists import drug_lists
from carehub.cds_hooks.models import Card, parse_request
from carehub.cds_hooks.services import order_sign, patient_view
from tests.cds_hooks.conftest import (
    TODAY,
    condition,
    hook_request,
    lab,
    medication_order,
    patient,
    searchset,
)

EGFR = "98979-8"
ACR = "9318-7"


def _sign(orders: list[dict[str, Any]], labs: list[dict[str, Any]],
          conditions: list[dict[str, Any]] | None = None) -> list[Card]:
    context = {"userId": "Practitioner/a", "patientId": "p1", "draftOrders": searchset(*orders)}
    request = parse_request(hook_request("order-sign", context), "order-sign")
    data = {"patient": patient(), "labs": searchset(*labs),
            "conditions": searchset(*(conditions or []))}
    return order_sign.cards_for(ServiceCall(request, data, TODAY))


def test_every_listed_drug_has_a_reference_and_sorted_thresholds() -> None:
    lists = drug_lists()
    assert len(lists.drugs) >= 30
    for drug in lists.drugs:
        assert drug.reference.url.startswith("https://")
        assert drug.nephrotoxic or drug.renal_dosing or drug.classes
        assert [t.egfr_below for t in drug.renal_dosing] == sorted(
            t.egfr_below for t in drug.renal_dosing)


def test_metformin_below_30_is_critical_with_a_remove_suggestion() -> None:
    cards = _sign([medication_order("m1", "Metformin 500 mg", "A10BA02")],
                  [lab("e", EGFR, 25, "mL/min/{1.73_m2}", "2025-01-01"),
                   lab("a", ACR, 10, "mg/g", "2025-01-01")])
    assert [c.indicator for c in cards] == ["critical"]
    action = cards[0].suggestions[0].actions[0]
    assert (action.type, action.resource_id) == ("delete", "MedicationRequest/m1")
    assert "Contraindicated" in (cards[0].detail or "")


def test_metformin_30_to_44_is_a_warning_and_45_is_silent() -> None:
    order = [medication_order("m1", "metformin 500mg")]
    acr = lab("a", ACR, 10, "mg/g", "2025-01-01")
    warn = _sign(order, [lab("e", EGFR, 44.9, "mL/min/{1.73_m2}", "2025-01-01"), acr])
    assert [c.indicator for c in warn] == ["warning"]
    assert _sign(order, [lab("e", EGFR, 45, "mL/min/{1.73_m2}", "2025-01-01"), acr]) == []


def test_nsaid_with_low_egfr_is_nephrotoxic_warning() -> None:
    cards = _sign([medication_order("n1", "Brufen 400 mg")],
                  [lab("e", EGFR, 50, "mL/min/{1.73_m2}", "2025-01-01")])
    assert len(cards) == 1 and cards[0].indicator == "warning"
    assert "nephrotoxic" in cards[0].summary


def test_renal_drug_without_recent_egfr_suggests_creatinine() -> None:
    cards = _sign([medication_order("d1", "Dabigatran 150 mg", "B01AE07")],
                  [lab("e", EGFR, 25, "mL/min/{1.73_m2}", "2023-01-01")])
    assert len(cards) == 1 and "No eGFR" in cards[0].summary
    resource = cards[0].suggestions[0].actions[0].resource
    assert resource is not None and resource["code"]["coding"][0]["code"] == "2160-0"


def test_diabetes_prescription_without_acr_suggests_one() -> None:
    cards = _sign([medication_order("g1", "Gliclazide 30 mg MR", "A10BB09")],
                  [lab("e", EGFR, 80, "mL/min/{1.73_m2}", "2025-01-01")])
    assert len(cards) == 1 and "urine ACR" in cards[0].summary
    codes = [a.resource["code"]["coding"][0]["code"]
             for a in cards[0].suggestions[0].actions if a.resource]
    assert codes == [ACR]


def test_order_with_diabetes_reason_counts_and_recent_acr_silences() -> None:
    order = [medication_order("x1", "Atorvastatin 20 mg", reason_icd="E11.9")]
    assert len(_sign(order, [])) == 1
    assert _sign(order, [lab("a", ACR, 12, "mg/g", "2024-06-01")]) == []


def test_creatinine_is_turned_into_egfr() -> None:
    # 60-year-old man (born 1960-05-01 → 64 on TODAY), creatinine 2.5 mg/dL → eGFR ≈ 28
    cards = _sign([medication_order("m1", "Metformin 500 mg")],
                  [lab("c", "2160-0", 2.5, "mg/dL", "2025-02-01"),
                   lab("a", ACR, 10, "mg/g", "2025-01-01")])
    assert [c.indicator for c in cards] == ["critical"]
    assert "CKD-EPI 2021" in (cards[0].detail or "")


def test_patient_view_maps_statuses_to_indicators() -> None:
    request = parse_request(hook_request("patient-view",
                                         {"userId": "Practitioner/a", "patientId": "p1"}))
    data = {"patient": patient(), "conditions": searchset(condition("c1", "E11.9"))}
    cards = patient_view.cards_for(ServiceCall(request, data, TODAY))
    assert cards and [c.indicator for c in cards] == sorted(
        (c.indicator for c in cards), key=["critical", "warning", "info"].index)
    kidney = [c for c in cards if c.source.topic and c.source.topic.code == "kidney"]
    assert kidney and all(c.suggestions and c.selection_behavior for c in kidney)
    assert any(c.summary.startswith("Screening incomplete") for c in cards)


def test_patient_view_of_unknown_patient_gives_no_cards() -> None:
    request = parse_request(hook_request("patient-view",
                                         {"userId": "Practitioner/a", "patientId": "zz"}))
    assert patient_view.cards_for(ServiceCall(request, {"patient": None}, TODAY)) == []
