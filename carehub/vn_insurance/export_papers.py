"""The papers of an episode: XML7 discharge, XML8 record summary, XML11 sick leave,
XML13 referral, XML14 re-visit appointment (QĐ 4750/QĐ-BYT tables 7, 8, 11, 13, 14).

https://thuvienphapluat.vn/van-ban/The-thao-Y-te/Quyet-dinh-4750-QD-BYT-2023-sua-doi-Quyet-dinh-130-QD-BYT-594371.aspx

Each paper is made only when the FHIR data records it:

* XML7 and XML8: a finished admission (class ``IMP``);
* XML11: an Observation coded ``vn-insurance#sick-leave`` whose ``valuePeriod``
  is the leave;
* XML13: a transfer (``dischargeDisposition`` ``other-hcf``) whose
  ``hospitalization.destination`` carries the receiving facility's code as
  ``identifier.value``;
* XML14: an Appointment naming the encounter in ``supportingInformation``.
"""

from __future__ import annotations

from typing import Any

from carehub.synth import systems
from carehub.vn_insurance.context import ExportContext
from carehub.vn_insurance.episode import SICK_LEAVE_CODE, SICK_LEAVE_SYSTEM, Episode, identifier
from carehub.vn_insurance.export_costs import code_of, department
from carehub.vn_insurance.export_summary import icd10, outcome_codes
from carehub.vn_insurance.validate import Record
from carehub.vn_insurance.values import parse_xml_time, xml_date, xml_datetime


def _treatment(ep: Episode) -> str:
    drugs = [(d.get("medicationCodeableConcept") or {}).get("text", "") for d in ep.dispenses]
    text = ", ".join(t for t in drugs if t)
    return f"Điều trị nội khoa: {text}" if text else "Điều trị nội khoa"


def _doctor_name(ep: Episode) -> str:
    pid = (ep.attender() or {}).get("reference", "").removeprefix("Practitioner/")
    for name in (ep.practitioners.get(pid) or {}).get("name") or []:
        return str(name.get("text") or " ".join([name.get("family", ""), *name.get("given", [])]))
    return ""


def discharge_paper(ep: Episode, ctx: ExportContext, summary: Record) -> list[Record]:
    """XML7 (giấy ra viện) of a finished admission; [] otherwise."""
    if not ep.inpatient or not summary.get("NGAY_RA"):
        return []
    return [{
        "MA_LK": ep.ma_lk,
        "SO_LUU_TRU": ep.ma_lk,
        "MA_YTE": summary["MA_BN"],
        "MA_KHOA_RV": department(ep),
        "NGAY_VAO": summary["NGAY_VAO"],
        "NGAY_RA": summary["NGAY_RA"],
        "CHAN_DOAN_RV": summary["CHAN_DOAN_RV"][:1500],
        "PP_DIEUTRI": _treatment(ep)[:1500],
        "MA_TTDV": ctx.head_id,
        "MA_BS": ep.practitioner_code(ep.attender()),
        "TEN_BS": _doctor_name(ep),
        "NGAY_CT": summary["NGAY_RA"][:8],
    }]


def record_summary(ep: Episode, ctx: ExportContext, summary: Record,
                   results: list[Record]) -> list[Record]:
    """XML8 (tóm tắt hồ sơ bệnh án) of a finished admission; [] otherwise."""
    if not ep.inpatient or not summary.get("NGAY_RA"):
        return []
    findings = "; ".join(f"{r['TEN_CHI_SO']}: {r['GIA_TRI']} {r['DON_VI_DO']}".strip()
                         for r in results)
    return [{
        "MA_LK": ep.ma_lk,
        "MA_LOAI_KCB": summary["MA_LOAI_KCB"],
        "NGAY_VAO": summary["NGAY_VAO"],
        "NGAY_RA": summary["NGAY_RA"],
        "CHAN_DOAN_VAO": summary["CHAN_DOAN_VAO"],
        "CHAN_DOAN_RV": summary["CHAN_DOAN_RV"],
        "QT_BENHLY": summary.get("LY_DO_VV") or summary["CHAN_DOAN_VAO"],
        "TOMTAT_KQ": findings or "Không có xét nghiệm",
        "PP_DIEUTRI": _treatment(ep),
        "KET_QUA_DTRI": outcome_codes(ep)[0],
        "MA_TTDV": ctx.head_id,
        "NGAY_CT": summary["NGAY_RA"][:8],
    }]


def _sick_leave(ep: Episode) -> dict[str, Any] | None:
    for obs in ep.observations:
        if code_of(obs.get("code"), SICK_LEAVE_SYSTEM) == SICK_LEAVE_CODE and "valuePeriod" in obs:
            return obs
    return None


def sick_leave_paper(ep: Episode, ctx: ExportContext, summary: Record) -> list[Record]:
    """XML11 (giấy chứng nhận nghỉ việc hưởng BHXH) when a sick leave is recorded."""
    obs = _sick_leave(ep)
    if obs is None:
        return []
    period = obs["valuePeriod"]
    first, last = xml_date(period["start"]), xml_date(period["end"])
    days = (parse_xml_time(last).date() - parse_xml_time(first).date()).days + 1
    card = identifier(ep.patient, systems.BHYT)
    number = f"{ep.ma_lk}-NV"
    return [{
        "MA_LK": ep.ma_lk,
        "SO_CT": number,
        "SO_SERI": number,
        "SO_KCB": ep.ma_lk,
        "MA_BHXH": card[-10:],
        "MA_THE_BHYT": card,
        "CHAN_DOAN_RV": summary["CHAN_DOAN_RV"],
        "PP_DIEUTRI": _treatment(ep),
        "MA_DINH_CHI_THAI": "0",
        "SO_NGAY_NGHI": str(days),
        "TU_NGAY": first,
        "DEN_NGAY": last,
        "MA_TTDV": ctx.head_id,
        "MA_BS": ep.practitioner_code(ep.attender()),
        "NGAY_CT": xml_date(obs.get("issued") or obs.get("effectiveDateTime") or period["start"]),
        "MAU_SO": "CT07",
    }]


def referral_paper(ep: Episode, ctx: ExportContext, summary: Record) -> list[Record]:
    """XML13 (giấy chuyển tuyến) of a transfer to a facility with a known code."""
    hosp = ep.encounter.get("hospitalization") or {}
    target = ((hosp.get("destination") or {}).get("identifier") or {}).get("value", "")
    if not target or summary.get("MA_LOAI_RV") not in ("2", "5"):
        return []
    codes = icd10(ep)
    return [{
        "MA_LK": ep.ma_lk,
        "SO_HOSO": ep.ma_lk,
        "SO_CHUYENTUYEN": f"{ep.ma_lk}-CT",
        "GIAY_CHUYEN_TUYEN": f"{ep.ma_lk}-CT",
        "MA_CSKCB": ctx.facility_code,
        "MA_NOI_DI": ctx.facility_code,
        "MA_NOI_DEN": target,
        **{k: summary.get(k, "") for k in ("HO_TEN", "NGAY_SINH", "GIOI_TINH", "DIA_CHI",
                                          "MA_THE_BHYT", "GT_THE_DEN", "NGAY_VAO",
                                          "NGAY_VAO_NOI_TRU", "NGAY_RA", "CHAN_DOAN_RV",
                                          "MA_LOAI_RV")},
        "DAU_HIEU_LS": summary.get("LY_DO_VV", ""),
        "PP_DIEUTRI": _treatment(ep),
        "MA_BENH_CHINH": codes[0],
        "MA_BENH_KT": ";".join(codes[1:12]),
        "MA_LYDO_CT": "1",
        "HUONG_DIEU_TRI": "Tiếp tục điều trị tại tuyến trên",
        "MA_BAC_SI": ep.practitioner_code(ep.attender()),
        "MA_TTDV": ctx.head_id,
    }]


def revisit_paper(ep: Episode, ctx: ExportContext, summary: Record) -> list[Record]:
    """XML14 (giấy hẹn khám lại) for the first Appointment booked from the encounter."""
    booked = sorted((a for a in ep.appointments if a.get("start")), key=lambda a: a["start"])
    if not booked:
        return []
    appt = booked[0]
    made = appt.get("created") or summary["NGAY_RA"]
    made_day = xml_date(made) if "-" in made else made[:8]
    return [{
        "MA_LK": ep.ma_lk,
        "SO_GIAYHEN_KL": str(appt.get("id", ep.ma_lk))[:50],
        "MA_CSKCB": ctx.facility_code,
        **{k: summary.get(k, "") for k in ("HO_TEN", "NGAY_SINH", "GIOI_TINH", "DIA_CHI",
                                          "MA_THE_BHYT", "GT_THE_DEN", "NGAY_VAO",
                                          "NGAY_VAO_NOI_TRU", "NGAY_RA", "CHAN_DOAN_RV",
                                          "MA_BENH_CHINH", "MA_BENH_KT", "MA_DOITUONG_KCB")},
        "NGAY_HEN_KL": xml_datetime(appt["start"]),
        "MA_BAC_SI": ep.practitioner_code(ep.attender()),
        "MA_TTDV": ctx.head_id,
        "NGAY_CT": made_day,
    }]


def papers(ep: Episode, ctx: ExportContext, summary: Record,
           results: list[Record]) -> dict[str, list[Record]]:
    """Every paper of the episode, by table key (tables without a paper left out)."""
    made = {
        "XML7": discharge_paper(ep, ctx, summary),
        "XML8": record_summary(ep, ctx, summary, results),
        "XML11": sick_leave_paper(ep, ctx, summary),
        "XML13": referral_paper(ep, ctx, summary),
        "XML14": revisit_paper(ep, ctx, summary),
    }
    return {k: v for k, v in made.items() if v}



