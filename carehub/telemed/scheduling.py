"""Teleconsultation scheduling: clinicians publish Schedule/Slot, patients book Appointments.

https://hl7.org/fhir/R4/schedule.html, https://hl7.org/fhir/R4/slot.html,
https://hl7.org/fhir/R4/appointment.html

A slot is ``free`` until an Appointment takes it (``busy``); cancelling frees
it, rescheduling frees the old slot and takes the new one. Every change of a
slot and its appointment happens in one write session that first locks the
slot, so two patients racing for the same slot cannot both get it: the loser
gets :class:`~carehub.errors.Conflict` and nothing of theirs is stored.

Failure modes: :class:`~carehub.errors.Conflict` (slot taken, appointment not
active), :class:`~carehub.errors.Incorrect` (bad times, slot in the past),
:class:`~carehub.errors.Forbidden` (acting for someone else),
:class:`~carehub.errors.NotFound` (unknown slot or appointment).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from carehub.errors import Conflict, Forbidden, Incorrect
from carehub.telemed.access import require_access
from carehub.telemed.actor import Actor
from carehub.telemed.records import Clock, Records, instant, new_id, parse_instant, utc_now

TELEMED_SYSTEM = "https://carehub.vn/fhir/CodeSystem/telemed"
CONSENT_EXTENSION = "https://carehub.vn/fhir/StructureDefinition/telemed-recording-consent"
VIDEO = "video-consultation"
CONFERENCE = "case-conference"
KIND_TEXT = {VIDEO: "Video consultation", CONFERENCE: "Case conference"}
ACTIVE = ("booked", "arrived", "checked-in")
MAX_SLOTS = 500


def slot_times(start: datetime, end: datetime, minutes: int) -> list[tuple[datetime, datetime]]:
    """Consecutive slots of ``minutes`` from ``start`` that end by ``end``.

    Raises:
        Incorrect: ``minutes`` not in 5..240, ``end`` not after ``start``, or too many slots.

    >>> from datetime import UTC
    >>> s = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    >>> got = slot_times(s, s + timedelta(minutes=50), 20)
    >>> [(a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b in got]
    [('08:00', '08:20'), ('08:20', '08:40')]
    """
    if not 5 <= minutes <= 240:
        raise Incorrect(f"a slot lasts 5 to 240 minutes, not {minutes}", expression="minutes")
    if end <= start:
        raise Incorrect("the end of the availability must be after its start", expression="end")
    step = timedelta(minutes=minutes)
    out: list[tuple[datetime, datetime]] = []
    t = start
    while t + step <= end:
        out.append((t, t + step))
        t += step
        if len(out) > MAX_SLOTS:
            raise Incorrect(f"more than {MAX_SLOTS} slots at once; publish a shorter period")
    return out


def _kind_concept(kind: str) -> dict[str, Any]:
    return {"coding": [{"system": TELEMED_SYSTEM, "code": kind, "display": KIND_TEXT[kind]}]}


def find_schedule(records: Records, practitioner: str) -> dict[str, Any] | None:
    """The telemedicine Schedule of ``practitioner`` (a ``Practitioner/x`` reference), if any."""
    for schedule in records.search("Schedule", [("actor", practitioner)]):
        codes = [c.get("code") for st in schedule.get("serviceType", [])
                 for c in st.get("coding", [])]
        if VIDEO in codes:
            return schedule
    return None


def publish(records: Records, actor: Actor, practitioner: str, start: datetime, end: datetime,
            minutes: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Publish ``practitioner``'s availability as free Slots (creating their Schedule).

    Returns:
        The Schedule and the new Slots.

    Raises:
        Forbidden: a practitioner publishing for another, or a patient.
        Incorrect: see :func:`slot_times`.
    """
    if not (actor.system or actor.reference == practitioner):
        raise Forbidden("a clinician publishes only their own availability")
    times = slot_times(start, end, minutes)
    schedule = find_schedule(records, practitioner)
    slots: list[dict[str, Any]] = []
    with records.write() as s:
        if schedule is None:
            schedule = {"resourceType": "Schedule", "id": new_id(), "active": True,
                        "serviceType": [_kind_concept(VIDEO)],
                        "actor": [{"reference": practitioner}]}
            s.put(schedule)
        for a, b in times:
            slot = {"resourceType": "Slot", "id": new_id(),
                    "schedule": {"reference": f"Schedule/{schedule['id']}"},
                    "serviceType": [_kind_concept(VIDEO)], "status": "free",
                    "start": instant(a), "end": instant(b)}
            s.put(slot)
            slots.append(slot)
    return schedule, slots


def free_slots(records: Records, practitioner: str | None, *,
               now: datetime) -> list[dict[str, Any]]:
    """Free future slots, earliest first, of one practitioner or of everyone."""
    params = [("status", "free"), ("start", "ge" + instant(now)), ("_sort", "start")]
    if practitioner is not None:
        schedule = find_schedule(records, practitioner)
        if schedule is None:
            return []
        params.append(("schedule", f"Schedule/{schedule['id']}"))
    return records.search("Slot", params)


def participants(appointment: dict[str, Any]) -> list[str]:
    """References of the people who take part (not declined, not information-only).

    >>> participants({"participant": [{"actor": {"reference": "Patient/p"}, "status": "accepted"},
    ...   {"actor": {"reference": "Practitioner/d"}, "status": "declined"}]})
    ['Patient/p']
    """
    out = []
    for p in appointment.get("participant", []):
        ref = p.get("actor", {}).get("reference")
        if ref and p.get("status") != "declined" and p.get("required") != "information-only":
            out.append(ref)
    return out


def patient_of(appointment: dict[str, Any]) -> str | None:
    """The patient the appointment is for (participant, or the conference's case)."""
    for ref in participants(appointment):
        if ref.startswith("Patient/"):
            return ref
    for info in appointment.get("supportingInformation", []):
        ref = info.get("reference", "")
        if ref.startswith("Patient/"):
            return str(ref)
    return None


def kind_of(appointment: dict[str, Any]) -> str:
    """``video-consultation`` or ``case-conference``."""
    for concept in appointment.get("serviceType", []):
        for coding in concept.get("coding", []):
            if coding.get("system") == TELEMED_SYSTEM and coding.get("code") in KIND_TEXT:
                return str(coding["code"])
    return VIDEO


def recording_allowed(appointment: dict[str, Any]) -> bool:
    """Whether consent to record was given (the CareHub recording-consent extension).

    >>> yes = {"extension": [{"url": CONSENT_EXTENSION, "valueBoolean": True}]}
    >>> recording_allowed({}), recording_allowed(yes)
    (False, True)
    """
    return any(e.get("url") == CONSENT_EXTENSION and e.get("valueBoolean") is True
               for e in appointment.get("extension", []))


def _practitioner_of_slot(records: Records, s: Any, slot: dict[str, Any]) -> str:
    sched_id = slot["schedule"]["reference"].split("/", 1)[1]
    schedule = records.lock_get(s, "Schedule", sched_id)
    return str(schedule["actor"][0]["reference"])


def _take(records: Records, s: Any, slot_id: str, now: datetime) -> dict[str, Any]:
    slot = records.lock_get(s, "Slot", slot_id)
    if slot.get("status") != "free":
        raise Conflict(f"Slot/{slot_id} is already taken", expression="Slot.status")
    if parse_instant(slot["start"]) <= now:
        raise Incorrect(f"Slot/{slot_id} has already started")
    slot["status"] = "busy"
    s.put(slot)
    return slot


def book(records: Records, actor: Actor, slot_id: str, patient: str, *,
         reason: str | None = None, clock: Clock = utc_now) -> dict[str, Any]:
    """Book ``slot_id`` for ``patient``; the slot becomes busy in the same transaction.

    Raises:
        Conflict: the slot is taken (also when another booking won a race).
        Forbidden: a patient booking for another patient.
        Incorrect: the slot has started.
        NotFound: unknown slot.
    """
    require_access(records, actor, patient)
    with records.write() as s:
        slot = _take(records, s, slot_id, clock())
        practitioner = _practitioner_of_slot(records, s, slot)
        appointment: dict[str, Any] = {
            "resourceType": "Appointment", "id": new_id(), "status": "booked",
            "serviceType": [_kind_concept(VIDEO)],
            "slot": [{"reference": f"Slot/{slot_id}"}],
            "start": slot["start"], "end": slot["end"], "created": instant(clock()),
            "participant": [
                {"actor": {"reference": patient}, "status": "accepted", "required": "required"},
                {"actor": {"reference": practitioner}, "status": "accepted",
                 "required": "required"},
            ],
        }
        if reason:
            appointment["description"] = reason
        s.put(appointment)
    return appointment


def _active_for(records: Records, s: Any, actor: Actor, appointment_id: str) -> dict[str, Any]:
    appointment = records.lock_get(s, "Appointment", appointment_id)
    if not (actor.is_staff or actor.reference in participants(appointment)):
        raise Forbidden("only the appointment's participants may change it")
    if appointment.get("status") not in ACTIVE:
        raise Conflict(f"Appointment/{appointment_id} is {appointment.get('status')}")
    return appointment


def _free(records: Records, s: Any, appointment: dict[str, Any]) -> None:
    for ref in appointment.get("slot", []):
        slot = records.lock_get(s, "Slot", ref["reference"].split("/", 1)[1])
        slot["status"] = "free"
        s.put(slot)


def reschedule(records: Records, actor: Actor, appointment_id: str, slot_id: str, *,
               clock: Clock = utc_now) -> dict[str, Any]:
    """Move an appointment to ``slot_id``: the old slot is freed, the new one taken.

    Raises:
        Conflict: the new slot is taken or the appointment is not active.
        Forbidden: not a participant.
        Incorrect: the new slot belongs to another clinician or has started.
    """
    with records.write() as s:
        appointment = _active_for(records, s, actor, appointment_id)
        old_practitioner = [r for r in participants(appointment) if not r.startswith("Patient/")]
        _free(records, s, appointment)
        slot = _take(records, s, slot_id, clock())
        if _practitioner_of_slot(records, s, slot) not in old_practitioner:
            raise Incorrect("a consultation moves only to another slot of the same clinician")
        appointment.update({"slot": [{"reference": f"Slot/{slot_id}"}], "start": slot["start"],
                            "end": slot["end"]})
        s.put(appointment)
    return appointment


def cancel(records: Records, actor: Actor, appointment_id: str,
           reason: str | None) -> dict[str, Any]:
    """Cancel an appointment and free its slot.

    Raises:
        Conflict: the appointment is not active.
        Forbidden: not a participant.
    """
    with records.write() as s:
        appointment = _active_for(records, s, actor, appointment_id)
        _free(records, s, appointment)
        appointment["status"] = "cancelled"
        if reason:
            appointment["cancelationReason"] = {"text": reason}
        s.put(appointment)
    return appointment


def set_recording_consent(records: Records, actor: Actor, appointment_id: str,
                          allowed: bool) -> dict[str, Any]:
    """Record whether the session may be recorded. Only the patient (or, for a case
    conference without a patient participant, its clinicians) decides.

    Raises:
        Forbidden: someone else.
    """
    with records.write() as s:
        appointment = records.lock_get(s, "Appointment", appointment_id)
        people = participants(appointment)
        patient = next((r for r in people if r.startswith("Patient/")), None)
        decider_ok = actor.system or (actor.reference == patient if patient
                                      else actor.reference in people)
        if not decider_ok:
            raise Forbidden("only the patient may consent to recording")
        ext = [e for e in appointment.get("extension", []) if e.get("url") != CONSENT_EXTENSION]
        ext.append({"url": CONSENT_EXTENSION, "valueBoolean": allowed})
        appointment["extension"] = ext
        s.put(appointment)
    return appointment


def create_conference(records: Records, actor: Actor, clinicians: list[str], patient: str,
                      start: datetime, end: datetime, title: str) -> dict[str, Any]:
    """A case conference (hội chẩn): an Appointment of several clinicians about ``patient``.

    The patient is the case (``supportingInformation``), not a participant.

    Raises:
        Forbidden: the caller is not care team.
        Incorrect: fewer than two clinicians, or end not after start.
    """
    actor.require_staff()
    people = list(dict.fromkeys(clinicians))
    if not actor.system and actor.reference not in people:
        people.insert(0, actor.reference)
    if len(people) < 2 or any(not p.startswith("Practitioner/") for p in people):
        raise Incorrect("a case conference needs two or more Practitioner participants")
    if end <= start:
        raise Incorrect("the conference must end after it starts", expression="end")
    appointment: dict[str, Any] = {
        "resourceType": "Appointment", "id": new_id(), "status": "booked",
        "serviceType": [_kind_concept(CONFERENCE)], "description": title,
        "start": instant(start), "end": instant(end),
        "supportingInformation": [{"reference": patient}],
        "participant": [{"actor": {"reference": p}, "status": "accepted", "required": "required"}
                        for p in people],
    }
    return records.put(appointment)
