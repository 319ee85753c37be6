"""ORU^R01 results, ORM^O01/OML^O21 orders, RDE^O11/RDS^O13 pharmacy, read back from the store."""

from __future__ import annotations

from typing import Any

from tests.hl7v2.conftest import Env

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
FILLER = "https://carehub.vn/id/filler-order/lis"
PLACER = "https://carehub.vn/id/placer-order/his"


def _by_code(observations: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["code"]["coding"][0]["code"]: o for o in observations}


def test_oru_maps_report_and_observations(env: Env) -> None:
    env.accept("adt_a01.hl7", "oru_r01.hl7")
    patient = env.one("Patient")
    encounter = env.one("Encounter")
    report = env.one("DiagnosticReport")
    assert report["status"] == "final"
    assert report["code"]["coding"][0] == {
        "system": LOINC, "code": "24323-8", "display": "Bảng chuyển hoá cơ bản"}
    assert report["category"][0]["coding"][0]["code"] == "CH"
    assert report["subject"] == {"reference": f"Patient/{patient['id']}"}
    assert report["encounter"] == {"reference": f"Encounter/{encounter['id']}"}
    assert report["effectiveDateTime"] == "2024-01-05T09:00:00+07:00"
    assert report["issued"] == "2024-01-05T10:10:00+07:00"
    assert [(i["system"], i["value"]) for i in report["identifier"]] == [
        (FILLER, "FL0001"), (PLACER, "PL0001")]
    assert report["conclusion"] == "Mẫu lấy lúc đói\nKết quả đã được kiểm tra"
    # no ServiceRequest stored for the order: a logical reference by placer number
    assert report["basedOn"] == [{"type": "ServiceRequest",
                                  "identifier": {"system": PLACER, "value": "PL0001"}}]

    observations = env.all("Observation")
    assert sorted(r["reference"] for r in report["result"]) == sorted(
        f"Observation/{o['id']}" for o in observations)
    obs = _by_code(observations)
    glucose = obs["2345-7"]
    assert glucose["status"] == "final"
    assert glucose["valueQuantity"] == {"value": 7.8, "unit": "mmol/L", "system": UCUM,
                                        "code": "mmol/L"}
    assert glucose["interpretation"][0]["coding"][0]["code"] == "H"
    assert glucose["referenceRange"][0]["low"]["value"] == 3.9
    assert glucose["referenceRange"][0]["high"]["value"] == 6.4
    assert glucose["referenceRange"][0]["text"] == "3.9-6.4"
    assert glucose["category"][0]["coding"][0]["code"] == "laboratory"
    assert glucose["note"] == [{"text": "Bệnh nhân không nhịn đói & đã uống nước ngọt"}]
    assert glucose["performer"][0]["display"] == "Võ Thị Lan"
    assert glucose["effectiveDateTime"] == "2024-01-05T09:00:00+07:00"
    assert glucose["subject"]["reference"] == f"Patient/{patient['id']}"
    assert obs["2160-0"]["valueQuantity"]["unit"] == "µmol/L"
    potassium = obs["2823-3"]
    assert potassium["valueQuantity"]["comparator"] == "<"
    assert potassium["valueQuantity"]["value"] == 2.5
    assert potassium["interpretation"][0]["coding"][0]["code"] == "LL"
    assert obs["8251-1"]["valueString"] == "Mẫu hơi tán huyết|lặp lại nếu cần"
    assert obs["5778-6"]["valueCodeableConcept"]["coding"][0] == {
        "system": "https://carehub.vn/fhir/CodeSystem/v2-99bv", "code": "YEL", "display": "Vàng"}
    assert obs["5811-5"]["valueRange"] == {"low": {"value": 1.01}, "high": {"value": 1.025}}
    hemoglobin = obs["718-7"]
    assert hemoglobin["status"] == "preliminary"
    assert hemoglobin["referenceRange"][0]["low"]["value"] == 120
    assert "high" not in hemoglobin["referenceRange"][0]
    # the ORU's PID found the admitted patient and left it as it was
    assert patient["meta"]["versionId"] == "1"


def test_oru_links_the_stored_order(env: Env) -> None:
    env.accept("adt_a01.hl7", "orm_o01.hl7", "oru_r01.hl7")
    order = env.one("ServiceRequest")
    report = env.one("DiagnosticReport")
    assert report["basedOn"] == [{"reference": f"ServiceRequest/{order['id']}"}]
    assert all(o["basedOn"] == [{"reference": f"ServiceRequest/{order['id']}"}]
               for o in env.all("Observation"))


def test_corrected_results_replace_the_earlier_ones(env: Env) -> None:
    env.accept("adt_a01.hl7", "oru_r01.hl7")
    report = env.one("DiagnosticReport")
    glucose = _by_code(env.all("Observation"))["2345-7"]
    env.accept("oru_r01_corrected.hl7")
    corrected = env.one("DiagnosticReport")
    assert corrected["id"] == report["id"]
    assert corrected["status"] == "corrected"
    assert len(corrected["result"]) == 2
    now = _by_code(env.all("Observation"))["2345-7"]
    assert now["id"] == glucose["id"]
    assert now["status"] == "corrected"
    assert now["valueQuantity"]["value"] == 6.1
    assert now["interpretation"][0]["coding"][0]["code"] == "N"
    assert "note" not in now  # replaced, not merged
    # the same OBX (set id, code) is the same Observation: no new resources
    assert len(env.all("Observation")) == 7
    assert _by_code(env.all("Observation"))["2160-0"]["issued"] == "2024-01-05T11:25:00+07:00"


def test_orders_new_and_cancelled(env: Env) -> None:
    env.accept("adt_a01.hl7", "orm_o01.hl7")
    patient = env.one("Patient")
    encounter = env.one("Encounter")
    order = env.one("ServiceRequest")
    assert order["status"] == "active"
    assert order["intent"] == "order"
    assert order["priority"] == "stat"
    assert order["code"]["coding"][0]["code"] == "24323-8"
    assert order["subject"] == {"reference": f"Patient/{patient['id']}"}
    assert order["encounter"] == {"reference": f"Encounter/{encounter['id']}"}
    assert order["authoredOn"] == "2024-01-05T08:45:00+07:00"
    assert order["occurrenceDateTime"] == "2024-01-05T09:00:00+07:00"
    assert order["requester"]["identifier"]["value"] == "BS0001"
    assert order["reasonCode"][0]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10", "code": "E11.9",
        "display": "Đái tháo đường típ 2"}
    assert order["note"] == [{"text": "Lấy máu lúc đói"}]
    assert order["identifier"][0]["type"]["coding"][0]["code"] == "PLAC"
    env.accept("orm_o01_cancel.hl7")
    cancelled = env.one("ServiceRequest")
    assert cancelled["id"] == order["id"]
    assert cancelled["status"] == "revoked"
    assert cancelled["code"] == order["code"]  # what the cancel does not carry is kept


def test_laboratory_order_o21(env: Env) -> None:
    env.accept("oml_o21.hl7")
    patient = env.one("Patient")
    assert patient["name"][0]["text"] == "Trần Thị Bích Ngọc"
    orders = {o["code"]["coding"][0]["code"]: o for o in env.all("ServiceRequest")}
    assert sorted(orders) == ["2093-3", "4548-4"]
    hba1c = orders["4548-4"]
    assert hba1c["priority"] == "asap"
    assert hba1c["occurrenceDateTime"] == "2024-03-01T08:30:00+07:00"
    assert hba1c["reasonCode"][0]["coding"][0]["code"] == "R73.9"
    # the visit number names no stored encounter: a logical reference
    assert hba1c["encounter"] == {"type": "Encounter", "identifier": {
        "system": "https://carehub.vn/id/visit", "value": "V2024-0201"}}


def test_pharmacy_order_and_dispense(env: Env) -> None:
    env.accept("rde_o11.hl7")
    request = env.one("MedicationRequest")
    assert request["status"] == "active"
    assert request["intent"] == "order"
    assert request["medicationCodeableConcept"]["coding"][0] == {
        "system": "http://www.whocc.no/atc", "code": "A10BA02",
        "display": "Metformin 500 mg viên nén"}
    (dosage,) = request["dosageInstruction"]
    assert dosage["text"] == "Uống 1 viên sau ăn sáng và tối"
    assert dosage["timing"]["repeat"] == {
        "frequency": 2, "period": 1, "periodUnit": "d",
        "boundsPeriod": {"start": "2024-03-01", "end": "2024-03-31"}}
    assert dosage["route"]["coding"][0] == {
        "system": "http://snomed.info/sct", "code": "26643006", "display": "Oral route"}
    assert dosage["doseAndRate"][0]["doseQuantity"] == {
        "value": 500, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}
    assert request["dispenseRequest"]["quantity"]["value"] == 60
    assert request["dispenseRequest"]["numberOfRepeatsAllowed"] == 2
    assert request["note"] == [{"text": "Theo dõi đường huyết mỗi tuần"}]

    env.accept("rds_o13.hl7")
    dispense = env.one("MedicationDispense")
    assert dispense["status"] == "completed"
    assert dispense["authorizingPrescription"] == [
        {"reference": f"MedicationRequest/{request['id']}"}]
    assert dispense["quantity"] == {"value": 60, "unit": "viên",
                                    "system": "http://unitsofmeasure.org", "code": "{tablet}"}
    assert dispense["whenHandedOver"] == "2024-03-01T09:55:00+07:00"
    assert dispense["identifier"][0]["value"] == "DT-2024-000123"
    assert dispense["subject"] == request["subject"]
    assert dispense["dosageInstruction"][0]["route"]["coding"][0]["code"] == "26643006"
    # the dispense names the order by its placer and filler numbers: the request gains none
    assert env.one("MedicationRequest")["meta"]["versionId"] == "1"
