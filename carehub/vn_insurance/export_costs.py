"""XML2 (drugs) and XML3 (services and supplies) of one episode: the cost lines.

QĐ 130/QĐ-BYT tables 2 and 3 as amended by QĐ 4750/QĐ-BYT:
https://thuvienphapluat.vn/van-ban/The-thao-Y-te/Quyet-dinh-4750-QD-BYT-2023-sua-doi-Quyet-dinh-130-QD-BYT-594371.aspx

* XML2: one line per MedicationDispense (priced by ATC code);
* XML3: the examination of an outpatient visit or the bed days of an
  admission (priced per department), one line per laboratory Observation
  (priced by LOINC) and one per SupplyDelivery (priced by stock code).

An item the tariff does not price fails the export (NotFound naming it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from carehub.synth import systems
from carehub.vn_insurance.context import ExportContext
from carehub.vn_insurance.episode import Episode, identifier
from carehub.vn_insurance.identifiers import parse_bhyt
from carehub.vn_insurance.tariff import Item, cost_fields
from carehub.vn_insurance.validate import Record
from carehub.vn_insurance.values import number_text, parse_xml_time, xml_datetime


def code_of(concept: dict[str, Any] | None, system: str) -> str:
    """The first code of ``system`` in a CodeableConcept ("" when none).

    >>> code_of({"coding": [{"system": "http://loinc.org", "code": "718-7"}]}, "http://loinc.org")
    '718-7'
    """
    for coding in (concept or {}).get("coding") or []:
        if coding.get("system") == system and coding.get("code"):
            return str(coding["code"])
    return ""


def department(ep: Episode) -> str:
    """MA_KHOA: the encounter's department code."""
    return code_of(ep.encounter.get("serviceType"), systems.DEPARTMENT)


def benefit_percent(ep: Episode) -> int:
    """MUC_HUONG of the patient's card (0 without a card)."""
    card = identifier(ep.patient, systems.BHYT)
    return parse_bhyt(card).benefit_percent if card else 0


def is_lab(obs: dict[str, Any]) -> bool:
    """Whether an Observation is a laboratory result with a LOINC code."""
    cats = [code_of(c, systems.OBSERVATION_CATEGORY) for c in obs.get("category") or []]
    return "laboratory" in cats and bool(code_of(obs.get("code"), systems.LOINC))


def _line(ep: Episode, item: Item, quantity: Decimal, ordered: str, percent: int) -> Record:
    rec: Record = {"MA_LK": ep.ma_lk, "MA_NHOM": item.group, "DON_VI_TINH": item.unit}
    rec.update(cost_fields(quantity, item, percent))
    rec.update({
        "MA_KHOA": department(ep),
        "MA_BAC_SI": ep.practitioner_code(ep.attender()),
        "NGAY_YL": ordered,
        "NGAY_TH_YL": ordered,
    })
    return rec


def drug_lines(ep: Episode, ctx: ExportContext) -> list[Record]:
    """XML2: one record per MedicationDispense, numbered from 1.

    Raises:
        NotFound: a drug the tariff does not price.
    """
    percent = benefit_percent(ep)
    out: list[Record] = []
    for disp in ep.dispenses:
        concept = disp.get("medicationCodeableConcept") or {}
        item = ctx.tariff.price("drug", code_of(concept, systems.ATC))
        quantity = Decimal(str((disp.get("quantity") or {}).get("value", 0)))
        when = disp.get("whenHandedOver") or ep.encounter["period"]["start"]
        rec = _line(ep, item, quantity, xml_datetime(when), percent)
        dosage = "; ".join(d.get("text", "") for d in disp.get("dosageInstruction") or [])
        rec.update({
            "MA_THUOC": item.bhyt_code,
            "TEN_THUOC": concept.get("text") or item.name,
            "LIEU_DUNG": dosage or "Theo chỉ định",
            "CACH_DUNG": dosage,
            "DON_GIA": number_text(item.price),
            "NGUON_CTRA": "1",
        })
        out.append(rec)
    return _numbered(out)


def _stay_days(ep: Episode) -> int:
    period = ep.encounter["period"]
    start = parse_xml_time(xml_datetime(period["start"])).date()
    end_text = period.get("end")
    end = parse_xml_time(xml_datetime(end_text)).date() if end_text else start
    return max(1, (end - start).days)


def service_lines(ep: Episode, ctx: ExportContext) -> list[Record]:
    """XML3: the visit or bed days, laboratory tests and supplies, numbered from 1.

    Raises:
        NotFound: a service or supply the tariff does not price.
    """
    percent = benefit_percent(ep)
    start = xml_datetime(ep.encounter["period"]["start"])
    out: list[Record] = []
    if ep.inpatient:
        item = ctx.tariff.price("bed", department(ep))
        out.append(_service(_line(ep, item, Decimal(_stay_days(ep)), start, percent), item))
    else:
        item = ctx.tariff.price("exam", department(ep))
        out.append(_service(_line(ep, item, Decimal(1), start, percent), item))
    for obs in ep.observations:
        if not is_lab(obs):
            continue
        item = ctx.tariff.price("lab", code_of(obs.get("code"), systems.LOINC))
        when = xml_datetime(obs.get("effectiveDateTime") or ep.encounter["period"]["start"])
        rec = _service(_line(ep, item, Decimal(1), when, percent), item)
        rec["NGAY_KQ"] = xml_datetime(obs.get("issued") or obs.get("effectiveDateTime") or "")
        out.append(rec)
    for sup in ep.supplies:
        supplied = sup.get("suppliedItem") or {}
        item = ctx.tariff.price("supply", code_of(supplied.get("itemCodeableConcept"),
                                                  systems.SUPPLY_ITEM))
        quantity = Decimal(str((supplied.get("quantity") or {}).get("value", 1)))
        rec = _line(ep, item, quantity, xml_datetime(sup["occurrenceDateTime"]), percent)
        rec.update({"MA_VAT_TU": item.bhyt_code, "TEN_VAT_TU": item.name,
                    "DON_GIA_BV": number_text(item.price), "DON_GIA_BH": number_text(item.price)})
        out.append(rec)
    return _numbered(out)


def _service(rec: Record, item: Item) -> Record:
    rec.update({"MA_DICH_VU": item.bhyt_code, "TEN_DICH_VU": item.name,
                "DON_GIA_BV": number_text(item.price), "DON_GIA_BH": number_text(item.price)})
    return rec


def _numbered(records: list[Record]) -> list[Record]:
    for number, rec in enumerate(records, start=1):
        rec["STT"] = str(number)
    return records


def stay_days(ep: Episode) -> int:
    """SO_NGAY_DTRI: days of treatment (1 for a visit; nights for an admission, at least 1).

    >>> from carehub.vn_insurance.episode import Episode, identifier
    >>> enc = {"id": "e", "class": {"code": "IMP"},
    ...        "period": {"start": "2025-01-01T10:00:00+07:00", "end": "2025-01-05T09:00:00+07:00"}}
    >>> stay_days(Episode(patient={}, encounter=enc))
    4
    """
    return _stay_days(ep) if ep.inpatient else 1


