"""Schedule/Slot publication and Appointment booking, rescheduling and cancelling."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from carehub.errors import CareHubError, Conflict, Forbidden, Incorrect
from carehub.telemed import scheduling as sch
from carehub.telemed.actor import Actor
from carehub.telemed.records import Records
from tests.telemed.conftest import NOW, later

DR1, DR2 = Actor("Practitioner/dr1"), Actor("Practitioner/dr2")
P1, P2 = Actor("Patient/p1"), Actor("Patient/p2")


def publish(records: Records, actor: Actor = DR1, minutes: int = 20) -> list[dict[str, Any]]:
    _, slots = sch.publish(records, actor, actor.reference, later(24), later(25), minutes)
    return slots


def slot_status(records: Records, slot_id: str) -> str:
    return str(records.get("Slot", slot_id)["status"])


def test_publish_creates_one_schedule_and_free_slots(records: Records) -> None:
    slots = publish(records)
    assert [s["start"][11:16] for s in slots] == ["01:00", "01:20", "01:40"]
    again = publish(records, minutes=30)
    assert len(again) == 2
    assert len(records.search("Schedule", [("actor", "Practitioner/dr1")])) == 1
    free = sch.free_slots(records, "Practitioner/dr1", now=NOW)
    assert len(free) == 5 and all(s["status"] == "free" for s in free)
    assert sch.free_slots(records, "Practitioner/dr2", now=NOW) == []


def test_only_the_clinician_publishes_their_availability(records: Records) -> None:
    with pytest.raises(Forbidden):
        sch.publish(records, DR2, "Practitioner/dr1", later(1), later(2), 20)
    with pytest.raises(Forbidden):
        sch.publish(records, P1, "Practitioner/dr1", later(1), later(2), 20)
    with pytest.raises(Incorrect):
        sch.publish(records, DR1, "Practitioner/dr1", later(2), later(1), 20)
    assert records.search("Slot", []) == []


def test_book_reschedule_cancel_keep_slots_consistent(records: Records) -> None:
    a, b, c = publish(records)
    appt = sch.book(records, P1, a["id"], "Patient/p1", reason="khó thở", clock=lambda: NOW)
    assert appt["status"] == "booked" and appt["start"] == a["start"]
    assert sch.participants(appt) == ["Patient/p1", "Practitioner/dr1"]
    assert slot_status(records, a["id"]) == "busy"

    moved = sch.reschedule(records, P1, appt["id"], c["id"], clock=lambda: NOW)
    assert moved["start"] == c["start"]
    assert [slot_status(records, s["id"]) for s in (a, b, c)] == ["free", "free", "busy"]

    gone = sch.cancel(records, P1, appt["id"], "bận việc")
    assert gone["status"] == "cancelled" and gone["cancelationReason"]["text"] == "bận việc"
    assert slot_status(records, c["id"]) == "free"
    with pytest.raises(Conflict):
        sch.cancel(records, P1, appt["id"], None)


def test_booking_refusals_store_nothing(records: Records) -> None:
    a, b, _ = publish(records)
    sch.book(records, P1, a["id"], "Patient/p1", clock=lambda: NOW)
    with pytest.raises(Conflict):
        sch.book(records, P2, a["id"], "Patient/p2", clock=lambda: NOW)
    with pytest.raises(Forbidden):
        sch.book(records, P2, b["id"], "Patient/p1", clock=lambda: NOW)
    with pytest.raises(Incorrect):
        sch.book(records, P2, b["id"], "Patient/p2", clock=lambda: later(30))
    assert len(records.search("Appointment", [])) == 1
    assert slot_status(records, b["id"]) == "free"


def test_rescheduling_to_a_taken_slot_changes_nothing(records: Records) -> None:
    a, b, _ = publish(records)
    mine = sch.book(records, P1, a["id"], "Patient/p1", clock=lambda: NOW)
    sch.book(records, P2, b["id"], "Patient/p2", clock=lambda: NOW)
    with pytest.raises(Conflict):
        sch.reschedule(records, P1, mine["id"], b["id"], clock=lambda: NOW)
    assert records.get("Appointment", mine["id"])["start"] == a["start"]
    assert slot_status(records, a["id"]) == "busy"
    with pytest.raises(Forbidden):
        sch.cancel(records, P2, mine["id"], None)


def test_no_double_booking_under_concurrency(records: Records) -> None:
    slot = publish(records)[0]
    patients = ["Patient/p1", "Patient/p2"] * 4

    def attempt(patient: str) -> str:
        try:
            sch.book(records, Actor(patient), slot["id"], patient, clock=lambda: NOW)
        except CareHubError as exc:
            return type(exc).__name__
        return "booked"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, patients))
    assert outcomes.count("booked") == 1, outcomes
    assert set(outcomes) <= {"booked", "Conflict", "Busy"}
    booked = records.search("Appointment", [("slot", f"Slot/{slot['id']}")])
    assert len(booked) == 1


def test_recording_consent_is_the_patients(records: Records) -> None:
    appt = sch.book(records, P1, publish(records)[0]["id"], "Patient/p1", clock=lambda: NOW)
    assert not sch.recording_allowed(appt)
    with pytest.raises(Forbidden):
        sch.set_recording_consent(records, DR1, appt["id"], True)
    assert sch.recording_allowed(sch.set_recording_consent(records, P1, appt["id"], True))
    assert not sch.recording_allowed(sch.set_recording_consent(records, P1, appt["id"], False))


def test_case_conference_lists_clinicians_not_the_patient(records: Records) -> None:
    conf = sch.create_conference(records, DR1, ["Practitioner/dr2", "Practitioner/dr3"],
                                 "Patient/p1", later(2), later(3), "Hội chẩn ung thư phổi")
    assert sch.participants(conf) == ["Practitioner/dr1", "Practitioner/dr2", "Practitioner/dr3"]
    assert sch.kind_of(conf) == sch.CONFERENCE and sch.patient_of(conf) == "Patient/p1"
    with pytest.raises(Forbidden):
        sch.create_conference(records, P1, ["Practitioner/dr2"], "Patient/p1", later(2),
                              later(3), "x")
    with pytest.raises(Incorrect):
        sch.create_conference(records, DR1, [], "Patient/p1", later(2), later(3), "x")
