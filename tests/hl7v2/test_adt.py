"""ADT messages → Patient and Encounter, read back through the store."""

from __future__ import annotations

from tests.hl7v2.conftest import Env, message, with_control_id

MRN = "https://carehub.vn/id/mrn"
CCCD = "https://carehub.vn/id/cccd"
BHYT = "https://carehub.vn/id/bhyt"
VISIT = "https://carehub.vn/id/visit"


def _identifiers(resource: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {i["system"]: i["value"] for i in resource.get("identifier", [])}


def test_a01_admits(env: Env) -> None:
    result = env.accept("adt_a01.hl7")[0]
    assert sorted(r.split("/")[0] for r in result.written) == ["Encounter", "Patient"]
    patient = env.one("Patient")
    assert _identifiers(patient) == {
        MRN: "BN00000101", CCCD: "001080012345", BHYT: "DN4010112345678"}
    mrn = next(i for i in patient["identifier"] if i["system"] == MRN)
    assert mrn["use"] == "usual" and mrn["type"]["coding"][0]["code"] == "MR"
    cccd = next(i for i in patient["identifier"] if i["system"] == CCCD)
    assert cccd["type"]["text"] == "Căn cước công dân"
    assert patient["name"] == [{
        "use": "official", "text": "Nguyễn Văn An", "family": "Nguyễn", "given": ["Văn", "An"],
        "prefix": ["Ông"],
    }]
    assert patient["gender"] == "male"
    assert patient["birthDate"] == "1980-02-29"
    assert patient["active"] is True
    assert patient["address"][0] == {
        "use": "home",
        "text": "Số 5 Ngõ 12&14 Phố Huế, Phường Ngô Thì Nhậm, Hai Bà Trưng, Hà Nội",
        "line": ["Số 5 Ngõ 12&14 Phố Huế", "Phường Ngô Thì Nhậm"],
        "city": "Hà Nội", "district": "Hai Bà Trưng", "state": "Hà Nội", "country": "VN",
    }
    assert patient["telecom"] == [
        {"system": "phone", "value": "0912345678", "use": "mobile"},
        {"system": "email", "value": "an.nguyen@example.vn", "use": "home"},
    ]
    assert patient["maritalStatus"]["coding"][0]["code"] == "M"

    encounter = env.one("Encounter")
    assert encounter["subject"] == {"reference": f"Patient/{patient['id']}"}
    assert _identifiers(encounter) == {VISIT: "V2024-0101"}
    assert encounter["status"] == "in-progress"
    assert encounter["class"]["code"] == "IMP"
    assert encounter["priority"]["coding"][0]["code"] == "EM"
    assert encounter["period"] == {"start": "2024-01-05T08:00:00+07:00"}
    assert encounter["serviceType"]["coding"][0]["code"] == "noi-tim-mach"
    assert encounter["hospitalization"]["admitSource"]["coding"][0]["code"] == "emd"
    (location,) = encounter["location"]
    assert location["status"] == "active"
    assert location["location"]["identifier"]["value"] == "NOI/101/2"
    assert location["location"]["display"] == "Khoa Nội - Phòng 101 - Giường 2"
    roles = {p["type"][0]["coding"][0]["code"]: p["individual"] for p in encounter["participant"]}
    assert roles["ATND"] == {
        "type": "Practitioner",
        "identifier": {"system": "https://carehub.vn/id/cchn", "value": "BS0001"},
        "display": "BS Trần Thị Bình",
    }
    assert roles["ADM"]["identifier"]["value"] == "BS0002"


def test_repeated_adt_updates_the_same_patient(env: Env) -> None:
    env.accept("adt_a01.hl7")
    first = env.one("Patient")
    env.accept("adt_a08.hl7")
    patient = env.one("Patient")
    assert patient["id"] == first["id"]
    assert patient["meta"]["versionId"] == "2"
    # the demographics the A08 carries replace the stored ones...
    assert patient["telecom"] == [{"system": "phone", "value": "0987654321", "use": "mobile"}]
    assert patient["address"][0]["district"] == "Hoàn Kiếm"
    assert patient["maritalStatus"]["coding"][0]["code"] == "W"
    # ...and the identifiers it does not repeat (BHYT) are kept
    assert _identifiers(patient)[BHYT] == "DN4010112345678"
    # A08 without PV1: the encounter is left alone
    assert env.one("Encounter")["meta"]["versionId"] == "1"
    # the same content again (a new control id) changes nothing
    again = env.ingest(with_control_id(message("adt_a08.hl7"), "ADT0007-B"))
    assert again.code == "AA" and again.written == ()
    assert env.one("Patient")["meta"]["versionId"] == "2"


def test_transfer_discharge_and_cancelled_discharge(env: Env) -> None:
    env.accept("adt_a01.hl7", "adt_a02.hl7")
    encounter = env.one("Encounter")
    assert encounter["status"] == "in-progress"
    locations = [(x["location"]["identifier"]["value"], x["status"], x.get("period", {}))
                 for x in encounter["location"]]
    assert locations == [
        ("NOI/101/2", "completed", {"end": "2024-01-06T09:15:00+07:00"}),
        ("HOISUC/201/1", "active", {"start": "2024-01-06T09:15:00+07:00"}),
    ]
    roles = [p["type"][0]["coding"][0]["code"] for p in encounter["participant"]]
    assert sorted(roles) == ["ADM", "ATND"]  # the new attending doctor replaced the old one
    attending = next(p for p in encounter["participant"]
                     if p["type"][0]["coding"][0]["code"] == "ATND")
    assert attending["individual"]["identifier"]["value"] == "BS0003"

    env.accept("adt_a03.hl7")
    encounter = env.one("Encounter")
    assert encounter["status"] == "finished"
    assert encounter["period"] == {"start": "2024-01-05T08:00:00+07:00",
                                   "end": "2024-01-10T14:00:00+07:00"}
    assert encounter["hospitalization"]["dischargeDisposition"]["coding"][0]["code"] == "home"
    assert all(x["status"] == "completed" for x in encounter["location"])

    env.accept("adt_a13.hl7")
    encounter = env.one("Encounter")
    assert encounter["status"] == "in-progress"
    assert "end" not in encounter["period"]
    assert "dischargeDisposition" not in encounter["hospitalization"]
    assert encounter["location"][-1]["status"] == "active"
    assert len(env.all("Patient")) == 1


def test_register_and_cancel_an_outpatient_visit(env: Env) -> None:
    env.accept("adt_a04.hl7")
    encounter = env.one("Encounter")
    assert (encounter["status"], encounter["class"]["code"]) == ("arrived", "AMB")
    env.accept("adt_a11.hl7")
    cancelled = env.one("Encounter")
    assert cancelled["id"] == encounter["id"]
    assert cancelled["status"] == "cancelled"


def test_person_information_without_a_visit(env: Env) -> None:
    env.accept("adt_a28.hl7")
    patient = env.one("Patient")
    assert _identifiers(patient) == {CCCD: "079175001122", BHYT: "HC4797912340001"}
    assert patient["name"][0]["text"] == "Đặng Minh Quân"
    assert "address" in patient and "telecom" in patient
    assert env.counts().get("Encounter", 0) == 0
    # A31 nulls the address and phone explicitly ("")
    env.accept("adt_a31.hl7")
    updated = env.one("Patient")
    assert updated["id"] == patient["id"]
    assert "address" not in updated and "telecom" not in updated
    assert _identifiers(updated)[BHYT] == "HC4797912340001"
