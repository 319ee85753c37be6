"""Case conferences (hội chẩn): the shared case view and the signed conclusion.

https://hl7.org/fhir/R4/composition.html, https://hl7.org/fhir/R4/documentreference.html,
https://hl7.org/fhir/R4/provenance.html, https://www.rfc-editor.org/rfc/rfc7515 (JWS)

**Case view.** The presenter's view state is ``{patient, tab, chart}``: ``tab``
is ``summary``, ``labs`` or ``imaging`` and ``chart`` a LOINC code of the lab
trend to plot. :func:`case_view` loads what that view shows, only for the
conference's own patient.

**Conclusion.** :func:`conclude` writes, in one transaction, a Composition
(LOINC 11488-4 consult note) with the conclusion, the participants (section
and ``attester``), a DocumentReference to it and a Provenance whose
``signature`` is what "signed" means here: an RS256 JSON Web Signature with
a detached payload, made with the server's signing key (the key published at
``/auth/jwks``; its ``kid`` is in the JWS header) over the canonical JSON of
the Composition (keys sorted, without ``meta``). :func:`verify_conclusion`
checks it; any change to the stored Composition breaks it.

Failure modes: :class:`~carehub.errors.Forbidden` for someone not in the
conference or another patient's view; :class:`~carehub.errors.Incorrect` for
an empty conclusion or an unknown tab; :class:`~carehub.errors.Conflict` when
the conference has already been concluded.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Protocol

import orjson

from carehub.errors import Conflict, Forbidden, Incorrect
from carehub.telemed.actor import Actor
from carehub.telemed.join import display_name
from carehub.telemed.records import Records, instant, new_id
from carehub.telemed.scheduling import CONFERENCE, kind_of, participants, patient_of

TABS = ("summary", "labs", "imaging")
LOINC = "http://loinc.org"
SIGNATURE_TYPE = {"system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.1",
                  "display": "Author's Signature"}


class Signer(Protocol):
    """Makes detached JWS signatures (the server's signing key)."""

    def sign(self, payload: bytes) -> str:
        """A compact JWS with a detached (empty) payload part."""
        ...

    def verify(self, jws: str, payload: bytes) -> bool:
        """Whether ``jws`` signs ``payload``."""
        ...


def canonical(resource: dict[str, Any]) -> bytes:
    """The bytes a signature covers: the resource without ``meta``, keys sorted.

    >>> canonical({"b": 1, "meta": {"versionId": "2"}, "a": [2]})
    b'{"a":[2],"b":1}'
    """
    return orjson.dumps({k: v for k, v in resource.items() if k != "meta"},
                        option=orjson.OPT_SORT_KEYS)


def conference_for(records: Records, actor: Actor, appointment_id: str) -> dict[str, Any]:
    """The conference Appointment, if ``actor`` takes part.

    Raises:
        Forbidden: not a case conference participant.
        NotFound: unknown appointment.
    """
    appointment = records.get("Appointment", appointment_id)
    if kind_of(appointment) != CONFERENCE:
        raise Incorrect(f"Appointment/{appointment_id} is not a case conference")
    if not (actor.system or actor.reference in participants(appointment)):
        raise Forbidden("only the conference's participants may see or conclude it")
    return appointment


def _value(obs: dict[str, Any]) -> tuple[float, str] | None:
    q = obs.get("valueQuantity")
    if isinstance(q, dict) and isinstance(q.get("value"), int | float):
        return float(q["value"]), str(q.get("unit") or q.get("code") or "")
    return None


def _code(resource: dict[str, Any]) -> tuple[str, str]:
    for coding in resource.get("code", {}).get("coding", []):
        return str(coding.get("code", "")), str(coding.get("display") or coding.get("code"))
    return "", resource.get("code", {}).get("text", "")


def case_view(records: Records, conference: dict[str, Any],
              state: dict[str, Any]) -> dict[str, Any]:
    """What the view ``state`` shows of the conference's patient.

    Raises:
        Forbidden: ``state.patient`` is not the conference's patient.
        Incorrect: unknown ``tab``.
    """
    patient_ref = patient_of(conference)
    if state.get("patient") != patient_ref or patient_ref is None:
        raise Forbidden("the case view may only show this conference's patient")
    tab = state.get("tab", "summary")
    if tab not in TABS:
        raise Incorrect(f"unknown tab '{tab}'; use one of {', '.join(TABS)}")
    pid = patient_ref.split("/", 1)[1]
    patient = records.get("Patient", pid)
    out: dict[str, Any] = {"patient": patient_ref, "tab": tab,
                           "name": display_name(records, patient_ref),
                           "gender": patient.get("gender"), "birthDate": patient.get("birthDate")}
    if tab == "summary":
        conditions = records.search("Condition", [("patient", patient_ref)])
        out["conditions"] = sorted({_code(c)[1] for c in conditions})
    elif tab == "labs":
        trends: dict[str, dict[str, Any]] = {}
        for obs in records.search("Observation", [("patient", patient_ref),
                                                  ("category", "laboratory"), ("_sort", "date")]):
            value = _value(obs)
            code, label = _code(obs)
            if value is None or not code:
                continue
            trend = trends.setdefault(code, {"code": code, "label": label, "unit": value[1],
                                             "points": []})
            trend["points"].append([obs.get("effectiveDateTime", ""), value[0]])
        out["trends"] = list(trends.values())
        chart = state.get("chart")
        out["chart"] = chart if chart in trends else next(iter(trends), None)
    else:
        reports = records.search("DiagnosticReport", [("patient", patient_ref)])
        out["findings"] = [{"title": _code(r)[1], "date": r.get("effectiveDateTime", ""),
                            "conclusion": r.get("conclusion", "")}
                           for r in reports if r.get("conclusion")]
    return out


def conclude(records: Records, signer: Signer, actor: Actor, appointment_id: str, text: str,
             now: datetime) -> dict[str, dict[str, Any]]:
    """Write the signed conclusion (see the module docstring).

    Returns:
        ``{"Composition": ..., "DocumentReference": ..., "Provenance": ...}``.
    """
    if actor.system or not actor.reference.startswith("Practitioner/"):
        raise Forbidden("a conclusion is written by one of the conference's clinicians")
    conference = conference_for(records, actor, appointment_id)
    if not text.strip():
        raise Incorrect("the conclusion is empty", expression="text")
    if records.search("Composition", [("related-ref", f"Appointment/{appointment_id}")]):
        raise Conflict(f"Appointment/{appointment_id} already has a conclusion")
    people = participants(conference)
    patient_ref = str(patient_of(conference))
    when = instant(now)
    names = {ref: display_name(records, ref) for ref in people}
    composition: dict[str, Any] = {
        "resourceType": "Composition", "id": new_id(), "status": "final",
        "type": {"coding": [{"system": LOINC, "code": "11488-4", "display": "Consult note"}]},
        "subject": {"reference": patient_ref}, "date": when,
        "author": [{"reference": actor.reference, "display": names[actor.reference]}],
        "title": f"Biên bản hội chẩn / Case conference: {conference.get('description', '')}",
        "attester": [{"mode": "professional", "time": when,
                      "party": {"reference": ref, "display": names[ref]}} for ref in people],
        "relatesTo": [{"code": "appends",
                       "targetReference": {"reference": f"Appointment/{appointment_id}"}}],
        "section": [
            {"title": "Kết luận / Conclusion", "text": {"status": "generated",
             "div": _div(text)}},
            {"title": "Thành phần / Participants",
             "entry": [{"reference": ref, "display": names[ref]} for ref in people]},
        ],
    }
    signature = signer.sign(canonical(composition))
    document = {
        "resourceType": "DocumentReference", "id": new_id(), "status": "current",
        "type": composition["type"], "subject": {"reference": patient_ref}, "date": when,
        "author": [{"reference": ref} for ref in people],
        "description": composition["title"],
        "content": [{"attachment": {"contentType": "application/fhir+json",
                                    "url": f"Composition/{composition['id']}",
                                    "title": composition["title"]}}],
        "context": {"related": [{"reference": f"Appointment/{appointment_id}"},
                                {"reference": f"Composition/{composition['id']}"}]},
    }
    provenance = {
        "resourceType": "Provenance", "id": new_id(), "recorded": when,
        "target": [{"reference": f"Composition/{composition['id']}"},
                   {"reference": f"DocumentReference/{document['id']}"}],
        "agent": [{"type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": "author" if ref == actor.reference else "attester"}]},
            "who": {"reference": ref}} for ref in people],
        "signature": [{"type": [SIGNATURE_TYPE], "when": when,
                       "who": {"reference": actor.reference},
                       "sigFormat": "application/jose", "targetFormat": "application/fhir+json",
                       "data": base64.b64encode(signature.encode()).decode()}],
    }
    with records.write() as s:
        for resource in (composition, document, provenance):
            s.put(resource)
    return {"Composition": composition, "DocumentReference": document, "Provenance": provenance}


def _div(text: str) -> str:
    from html import escape

    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in text.strip().splitlines() if line)
    return f'<div xmlns="http://www.w3.org/1999/xhtml">{paragraphs}</div>'


def verify_conclusion(records: Records, signer: Signer, provenance_id: str) -> bool:
    """Whether the stored Composition still matches the Provenance's signature."""
    provenance = records.get("Provenance", provenance_id)
    target = provenance["target"][0]["reference"].split("/", 1)[1]
    composition = records.get("Composition", target)
    jws = base64.b64decode(provenance["signature"][0]["data"]).decode()
    return signer.verify(jws, canonical(composition))
