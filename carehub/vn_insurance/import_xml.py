"""Import health-insurance XML episodes received from other facilities into FHIR R4.

QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT (field meanings), FHIR R4 resources
(https://hl7.org/fhir/R4/resourcelist.html). The episode is validated first
(:func:`carehub.vn_insurance.validate.validate_hoso`); an invalid one raises
:class:`~carehub.errors.Invalid` with every problem and yields nothing, so the
caller writes all of an envelope or none of it.

Mapping (ids are ``vn-<MA_CSKCB>-<key>``, so a re-import updates in place):

* XML1 → Patient (MA_BN, CCCD, BHYT, name, sex, birth, address, phone),
  Coverage (card, validity, MA_DKBD), Encounter (MA_LK as identifier; class
  IMP for MA_LOAI_KCB ``03``, else AMB/EMER; period; department), and one
  Condition per ICD-10 code (MA_BENH_CHINH first, then MA_BENH_KT);
* XML2 → MedicationDispense (catalogue code MA_THUOC, name, quantity, dosage);
* XML3 → ChargeItem (MA_DICH_VU or MA_VAT_TU, quantity, unit price);
* XML4 → Observation (LOINC when MA_CHI_SO is one, value and unit);
* XML11 → the sick-leave Observation; XML14 → Appointment.

XML5, XML7, XML8 and XML13 carry text already summarised by the above and are
not turned into resources.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from carehub.errors import Incorrect
from carehub.synth import systems
from carehub.vn_insurance.episode import COVERAGE_CLASS, SICK_LEAVE_CODE, SICK_LEAVE_SYSTEM
from carehub.vn_insurance.export_summary import SEX
from carehub.vn_insurance.validate import Hoso, Record, raise_if_invalid, validate_hoso
from carehub.vn_insurance.values import decimal, fhir_datetime

MA_LK_SYSTEM = "https://carehub.vn/id/vn-ma-lk"
"""Identifier system of an episode key; the value is ``<MA_CSKCB>/<MA_LK>``."""
DRUG_SYSTEM = "https://carehub.vn/fhir/CodeSystem/vn-drug"
"""Drug codes of the Ministry of Health's shared catalogue (MA_THUOC)."""
SERVICE_SYSTEM = "https://carehub.vn/fhir/CodeSystem/vn-service"
"""Service codes of the shared catalogue (MA_DICH_VU)."""
SUPPLY_SYSTEM = "https://carehub.vn/fhir/CodeSystem/vn-supply"
"""Medical supply codes (MA_VAT_TU)."""
_LOINC = re.compile(r"^\d{1,7}-\d$")
_ID_BAD = re.compile(r"[^A-Za-z0-9.\-]+")
_GENDER = {v: k for k, v in SEX.items()}


def fhir_id(*parts: str) -> str:
    """A valid FHIR id from ``parts`` (hashed when longer than 64 characters).

    >>> fhir_id("vn", "01001", "LK_2025/001")
    'vn-01001-LK-2025-001'
    >>> len(fhir_id("vn", "x" * 100))
    64
    """
    text = _ID_BAD.sub("-", "-".join(parts)).strip("-")
    if len(text) <= 64:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{text[:47]}-{digest}"


def _ref(resource_type: str, id: str) -> dict[str, str]:
    return {"reference": f"{resource_type}/{id}"}


def _first_date(value: str) -> str:
    part = value.split(";")[0].strip()
    return fhir_datetime(part[:8]) if part else ""


def _patient(head: Record, pid: str, facility: str) -> dict[str, Any]:
    idents = [{"system": f"{systems.MRN}/{facility}", "value": head["MA_BN"]}]
    for system, key in ((systems.CCCD, "SO_CCCD"), (systems.BHYT, "MA_THE_BHYT")):
        if head.get(key):
            idents.append({"system": system, "value": head[key].split(";")[0]})
    words = head["HO_TEN"].split()
    patient: dict[str, Any] = {
        "resourceType": "Patient", "id": pid, "identifier": idents,
        "name": [{"use": "official", "text": head["HO_TEN"], "family": words[0],
                  "given": words[1:]}],
        "gender": _GENDER.get(head.get("GIOI_TINH", ""), "unknown"),
    }
    if head.get("NGAY_SINH"):
        patient["birthDate"] = fhir_datetime(head["NGAY_SINH"][:8])
    if head.get("DIA_CHI"):
        patient["address"] = [{"use": "home", "text": head["DIA_CHI"], "country": "VN"}]
    if head.get("DIEN_THOAI"):
        patient["telecom"] = [{"system": "phone", "value": head["DIEN_THOAI"]}]
    return patient


def _coverage(head: Record, pid: str, facility: str) -> dict[str, Any] | None:
    card = head.get("MA_THE_BHYT", "").split(";")[0]
    if not card:
        return None
    cov: dict[str, Any] = {
        "resourceType": "Coverage", "id": fhir_id("vn", facility, card), "status": "active",
        "identifier": [{"system": systems.BHYT, "value": card}],
        "beneficiary": _ref("Patient", pid),
        "payor": [{"display": "Bảo hiểm xã hội Việt Nam"}],
    }
    period = {k: _first_date(head.get(f, "")) for k, f in (("start", "GT_THE_TU"),
                                                           ("end", "GT_THE_DEN"))}
    if any(period.values()):
        cov["period"] = {k: v for k, v in period.items() if v}
    if head.get("MA_DKBD"):
        cov["class"] = [{"type": {"coding": [{"system": COVERAGE_CLASS, "code": "dkbd"}]},
                         "value": head["MA_DKBD"].split(";")[0]}]
    return cov


def _encounter(head: Record, eid: str, pid: str, facility: str,
               conditions: list[str]) -> dict[str, Any]:
    inpatient = head.get("MA_LOAI_KCB") == "03"
    cls = "IMP" if inpatient else ("EMER" if head.get("MA_DOITUONG_KCB") == "2" else "AMB")
    enc: dict[str, Any] = {
        "resourceType": "Encounter", "id": eid, "status": "finished",
        "identifier": [{"system": MA_LK_SYSTEM, "value": f"{facility}/{head['MA_LK']}"}],
        "class": {"system": systems.V3_ACT_CODE, "code": cls},
        "subject": _ref("Patient", pid),
        "period": {"start": fhir_datetime(head["NGAY_VAO"]),
                   "end": fhir_datetime(head["NGAY_RA"])},
        "serviceProvider": {"identifier": {"value": facility}},
        "diagnosis": [{"condition": _ref("Condition", c), "rank": n}
                      for n, c in enumerate(conditions, start=1)],
    }
    if head.get("MA_KHOA"):
        enc["serviceType"] = {"coding": [{"system": systems.DEPARTMENT,
                                          "code": head["MA_KHOA"].split(";")[0]}]}
    if head.get("LY_DO_VV"):
        enc["reasonCode"] = [{"text": head["LY_DO_VV"]}]
    if inpatient:
        disposition = {"5": "exp"}.get(head.get("KET_QUA_DTRI", ""), "")
        disposition = disposition or {"2": "other-hcf", "5": "other-hcf", "4": "aadvice",
                                      "3": "aadvice"}.get(head.get("MA_LOAI_RV", ""), "home")
        enc["hospitalization"] = {"dischargeDisposition": {"coding": [
            {"system": systems.DISCHARGE_DISPOSITION, "code": disposition}]}}
    return enc


def _conditions(head: Record, pid: str, eid: str) -> list[dict[str, Any]]:
    codes = [head["MA_BENH_CHINH"], *(c for c in head.get("MA_BENH_KT", "").split(";") if c)]
    out = []
    for n, code in enumerate(codes, start=1):
        cond: dict[str, Any] = {
            "resourceType": "Condition", "id": f"{eid}-c{n}"[:64],
            "verificationStatus": {"coding": [{"system": systems.CONDITION_VER_STATUS,
                                               "code": "confirmed"}]},
            "category": [{"coding": [{"system": systems.CONDITION_CATEGORY,
                                      "code": "encounter-diagnosis"}]}],
            "code": {"coding": [{"system": systems.ICD10, "code": code}]},
            "subject": _ref("Patient", pid), "encounter": _ref("Encounter", eid),
        }
        if n == 1 and head.get("CHAN_DOAN_RV"):
            cond["code"]["text"] = head["CHAN_DOAN_RV"].split(";")[0].strip()
        out.append(cond)
    return out


def _quantity(value: str, unit: str) -> dict[str, Any]:
    number = decimal(value)
    q: dict[str, Any] = {"value": int(number) if number == number.to_integral() else float(number)}
    if unit:
        q["unit"] = unit
    return q


def _dispense(rec: Record, pid: str, eid: str) -> dict[str, Any]:
    disp: dict[str, Any] = {
        "resourceType": "MedicationDispense", "id": f"{eid}-d{rec['STT']}"[:64],
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": DRUG_SYSTEM,
                                                  "code": rec["MA_THUOC"]}],
                                      "text": rec["TEN_THUOC"]},
        "subject": _ref("Patient", pid), "context": _ref("Encounter", eid),
        "quantity": _quantity(rec["SO_LUONG"], rec.get("DON_VI_TINH", "")),
        "whenHandedOver": fhir_datetime(rec.get("NGAY_TH_YL") or rec["NGAY_YL"]),
    }
    if rec.get("LIEU_DUNG"):
        disp["dosageInstruction"] = [{"text": rec["LIEU_DUNG"]}]
    return disp


def _charge(rec: Record, pid: str, eid: str) -> dict[str, Any]:
    system, code = ((SUPPLY_SYSTEM, rec["MA_VAT_TU"]) if rec.get("MA_VAT_TU")
                    else (SERVICE_SYSTEM, rec.get("MA_DICH_VU", "")))
    text = rec.get("TEN_VAT_TU") or rec.get("TEN_DICH_VU") or code
    return {
        "resourceType": "ChargeItem", "id": f"{eid}-s{rec['STT']}"[:64], "status": "billed",
        "code": {"coding": [{"system": system, "code": code}], "text": text},
        "subject": _ref("Patient", pid), "context": _ref("Encounter", eid),
        "occurrenceDateTime": fhir_datetime(rec["NGAY_YL"]),
        "quantity": _quantity(rec["SO_LUONG"], rec.get("DON_VI_TINH", "")),
        "priceOverride": {"value": float(decimal(rec["DON_GIA_BV"])), "currency": "VND"},
    }


def _result(rec: Record, pid: str, eid: str) -> dict[str, Any]:
    code = rec["MA_CHI_SO"]
    system = systems.LOINC if _LOINC.match(code) else SERVICE_SYSTEM
    obs: dict[str, Any] = {
        "resourceType": "Observation", "id": f"{eid}-o{rec['STT']}"[:64], "status": "final",
        "category": [{"coding": [{"system": systems.OBSERVATION_CATEGORY,
                                  "code": "laboratory"}]}],
        "code": {"coding": [{"system": system, "code": code}], "text": rec["TEN_CHI_SO"]},
        "subject": _ref("Patient", pid), "encounter": _ref("Encounter", eid),
        "effectiveDateTime": fhir_datetime(rec["NGAY_KQ"]),
    }
    value = rec.get("GIA_TRI", "")
    try:
        obs["valueQuantity"] = _quantity(value, rec.get("DON_VI_DO", ""))
    except Incorrect:
        if value:
            obs["valueString"] = value
    if rec.get("KET_LUAN"):
        obs["note"] = [{"text": rec["KET_LUAN"]}]
    return obs


def _sick_leave(rec: Record, pid: str, eid: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation", "id": f"{eid}-nv"[:64], "status": "final",
        "code": {"coding": [{"system": SICK_LEAVE_SYSTEM, "code": SICK_LEAVE_CODE}],
                 "text": "Giấy chứng nhận nghỉ việc hưởng BHXH"},
        "subject": _ref("Patient", pid), "encounter": _ref("Encounter", eid),
        "valuePeriod": {"start": fhir_datetime(rec["TU_NGAY"]),
                        "end": fhir_datetime(rec["DEN_NGAY"])},
    }


def _appointment(rec: Record, pid: str, eid: str) -> dict[str, Any]:
    return {
        "resourceType": "Appointment", "id": f"{eid}-hen"[:64], "status": "booked",
        "start": fhir_datetime(rec["NGAY_HEN_KL"]),
        "end": fhir_datetime(rec["NGAY_HEN_KL"]),
        "supportingInformation": [_ref("Encounter", eid)],
        "participant": [{"actor": _ref("Patient", pid), "status": "accepted"}],
    }


def import_hoso(hoso: Hoso, facility: str) -> list[dict[str, Any]]:
    """The FHIR resources of one validated episode from facility ``facility``.

    Raises:
        Invalid: the episode breaks a rule of the decision (every problem listed).
    """
    raise_if_invalid(validate_hoso(hoso), "the received episode")
    head = hoso["XML1"][0]
    sender = facility or head["MA_CSKCB"]
    pid = fhir_id("vn", sender, head["MA_BN"])
    eid = fhir_id("vn", sender, head["MA_LK"])
    conditions = _conditions(head, pid, eid)
    out: list[dict[str, Any]] = [_patient(head, pid, sender)]
    cov = _coverage(head, pid, sender)
    if cov:
        out.append(cov)
    out.append(_encounter(head, eid, pid, sender, [c["id"] for c in conditions]))
    out.extend(conditions)
    out.extend(_dispense(r, pid, eid) for r in hoso.get("XML2") or [])
    out.extend(_charge(r, pid, eid) for r in hoso.get("XML3") or [])
    out.extend(_result(r, pid, eid) for r in hoso.get("XML4") or [])
    out.extend(_sick_leave(r, pid, eid) for r in hoso.get("XML11") or [])
    out.extend(_appointment(r, pid, eid) for r in hoso.get("XML14") or [])
    return out


def transaction(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A transaction Bundle that PUTs ``resources`` (all stored, or none).

    >>> transaction([{"resourceType": "Patient", "id": "p"}])["entry"][0]["request"]
    {'method': 'PUT', 'url': 'Patient/p'}
    """
    return {
        "resourceType": "Bundle", "type": "transaction",
        "entry": [{"resource": r, "request": {"method": "PUT",
                                              "url": f"{r['resourceType']}/{r['id']}"}}
                  for r in resources],
    }
