"""Telling the patient's care team about a new home-monitoring alert.

https://hl7.org/fhir/R4/careteam.html, https://hl7.org/fhir/R4/patient.html#Patient.generalPractitioner
and https://hl7.org/fhir/R4/communication.html

The care team of a patient is the members (``Practitioner`` or
``PractitionerRole``) of their active CareTeam resources plus their
``generalPractitioner``s. When an alert is *opened* (not when a reading joins
an open one), :func:`notify_alert` sends each member one short message
through the :class:`~carehub.telemed.notify.Notifier` (their preferred
telecom: phone → SMS, e-mail → e-mail, ``other`` → chat app; a
PractitionerRole's own telecom first, else its practitioner's), in their
language (English when their ``communication`` says so, else Vietnamese;
texts ``monitoring.notice.*`` of the web catalogues). The message names the
measure and the care-team page, never the patient's name or values: gateways
are outside the hospital.

Every message is recorded as a Communication (category ``alert``,
``basedOn`` the alert Task, ``about`` its Flag, ``recipient`` the member): ``completed``
when sent, ``not-done`` with the reason when the member has no usable contact
or the gateway failed. A member with a ``completed`` notice for the Task is
not sent another.

Failure modes: none raised; a gateway failure is recorded, never lost, and
does not undo the readings or the alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from carehub.errors import NotFound
from carehub.telemed.monitoring.alerts import measure_of
from carehub.telemed.notify import Notifier
from carehub.telemed.records import Records, new_id
from carehub.telemed.reminders import deliver, preferred_contact
from carehub.web.i18n import LANGUAGES, catalogue

CATEGORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/communication-category",
                        "code": "alert"}]}
MEMBER_TYPES = ("Practitioner/", "PractitionerRole/")


def members(records: Records, patient: str) -> list[str]:
    """The references of the patient's care team (see the module docstring), in order, once each."""
    out: list[str] = []
    for team in records.search("CareTeam", [("subject", patient), ("status", "active")]):
        for p in team.get("participant") or ():
            out.append(str((p.get("member") or {}).get("reference", "")))
    try:
        person = records.get("Patient", patient.removeprefix("Patient/"))
    except NotFound:
        person = {}
    out += [str(g.get("reference", "")) for g in person.get("generalPractitioner") or ()]
    return list(dict.fromkeys(r for r in out if r.startswith(MEMBER_TYPES)))


def member_language(person: dict[str, Any]) -> str:
    """``en`` when a Practitioner's first language is English, else ``vi``.

    >>> member_language({"communication": [{"coding": [{"code": "en"}]}]})
    'en'
    >>> member_language({})
    'vi'
    """
    for concept in person.get("communication") or ():
        for coding in concept.get("coding") or ():
            return "en" if str(coding.get("code", "")).lower().startswith("en") else "vi"
    return "vi"


def _contact(records: Records, member: str) -> tuple[tuple[str, str] | None, str]:
    kind, _, rid = member.partition("/")
    try:
        body = records.get(kind, rid)
    except NotFound:
        return None, "vi"
    person = body
    if kind == "PractitionerRole":
        ref = str((body.get("practitioner") or {}).get("reference", ""))
        if ref.startswith("Practitioner/"):
            try:
                person = records.get("Practitioner", ref.removeprefix("Practitioner/"))
            except NotFound:
                person = {}
    contact = preferred_contact(body) or preferred_contact(person)
    return contact, member_language(person)


def notice_text(lang: str, measure_id: str, patient: str) -> str:
    """The message in ``lang`` (``vi`` or ``en``; anything else gives ``vi``).

    >>> notice_text("en", "weight", "Patient/p1")
    'CareHub: new home-monitoring alert (Weight) for a patient. Open /app/monitoring/patients/p1'
    """
    texts = catalogue(lang if lang in LANGUAGES else LANGUAGES[0])
    return texts["monitoring.notice.text"].format(
        measure=texts.get(f"monitoring.measure.{measure_id}", measure_id),
        link=f"/app/monitoring/patients/{patient.removeprefix('Patient/')}")


def _notified(records: Records, task_id: str) -> set[str]:
    done = records.search("Communication", [("based-on", f"Task/{task_id}"),
                                            ("status", "completed")])
    return {str(r.get("reference")) for c in done for r in c.get("recipient") or ()}


def notify_alert(records: Records, notifier: Notifier, task: dict[str, Any],
                 now: datetime) -> list[dict[str, Any]]:
    """Notify the care team of the alert ``task`` (see the module docstring).

    Returns the Communications stored (none when the patient has no care team).
    """
    patient = str((task.get("for") or {}).get("reference", ""))
    already = _notified(records, str(task["id"]))
    out: list[dict[str, Any]] = []
    for member in members(records, patient):
        if member in already:
            continue
        contact, lang = _contact(records, member)
        text = notice_text(lang, measure_of(task), patient)
        comm: dict[str, Any] = {
            "resourceType": "Communication", "id": new_id(), "category": [CATEGORY],
            "priority": str(task.get("priority", "urgent")),
            "basedOn": [{"reference": f"Task/{task['id']}"}],
            "subject": {"reference": patient}, "recipient": [{"reference": member}],
            "payload": [{"contentString": text}],
        }
        focus = str((task.get("focus") or {}).get("reference", ""))
        if focus:
            comm["about"] = [{"reference": focus}]
        out.append(records.put(deliver(comm, contact, text, notifier, now)))
    return out


def opened_tasks(written: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alert Tasks newly opened among resources
    :func:`~carehub.telemed.monitoring.alerts.raise_alert` wrote: those whose Flag was
    written beside them.

    >>> task = {"resourceType": "Task", "id": "t", "focus": {"reference": "Flag/f"}}
    >>> opened_tasks([task]), len(opened_tasks([{"resourceType": "Flag", "id": "f"}, task]))
    ([], 1)
    """
    flags = {f"Flag/{r.get('id')}" for r in written if r.get("resourceType") == "Flag"}
    return [r for r in written if r.get("resourceType") == "Task"
            and (r.get("focus") or {}).get("reference") in flags]
