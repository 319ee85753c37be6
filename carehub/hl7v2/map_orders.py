"""ORM^O01 and OML^O21 orders → ServiceRequest.

https://build.fhir.org/ig/HL7/v2-to-fhir/ (ORC[ServiceRequest], OBR[ServiceRequest])

Each ``ORC`` (with the ``TQ1``, ``OBR`` and ``NTE`` after it) is one
ServiceRequest, upserted by its order numbers:

=====================  =====================================================================
``identifier``         placer ``ORC-2``/``OBR-2`` and filler ``ORC-3``/``OBR-3`` (at least
                       one, error 101)
``status``             ``ORC-5`` order status (table 0038) when sent, else ``ORC-1`` order
                       control (table 0119): ``NW`` active, ``CA``/``DC`` revoked, ``HD``
                       on-hold...
``intent``             ``order``
``code``               ``OBR-4`` (an ``OML^O21`` order must have an ``OBR``)
``category``           ``OBR-24`` (v2-0074)
``priority``           ``TQ1-9``, else ``OBR-27.6``/``ORC-7.6`` (table 0027)
``occurrenceDateTime`` ``TQ1-7``, else ``OBR-27.4``
``authoredOn``         ``ORC-9``
``requester``          ``ORC-12``, else ``OBR-16`` (by identifier)
``reasonCode``         ``OBR-31``
``note``               the ``NTE`` of the order
=====================  =====================================================================

A later message about the same order (``CA`` cancel, ``SC`` status change)
updates the same ServiceRequest; elements it does not carry are kept.
"""

from __future__ import annotations

from typing import Any

from carehub.hl7v2.context import Context, groups, require_segment
from carehub.hl7v2.datatypes import concept_of, practitioner_ref, table_code
from carehub.hl7v2.errors import REQUIRED_FIELD, SEGMENT_SEQUENCE, Loc, MessageError
from carehub.hl7v2.map_adt import encounter_write, patient_write
from carehub.hl7v2.map_oru import V2_0074, order_identifiers, order_numbers
from carehub.hl7v2.parse import Segment
from carehub.hl7v2.plan import Plan, Write, identifiers_of, ref, stable_id


def order_status(ctx: Context, orc: Segment, resource: str) -> str:
    """The request status from ``ORC-5`` (table 0038) or ``ORC-1`` (table 0119).

    Raises:
        MessageError: 101 no ``ORC-1``; 103 a code not in the table.
    """
    if orc.get(5):
        return str(table_code(ctx.tables, f"0038-{resource}", orc.get(5), orc.loc(5, 1),
                              "ORC-5").code)
    if not orc.get(1):
        raise MessageError(REQUIRED_FIELD, "ORC-1 (order control) is required", orc.loc(1))
    return str(table_code(ctx.tables, f"0119-{resource}", orc.get(1), orc.loc(1, 1),
                          "ORC-1").code)


def priority_of(ctx: Context, segs: dict[str, Segment]) -> str | None:
    """``TQ1-9``, else ``OBR-27.6``, else ``ORC-7.6`` through table 0027."""
    tq1, obr, orc = segs.get("TQ1"), segs.get("OBR"), segs.get("ORC")
    for seg, n, comp in ((tq1, 9, 1), (obr, 27, 6), (orc, 7, 6)):
        if seg is not None and seg.get(n, comp):
            return str(table_code(ctx.tables, "0027-priority", seg.get(n, comp),
                                  seg.loc(n, comp), f"{seg.name}-{n}").code)
    return None


def notes_of(segments: list[Segment]) -> list[dict[str, str]]:
    """``NTE-3`` of each NTE as ``Annotation``."""
    out = []
    for nte in segments:
        if nte.name == "NTE":
            text = "\n".join(rep.c(1) for rep in nte.reps(3))
            if text:
                out.append({"text": text})
    return out


def map_order(ctx: Context) -> Plan:
    """ORM^O01 / OML^O21: Patient (found or created), Encounter (referred to), ServiceRequests."""
    plan = Plan(ctx.msg.message_type)
    pid = require_segment(ctx.msg, "PID")
    plan.add(patient_write(ctx, pid))
    enc = encounter_write(ctx, ctx.msg.first("PV1"))
    if enc is not None:
        plan.add(enc)
    orders = groups(ctx.msg, "ORC", ("TQ1", "OBR", "NTE"))
    if not orders:
        raise MessageError(SEGMENT_SEQUENCE, f"{ctx.msg.message_type} needs an ORC segment",
                           Loc("ORC"))
    for n, group in enumerate(orders, 1):
        plan.add(_service_request(ctx, n, group, enc is not None))
    return plan


def _service_request(ctx: Context, n: int, group: list[Segment], has_encounter: bool) -> Write:
    orc = group[0]
    segs: dict[str, Segment] = {}
    for seg in group:
        segs.setdefault(seg.name, seg)
    obr = segs.get("OBR")
    if obr is None and ctx.event.get("obr_required"):
        raise MessageError(
            SEGMENT_SEQUENCE, f"ORC[{orc.seq}] of {ctx.msg.message_type} has no OBR", Loc("OBR")
        )
    placer, filler = order_numbers(ctx, orc, obr)
    idents = order_identifiers(ctx, placer, filler)
    if not idents:
        raise MessageError(
            REQUIRED_FIELD, "ORC-2 or ORC-3 (an order number) is required", orc.loc(2)
        )
    body: dict[str, Any] = {"resourceType": "ServiceRequest", "identifier": idents}
    body["status"] = order_status(ctx, orc, "servicerequest")
    body["intent"] = "order"
    if obr is not None and obr.get(24):
        body["category"] = [{"coding": [{"system": V2_0074, "code": obr.get(24)}]}]
    priority = priority_of(ctx, segs)
    if priority:
        body["priority"] = priority
    code = concept_of(obr.rep(4), ctx.tables) if obr is not None else None
    if code:
        body["code"] = code
    body["subject"] = ref("patient")
    if has_encounter:
        body["encounter"] = ref("encounter")
    tq1 = segs.get("TQ1")
    when = ctx.field_dt(tq1, 7) if tq1 is not None else None
    if when is None and obr is not None and obr.get(27, 4):
        when = ctx.dt(obr.get(27, 4), obr.loc(27, 4))
    if when:
        body["occurrenceDateTime"] = when
    authored = ctx.field_dt(orc, 9)
    if authored:
        body["authoredOn"] = authored
    requester = practitioner_ref(orc.rep(12) or (obr.rep(16) if obr else None), ctx.tables)
    if requester:
        body["requester"] = requester
    if obr is not None:
        reasons = [c for rep in obr.reps(31) if (c := concept_of(rep, ctx.tables))]
        if reasons:
            body["reasonCode"] = reasons
    notes = notes_of(group)
    if notes:
        body["note"] = notes
    identity = f"{idents[0]['system']}|{idents[0]['value']}"
    return Write(
        key=f"sr:{n}",
        resource=body,
        match=identifiers_of(body),
        fixed_id=stable_id("sr", identity),
        policy=ctx.tables.merge_policy("ServiceRequest"),
        loc=orc.loc(),
        key_loc=orc.loc(2),
        subject_key="patient",
    )
