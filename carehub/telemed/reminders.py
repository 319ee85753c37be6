"""Appointment reminders, sent through a :class:`~carehub.telemed.notify.Notifier`
and recorded as Communication resources.

https://hl7.org/fhir/R4/communication.html

:func:`send_reminders` finds booked appointments starting within the next
hours, picks each patient's preferred contact (lowest ``telecom.rank``: phone
→ SMS, e-mail → e-mail, ``other`` → chat app) and language (Vietnamese unless
the patient prefers English), sends one message and stores a Communication
``based-on`` the Appointment (category ``reminder``). An appointment with a
reminder already stored is skipped, so running it again sends nothing twice.
A gateway failure is recorded as a ``not-done`` Communication with the reason
(and is retried next run); other appointments still get theirs.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from carehub.errors import Busy, Unsupported
from carehub.telemed.notify import Message, Notifier
from carehub.telemed.records import Records, instant, new_id, parse_instant
from carehub.telemed.scheduling import patient_of

LOCAL = timezone(timedelta(hours=7), "ICT")
CATEGORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/communication-category",
                        "code": "reminder"}]}
MEDIUM = {"sms": "SMSWRIT", "email": "EMAILWRIT", "chat": "ELECTRONIC"}
TEXT = {
    "vi": "CareHub: Nhắc lịch tư vấn trực tuyến lúc {time} ngày {date}. "
          "Vui lòng vào cổng bệnh nhân trước 5 phút.",
    "en": "CareHub: reminder of your online consultation at {time} on {date}. "
          "Please open the patient portal 5 minutes early.",
}


def reminder_text(language: str, start: datetime) -> str:
    """The reminder in ``language`` (``vi`` or ``en``), with the local (UTC+7) time.

    >>> from datetime import UTC
    >>> reminder_text("en", datetime(2026, 3, 2, 2, 30, tzinfo=UTC))[:55]
    'CareHub: reminder of your online consultation at 09:30 '
    """
    local = start.astimezone(LOCAL)
    return TEXT.get(language, TEXT["vi"]).format(time=local.strftime("%H:%M"),
                                                 date=local.strftime("%d/%m/%Y"))


def preferred_language(patient: dict[str, Any]) -> str:
    """``en`` when the patient's preferred (or only) language is English, else ``vi``.

    >>> preferred_language({"communication": [{"language": {"coding": [{"code": "en-GB"}]}}]})
    'en'
    """
    for comm in sorted(patient.get("communication", []), key=lambda c: not c.get("preferred")):
        for coding in comm.get("language", {}).get("coding", []):
            if str(coding.get("code", "")).lower().startswith("en"):
                return "en"
            return "vi"
    return "vi"


def preferred_contact(patient: dict[str, Any]) -> tuple[str, str] | None:
    """``(channel, address)`` of the patient's preferred telecom, or None.

    >>> preferred_contact({"telecom": [{"system": "email", "value": "a@b.vn", "rank": 2},
    ...                                {"system": "phone", "value": "0901", "rank": 1}]})
    ('sms', '0901')
    """
    channel = {"phone": "sms", "sms": "sms", "email": "email", "other": "chat"}
    usable = [t for t in patient.get("telecom", [])
              if t.get("system") in channel and t.get("value") and t.get("use") != "old"]
    if not usable:
        return None
    best = min(usable, key=lambda t: t.get("rank", 1000))
    return channel[best["system"]], str(best["value"])


def _already_reminded(records: Records, appointment_id: str) -> bool:
    found = records.search("Communication", [("based-on", f"Appointment/{appointment_id}"),
                                             ("category", "reminder"), ("status", "completed")])
    return bool(found)


def send_reminders(records: Records, notifier: Notifier, now: datetime,
                   within_hours: int) -> list[dict[str, Any]]:
    """Send the reminders due now (see the module docstring); returns the Communications stored."""
    appointments = records.search("Appointment", [
        ("status", "booked"), ("date", "ge" + instant(now)),
        ("date", "le" + instant(now + timedelta(hours=within_hours))),
    ])
    out: list[dict[str, Any]] = []
    for appointment in appointments:
        patient_ref = patient_of(appointment)
        if patient_ref is None or not any(
                p.get("actor", {}).get("reference") == patient_ref
                for p in appointment.get("participant", [])):
            continue  # case conferences: the patient is not invited
        if _already_reminded(records, appointment["id"]):
            continue
        patient = records.get("Patient", patient_ref.split("/", 1)[1])
        contact = preferred_contact(patient)
        text = reminder_text(preferred_language(patient), parse_instant(appointment["start"]))
        comm: dict[str, Any] = {
            "resourceType": "Communication", "id": new_id(), "category": [CATEGORY],
            "basedOn": [{"reference": f"Appointment/{appointment['id']}"}],
            "subject": {"reference": patient_ref}, "recipient": [{"reference": patient_ref}],
            "payload": [{"contentString": text}],
        }
        out.append(records.put(deliver(comm, contact, text, notifier, now)))
    return out


def deliver(comm: dict[str, Any], contact: tuple[str, str] | None, text: str,
            notifier: Notifier, now: datetime) -> dict[str, Any]:
    """Send ``text`` to ``contact`` (channel, address) and record the outcome on ``comm``.

    ``comm`` (a Communication, changed in place and returned) becomes
    ``completed`` with ``sent`` and ``medium`` when the gateway took the
    message, else ``not-done`` with the reason (no contact, gateway refused
    or unreachable). Gateway errors never escape: the caller stores ``comm``
    either way.
    """
    if contact is None:
        comm.update(status="not-done", statusReason={"text": "no phone, e-mail or chat"})
        return comm
    channel, address = contact
    comm["medium"] = [{"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode",
        "code": MEDIUM[channel]}]}]
    try:
        notifier.send(Message(channel, address, text, "CareHub"))
    except (Busy, Unsupported) as exc:
        comm.update(status="not-done", statusReason={"text": exc.message})
    else:
        comm.update(status="completed", sent=instant(now))
    return comm
