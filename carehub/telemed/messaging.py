"""Secure messaging between a patient and their care team, as Communication resources.

https://hl7.org/fhir/R4/communication.html

Each patient has one conversation: Communications with ``subject`` the patient
and the CareHub category ``secure-message``. A message from the patient goes
to the care team (``recipient`` omitted: the team's shared inbox); a message
from a clinician goes to the patient. Attachments are inline (``data``) in
``payload.contentAttachment``. A message is read when the other side opens
it: :func:`mark_read` sets ``received``.

Failure modes: :class:`~carehub.errors.Forbidden` (a patient reading or
writing another patient's conversation); :class:`~carehub.errors.Incorrect`
(empty text and no attachment, a type that is not PDF/PNG/JPEG, bad base64,
over :data:`MAX_ATTACHMENT_BYTES`); nothing is stored when refused.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from carehub.errors import Forbidden, Incorrect
from carehub.telemed.access import require_access
from carehub.telemed.actor import Actor, require_patient_or_staff
from carehub.telemed.records import Records, instant, new_id
from carehub.telemed.scheduling import TELEMED_SYSTEM

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
TYPES = ("application/pdf", "image/png", "image/jpeg")
CATEGORY = {"coding": [{"system": TELEMED_SYSTEM, "code": "secure-message"}]}


def attachment(item: Any, index: int) -> dict[str, Any]:
    """A checked FHIR Attachment from ``{contentType, data, title}``.

    Raises:
        Incorrect: unknown type, bad base64 or too large.

    >>> attachment({"contentType": "image/png", "data": "iVBORw0K", "title": "a.png"}, 0)["size"]
    6
    """
    where = f"attachments[{index}]"
    if not isinstance(item, dict) or item.get("contentType") not in TYPES:
        raise Incorrect(f"{where}: contentType must be one of {', '.join(TYPES)}",
                        expression=where)
    try:
        raw = base64.b64decode(str(item.get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        raise Incorrect(f"{where}: data is not base64", expression=where) from None
    if not raw or len(raw) > MAX_ATTACHMENT_BYTES:
        raise Incorrect(f"{where}: an attachment holds 1 byte to 5 MiB", expression=where)
    return {"contentType": item["contentType"], "data": item["data"], "size": len(raw),
            "title": str(item.get("title") or f"attachment-{index + 1}")}


def send(records: Records, actor: Actor, patient: str, text: str, attachments: list[Any],
         now: datetime) -> dict[str, Any]:
    """Store one message in ``patient``'s conversation (see the module docstring)."""
    require_access(records, actor, patient)
    if actor.system:
        raise Forbidden("messages are written by a patient or a clinician")
    payload: list[dict[str, Any]] = []
    if text.strip():
        payload.append({"contentString": text.strip()})
    payload += [{"contentAttachment": attachment(a, i)} for i, a in enumerate(attachments)]
    if not payload:
        raise Incorrect("a message needs text or an attachment", expression="text")
    message: dict[str, Any] = {
        "resourceType": "Communication", "id": new_id(), "status": "completed",
        "category": [CATEGORY], "subject": {"reference": patient},
        "sender": {"reference": actor.reference}, "sent": instant(now), "payload": payload,
    }
    if not actor.is_patient:
        message["recipient"] = [{"reference": patient}]
    return records.put(message)


CONVERSATION_LIMIT = 200
"""Most recent messages a conversation shows."""


def conversation(records: Records, actor: Actor, patient: str) -> list[dict[str, Any]]:
    """The patient's latest :data:`CONVERSATION_LIMIT` messages, oldest first."""
    require_access(records, actor, patient)
    newest = records.search("Communication", [
        ("subject", patient), ("category", "secure-message"), ("_sort", "-sent"),
        ("_count", str(CONVERSATION_LIMIT)),
    ])
    return newest[::-1]


def mark_read(records: Records, actor: Actor, message_id: str, now: datetime) -> dict[str, Any]:
    """Mark a message read by its recipient side (a no-op for the sender's side or when read).

    Raises:
        Forbidden: not this patient's conversation.
    """
    with records.write() as s:
        message = records.lock_get(s, "Communication", message_id)
        patient = message.get("subject", {}).get("reference", "")
        require_patient_or_staff(actor, patient)
        from_patient = message.get("sender", {}).get("reference") == patient
        reader_is_recipient = actor.is_patient != from_patient
        if reader_is_recipient and "received" not in message:
            message["received"] = instant(now)
            s.put(message)
    return message


def unread(messages: list[dict[str, Any]], actor: Actor) -> int:
    """How many of ``messages`` wait for ``actor``'s side to read them.

    >>> m = [{"subject": {"reference": "Patient/p"}, "sender": {"reference": "Practitioner/d"}}]
    >>> unread(m, Actor("Patient/p")), unread(m, Actor("Practitioner/d"))
    (1, 0)
    """
    count = 0
    for m in messages:
        from_patient = m.get("sender", {}).get("reference") == m.get("subject", {}).get("reference")
        if actor.is_patient != from_patient and "received" not in m:
            count += 1
    return count
