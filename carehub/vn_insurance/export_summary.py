"""XML1 (summary of the episode) and the check-in record (QĐ 4750/QĐ-BYT tables 1 and check-in).

https://thuvienphapluat.vn/van-ban/The-thao-Y-te/Quyet-dinh-4750-QD-BYT-2023-sua-doi-Quyet-dinh-130-QD-BYT-594371.aspx

Codes used (QĐ 130 field meanings; DMDC code sets of the Ministry of Health):

* GIOI_TINH 1 male, 2 female, 3 unknown;
* MA_LOAI_KCB ``01`` examination (ambulatory, emergency), ``03`` inpatient;
* MA_DOITUONG_KCB ``1`` ordinary insured visit, ``2`` emergency;
* KET_QUA_DTRI 1 cured, 2 improved, 3 unchanged, 5 died, 7 undetermined;
  MA_LOAI_RV 1 discharged, 2 transferred, 4 left on request — from
  ``Encounter.hospitalization.dischargeDisposition`` and the diagnoses' status.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from carehub.errors import Incorrect
from carehub.synth import systems
from carehub.vn_insurance.context import ExportContext
from carehub.vn_insurance.episode import COVERAGE_CLASS, Episode, identifier
from carehub.vn_insurance.export_costs import code_of, department, stay_days
from carehub.vn_insurance.validate import Record
from carehub.vn_insurance.values import decimal, number_text, xml_date, xml_datetime

SEX = {"male": "1", "female": "2"}
_DISCHARGE = {"exp": ("5", "1"), "other-hcf": ("3", "2"), "aadvice": ("7", "4")}


def sex_code(patient: dict[str, Any]) -> str:
    """GIOI_TINH of a Patient.

    >>> sex_code({"gender": "female"}), sex_code({})
    ('2', '3')
    """
    return SEX.get(str(patient.get("gender")), "3")


def full_name(patient: dict[str, Any]) -> str:
    """HO_TEN: the official name's text, else family + given names.

    Raises:
        Incorrect: the Patient has no name.

    >>> full_name({"name": [{"family": "Nguyễn", "given": ["Văn", "An"]}]})
    'Nguyễn Văn An'
    """
    for name in patient.get("name") or []:
        text = name.get("text") or " ".join([name.get("family", ""), *name.get("given", [])])
        if text.strip():
            return str(text).strip()
    raise Incorrect(f"Patient/{patient.get('id')} has no name")


def icd10(ep: Episode) -> list[str]:
    """The ICD-10 codes of the episode's diagnoses, principal first.

    Without a diagnosis, the encounter's ICD-10 ``reasonCode`` stands in.
    """
    codes = [code_of(c.get("code"), systems.ICD10) for c in ep.conditions]
    if not any(codes):
        codes = [code_of(r, systems.ICD10) for r in ep.encounter.get("reasonCode") or []]
    return [c for c in codes if c]


def diagnosis_text(ep: Episode) -> str:
    """CHAN_DOAN_RV: the diagnoses' texts joined with ``; ``."""
    texts = [(c.get("code") or {}).get("text", "") for c in ep.conditions]
    return "; ".join(t for t in texts if t)


def outcome_codes(ep: Episode) -> tuple[str, str]:
    """(KET_QUA_DTRI, MA_LOAI_RV) of the episode."""
    hosp = ep.encounter.get("hospitalization") or {}
    disposition = code_of(hosp.get("dischargeDisposition"), systems.DISCHARGE_DISPOSITION)
    if disposition in _DISCHARGE:
        return _DISCHARGE[disposition]
    statuses = {code_of(c.get("clinicalStatus"), systems.CONDITION_CLINICAL)
                for c in ep.conditions}
    return ("1" if statuses == {"resolved"} else "2"), "1"


def card_fields(ep: Episode) -> Record:
    """MA_THE_BHYT, MA_DKBD, GT_THE_TU, GT_THE_DEN from the Patient and its Coverage."""
    rec: Record = {"MA_THE_BHYT": identifier(ep.patient, systems.BHYT)}
    cov = ep.coverage or {}
    period = cov.get("period") or {}
    rec["GT_THE_TU"] = xml_date(period["start"]) if period.get("start") else ""
    rec["GT_THE_DEN"] = xml_date(period["end"]) if period.get("end") else ""
    rec["MA_DKBD"] = ""
    for cls in cov.get("class") or []:
        if code_of(cls.get("type"), COVERAGE_CLASS) == "dkbd":
            rec["MA_DKBD"] = str(cls.get("value", ""))
    return rec


def _common(ep: Episode, ctx: ExportContext) -> Record:
    start = xml_datetime(ep.encounter["period"]["start"])
    emergency = (ep.encounter.get("class") or {}).get("code") == "EMER"
    rec: Record = {
        "MA_LK": ep.ma_lk,
        "STT": "1",
        "MA_BN": identifier(ep.patient, systems.MRN) or str(ep.patient["id"]),
        "HO_TEN": full_name(ep.patient),
        "SO_CCCD": identifier(ep.patient, systems.CCCD),
        "NGAY_SINH": xml_datetime(ep.patient["birthDate"]) if ep.patient.get("birthDate") else "",
        "GIOI_TINH": sex_code(ep.patient),
        **card_fields(ep),
        "MA_DOITUONG_KCB": "2" if emergency else "1",
        "NGAY_VAO": start,
        "NGAY_VAO_NOI_TRU": start if ep.inpatient else "",
        "MA_LOAI_KCB": "03" if ep.inpatient else "01",
        "MA_CSKCB": ctx.facility_code,
    }
    return rec


def checkin_record(ep: Episode, ctx: ExportContext, first_service: Record | None) -> Record:
    """The check-in (trạng thái KCB) record, sent when the patient arrives."""
    rec = _common(ep, ctx)
    if ep.inpatient:
        rec["LY_DO_VNT"] = diagnosis_text(ep)
    if first_service:
        for name in ("MA_DICH_VU", "TEN_DICH_VU", "MA_VAT_TU", "TEN_VAT_TU", "NGAY_YL"):
            rec[name] = first_service.get(name, "")
    return rec


def _sum(records: list[Record], name: str) -> Decimal:
    return sum((decimal(r.get(name) or "0") for r in records), Decimal(0))


def summary_record(ep: Episode, ctx: ExportContext, drugs: list[Record],
                   services: list[Record]) -> Record:
    """XML1 with the totals of ``drugs`` (XML2) and ``services`` (XML3).

    Raises:
        Incorrect: the encounter has not ended (no period.end) or no diagnosis.
    """
    period = ep.encounter["period"]
    if not period.get("end"):
        raise Incorrect(f"Encounter/{ep.ma_lk} has not ended; only finished episodes are claimed")
    codes = icd10(ep)
    if not codes:
        raise Incorrect(f"Encounter/{ep.ma_lk} has no ICD-10 diagnosis")
    lines = drugs + services
    result, discharge = outcome_codes(ep)
    address: dict[str, Any] = next(iter(ep.patient.get("address") or []), {})
    phone = next((t.get("value", "") for t in ep.patient.get("telecom") or []
                  if t.get("system") == "phone"), "")
    rec = _common(ep, ctx)
    created = ctx.created
    rec.update({
        "DIA_CHI": address.get("text", ""),
        "DIEN_THOAI": phone,
        "LY_DO_VV": (ep.encounter.get("reasonCode") or [{}])[0].get("text", "")
        or next((t.get("text", "") for t in ep.encounter.get("type") or []), ""),
        "CHAN_DOAN_VAO": diagnosis_text(ep),
        "CHAN_DOAN_RV": diagnosis_text(ep),
        "MA_BENH_CHINH": codes[0],
        "MA_BENH_KT": ";".join(codes[1:12]),
        "NGAY_RA": xml_datetime(period["end"]),
        "SO_NGAY_DTRI": str(stay_days(ep)),
        "KET_QUA_DTRI": result,
        "MA_LOAI_RV": discharge,
        "NGAY_TTOAN": created,
        "T_THUOC": number_text(_sum(drugs, "THANH_TIEN_BV")),
        "T_VTYT": number_text(_sum([s for s in services if s.get("MA_VAT_TU")],
                                   "THANH_TIEN_BV")),
        "T_TONGCHI_BV": number_text(_sum(lines, "THANH_TIEN_BV")),
        "T_TONGCHI_BH": number_text(_sum(lines, "THANH_TIEN_BH")),
        "T_BNTT": number_text(_sum(lines, "T_BNTT")),
        "T_BNCCT": number_text(_sum(lines, "T_BNCCT")),
        "T_BHTT": number_text(_sum(lines, "T_BHTT")),
        "T_NGUONKHAC": number_text(_sum(lines, "T_NGUONKHAC")),
        "T_BHTT_GDV": number_text(_sum(lines, "T_BHTT")),
        "NAM_QT": created[:4],
        "THANG_QT": str(int(created[4:6])),
        "MA_KHOA": department(ep),
        "MA_HSBA": ep.ma_lk,
        "MA_TTDV": ctx.head_id,
    })
    for appt in ep.appointments:
        if appt.get("start"):
            rec["NGAY_TAI_KHAM"] = xml_date(appt["start"])
    for obs in ep.observations:
        if code_of(obs.get("code"), systems.LOINC) == "29463-7":
            rec["CAN_NANG"] = f"{Decimal(str(obs['valueQuantity']['value'])):.2f}"
    return rec
