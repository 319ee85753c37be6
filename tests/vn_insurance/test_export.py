"""Exporting synthetic episodes: tables, papers, envelope; failures that stop an export."""

from __future__ import annotations

import base64
import copy
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest

from carehub.errors import Incorrect, Invalid, NotFound
from carehub.synth import systems
from carehub.vn_insurance.envelope import read_envelope
from carehub.vn_insurance.episode import (
    SICK_LEAVE_CODE,
    SICK_LEAVE_SYSTEM,
    MemoryReader,
    collect_episode,
    episodes_between,
    identifier,
)
from carehub.vn_insurance.export import Exported, checkin_bytes, envelope_bytes, export_episode
from carehub.vn_insurance.tariff import parse_tariff
from carehub.vn_insurance.validate import validate_hoso
from carehub.vn_insurance.xml_files import read_table
from tests.vn_insurance.episodes import export_context, population

INPATIENT = "p0000087-e5"
DIED = "p0000118-e11"


def exported(encounter_id: str, extra: list[dict[str, Any]] | None = None) -> Exported:
    reader = MemoryReader([*population(), *(extra or [])])
    return export_episode(collect_episode(reader, encounter_id), export_context())


def claimable() -> list[str]:
    """Encounters with a diagnosis of patients holding a card."""
    reader = MemoryReader(population())
    ids = []
    for enc in population():
        if enc["resourceType"] != "Encounter":
            continue
        if not (enc.get("diagnosis") or enc.get("reasonCode")):
            continue
        patient = reader.read("Patient", enc["subject"]["reference"].split("/")[1])
        if identifier(patient, systems.BHYT):
            ids.append(enc["id"])
    return ids


def test_uninsured_patient_is_not_claimable() -> None:
    reader = MemoryReader(population())
    uninsured = [e["id"] for e in population() if e["resourceType"] == "Encounter"
                 and e.get("diagnosis") and e["id"] not in claimable()]
    assert uninsured
    with pytest.raises(Invalid, match="MA_THE_BHYT: mandatory field is empty"):
        export_episode(collect_episode(reader, uninsured[0]), export_context())


def test_every_diagnosed_episode_exports_valid() -> None:
    ids = claimable()
    assert len(ids) > 40
    for encounter_id in ids:
        done = exported(encounter_id)
        assert validate_hoso(done.hoso) == []
        head = done.hoso["XML1"][0]
        assert head["MA_LK"] == encounter_id
        money = sum(Decimal(r["THANH_TIEN_BV"]) for k in ("XML2", "XML3")
                    for r in done.hoso.get(k, []))
        assert Decimal(head["T_TONGCHI_BV"]) == money
        assert Decimal(head["T_BHTT"]) == Decimal(head["T_TONGCHI_BH"]) - Decimal(head["T_BNCCT"])


def test_inpatient_has_progress_discharge_and_summary() -> None:
    done = exported(INPATIENT)
    assert {"XML1", "XML2", "XML3", "XML4", "XML5", "XML7", "XML8"} <= set(done.hoso)
    head = done.hoso["XML1"][0]
    assert head["MA_LOAI_KCB"] == "03" and head["SO_NGAY_DTRI"] == "3"
    assert head["NGAY_VAO"] == "202510260119" and head["NGAY_RA"] == "202510290913"
    beds = done.hoso["XML3"][0]
    assert (beds["MA_NHOM"], beds["SO_LUONG"], beds["THANH_TIEN_BV"]) == ("15", "3", "747000")
    assert done.hoso["XML7"][0]["NGAY_CT"] == "20251029"
    assert done.hoso["XML5"][0]["DIEN_BIEN_LS"].startswith("HA tâm thu")


def test_death_is_coded() -> None:
    head = exported(DIED).hoso["XML1"][0]
    assert (head["KET_QUA_DTRI"], head["MA_LOAI_RV"]) == ("5", "1")


def test_outpatient_has_exam_and_no_progress() -> None:
    outpatient = next(i for i in claimable()
                      if "IMP" not in str(MemoryReader(population()).read("Encounter", i)))
    done = exported(outpatient)
    assert "XML5" not in done.hoso and "XML7" not in done.hoso
    assert done.hoso["XML3"][0]["MA_NHOM"] == "13"
    assert done.hoso["XML1"][0]["MA_LOAI_KCB"] == "01"


def test_papers_from_sick_leave_referral_and_appointment() -> None:
    reader = MemoryReader(population())
    enc = copy.deepcopy(reader.read("Encounter", INPATIENT))
    assert enc is not None
    enc["hospitalization"]["dischargeDisposition"]["coding"][0]["code"] = "other-hcf"
    enc["hospitalization"]["destination"] = {"identifier": {"value": "01002"}}
    extra = [
        enc,
        {"resourceType": "Observation", "id": "sl1", "status": "final",
         "code": {"coding": [{"system": SICK_LEAVE_SYSTEM, "code": SICK_LEAVE_CODE}]},
         "subject": enc["subject"], "encounter": {"reference": f"Encounter/{INPATIENT}"},
         "valuePeriod": {"start": "2025-10-26", "end": "2025-11-04"}},
        {"resourceType": "Appointment", "id": "ap1", "status": "booked",
         "start": "2025-11-12T08:00:00+07:00", "end": "2025-11-12T08:15:00+07:00",
         "created": "2025-10-29", "participant": [{"actor": enc["subject"], "status": "accepted"}],
         "supportingInformation": [{"reference": f"Encounter/{INPATIENT}"}]},
    ]
    done = exported(INPATIENT, extra)
    assert done.hoso["XML11"][0]["SO_NGAY_NGHI"] == "10"
    assert done.hoso["XML13"][0]["MA_NOI_DEN"] == "01002"
    assert done.hoso["XML13"][0]["MA_LOAI_RV"] == "2"
    assert done.hoso["XML14"][0]["NGAY_HEN_KL"] == "202511120800"
    assert done.hoso["XML1"][0]["NGAY_TAI_KHAM"] == "20251112"


def test_envelope_carries_base64_files() -> None:
    done = [exported(INPATIENT), exported(DIED)]
    data = envelope_bytes(done, export_context())
    root = ET.fromstring(data)
    assert root.tag == "GIAMDINHHS" and root.findtext("THONGTINHOSO/SOLUONGHOSO") == "2"
    first = root.find("THONGTINHOSO/DANHSACHHOSO/HOSO/FILEHOSO")
    assert first is not None and first.findtext("LOAIHOSO") == "XML1"
    inner = base64.b64decode(first.findtext("NOIDUNGFILE") or "")
    assert read_table(inner)[1][0]["MA_LK"] == INPATIENT
    assert read_envelope(data).episodes[1]["XML1"][0]["MA_LK"] == DIED
    checkin = read_table(checkin_bytes(done))[1]
    assert [r["STT"] for r in checkin] == ["1", "2"]


def test_date_range_selects_by_discharge_day() -> None:
    episodes = episodes_between(MemoryReader(population()), "2025-10-29", "2025-10-29")
    assert INPATIENT in [e.ma_lk for e in episodes]
    with pytest.raises(Incorrect):
        episodes_between(MemoryReader(population()), "2025-11-01", "2025-10-01")


def test_unpriced_item_fails_with_its_code() -> None:
    reader = MemoryReader(population())
    ctx = export_context()
    bare = type(ctx)(ctx.facility_code, ctx.head_id, parse_tariff(
        "kind,code,bhyt_code,name,unit,price,group,pay_ratio,scope\n"
        "bed,*,GB.01,Giường,ngày,1000,15,100,1\n"), ctx.created)
    with pytest.raises(NotFound, match="tariff has no"):
        export_episode(collect_episode(reader, INPATIENT), bare)


def test_missing_encounter_and_unfinished_episode() -> None:
    reader = MemoryReader(population())
    with pytest.raises(NotFound):
        collect_episode(reader, "nope")
    enc = copy.deepcopy(reader.read("Encounter", INPATIENT))
    assert enc is not None
    del enc["period"]["end"]
    with pytest.raises(Incorrect, match="has not ended"):
        exported(INPATIENT, [enc])
