"""XML4 (laboratory and imaging results) and XML5 (clinical progress) of one episode.

QĐ 130/QĐ-BYT tables 4 and 5 as amended by QĐ 4750/QĐ-BYT:
https://thuvienphapluat.vn/van-ban/The-thao-Y-te/Quyet-dinh-4750-QD-BYT-2023-sua-doi-Quyet-dinh-130-QD-BYT-594371.aspx

* XML4: one record per laboratory Observation: the service code (the tariff's
  catalogue code for its LOINC), MA_CHI_SO the LOINC code, the value and unit.
* XML5 is sent for admissions only: one record per moment vital signs were
  taken, the readings written out as text (``Mạch 82 l/p, HA 122/76 mmHg``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from carehub.synth import systems
from carehub.vn_insurance.context import ExportContext
from carehub.vn_insurance.episode import Episode
from carehub.vn_insurance.export_costs import code_of, is_lab
from carehub.vn_insurance.validate import Record
from carehub.vn_insurance.values import xml_datetime

VITALS = {
    "8867-4": ("Mạch", "l/p"),
    "8480-6": ("HA tâm thu", "mmHg"),
    "8462-4": ("HA tâm trương", "mmHg"),
    "8310-5": ("Nhiệt độ", "°C"),
    "9279-1": ("Nhịp thở", "l/p"),
    "59408-5": ("SpO2", "%"),
    "29463-7": ("Cân nặng", "kg"),
    "8302-2": ("Chiều cao", "cm"),
}
"""LOINC vital signs written into XML5, with their Vietnamese label and unit."""


def value_text(obs: dict[str, Any]) -> tuple[str, str]:
    """(GIA_TRI, DON_VI_DO) of an Observation's value.

    >>> value_text({"valueQuantity": {"value": 5.1, "unit": "mmol/L"}})
    ('5.1', 'mmol/L')
    >>> value_text({"valueString": "âm tính"})
    ('âm tính', '')
    """
    if "valueQuantity" in obs:
        q = obs["valueQuantity"]
        return str(q.get("value", "")), str(q.get("unit") or q.get("code") or "")
    if "valueCodeableConcept" in obs:
        return str(obs["valueCodeableConcept"].get("text", "")), ""
    for key in ("valueString", "valueInteger", "valueBoolean"):
        if key in obs:
            return str(obs[key]), ""
    return "", ""


def result_records(ep: Episode, ctx: ExportContext) -> list[Record]:
    """XML4: the laboratory results, numbered from 1.

    Raises:
        NotFound: a test the tariff does not price (its catalogue code is needed).
    """
    out: list[Record] = []
    reader = ep.practitioner_code(ep.attender())
    for obs in ep.observations:
        if not is_lab(obs):
            continue
        loinc = code_of(obs.get("code"), systems.LOINC)
        value, unit = value_text(obs)
        when = obs.get("issued") or obs.get("effectiveDateTime") or ep.encounter["period"]["start"]
        performer = next(iter(obs.get("performer") or []), None)
        out.append({
            "MA_LK": ep.ma_lk,
            "STT": str(len(out) + 1),
            "MA_DICH_VU": ctx.tariff.price("lab", loinc).bhyt_code,
            "MA_CHI_SO": loinc,
            "TEN_CHI_SO": (obs.get("code") or {}).get("text", "")[:255],
            "GIA_TRI": value[:50],
            "DON_VI_DO": unit[:50],
            "NGAY_KQ": xml_datetime(when),
            "MA_BS_DOC_KQ": ep.practitioner_code(performer) or reader,
        })
    return out


def _readings(obs: dict[str, Any]) -> list[str]:
    parts = [obs, *(obs.get("component") or [])]
    out = []
    for part in parts:
        label = VITALS.get(code_of(part.get("code"), systems.LOINC))
        if label and "valueQuantity" in part:
            out.append(f"{label[0]} {part['valueQuantity']['value']} {label[1]}")
    return out


def progress_records(ep: Episode) -> list[Record]:
    """XML5: for an admission, one record per moment vital signs were taken."""
    if not ep.inpatient:
        return []
    by_time: dict[str, list[str]] = defaultdict(list)
    for obs in ep.observations:
        when = obs.get("effectiveDateTime")
        readings = _readings(obs)
        if when and readings:
            by_time[xml_datetime(when)].extend(readings)
    who = ep.practitioner_code(ep.attender())
    return [
        {"MA_LK": ep.ma_lk, "STT": str(n), "DIEN_BIEN_LS": ", ".join(texts),
         "THOI_DIEM_DBLS": when, "NGUOI_THUC_HIEN": who}
        for n, (when, texts) in enumerate(sorted(by_time.items()), start=1)
    ]
