"""RDE^O11 pharmacy orders → MedicationRequest; RDS^O13 dispenses → MedicationDispense.

https://build.fhir.org/ig/HL7/v2-to-fhir/ (RXE[MedicationRequest], RXD[MedicationDispense])

RDE: each ``ORC`` with its ``TQ1``, ``RXE``, ``RXR`` and ``NTE`` is one
MedicationRequest, upserted by its order numbers (``ORC-2``/``ORC-3``):
``status`` from ``ORC-5``/``ORC-1`` (tables 0038/0119, ``DC`` stopped, ``CA``
cancelled...), ``medicationCodeableConcept`` ``RXE-2`` (required), ``authoredOn``
``ORC-9``, ``requester`` ``ORC-12``, one ``dosageInstruction``: its text
(``RXE-7``, else the timing's text), ``timing.repeat`` from the repeat pattern
``TQ1-3`` (or ``RXE-1.2`` before v2.5) through ``timing.csv``, bounds
``TQ1-7``/``TQ1-8``, ``route`` ``RXR-1`` (table 0162 → SNOMED CT), the dose
``RXE-3`` (a range up to ``RXE-4``) in ``RXE-5`` units; ``dispenseRequest``
quantity ``RXE-10``/``RXE-11`` and repeats ``RXE-12``.

RDS: each ``RXD`` is one MedicationDispense: ``status`` from ``ORC-1`` (table
0119-medicationdispense), ``medicationCodeableConcept`` ``RXD-2`` (required),
``quantity`` ``RXD-4``/``RXD-5``, ``whenHandedOver`` ``RXD-3``, ``identifier``
the prescription number ``RXD-7``, ``authorizingPrescription`` the
MedicationRequest of the order numbers (a logical reference when it is not
stored), the route of its ``RXR``. Its id is derived from the order number,
``RXD-1`` and ``RXD-3``, so a resent dispense updates the same resource.
"""

from __future__ import annotations

from typing import Any

from carehub.hl7v2.context import Context, groups, require_rep, require_segment
from carehub.hl7v2.datatypes import concept_of, number_of, practitioner_ref, table_code
from carehub.hl7v2.errors import REQUIRED_FIELD, SEGMENT_SEQUENCE, Loc, MessageError
from carehub.hl7v2.map_adt import encounter_write, patient_write
from carehub.hl7v2.map_orders import notes_of, order_status
from carehub.hl7v2.map_oru import UCUM, order_identifiers, order_numbers
from carehub.hl7v2.parse import Rep, Segment
from carehub.hl7v2.plan import Plan, Write, identifiers_of, ref, stable_id

V2_0162 = "http://terminology.hl7.org/CodeSystem/v2-0162"


def _start(ctx: Context) -> tuple[Plan, bool]:
    plan = Plan(ctx.msg.message_type)
    pid = require_segment(ctx.msg, "PID")
    plan.add(patient_write(ctx, pid))
    enc = encounter_write(ctx, ctx.msg.first("PV1"))
    if enc is not None:
        plan.add(enc)
    return plan, enc is not None


def _order_groups(ctx: Context, members: tuple[str, ...]) -> list[list[Segment]]:
    found = groups(ctx.msg, "ORC", members)
    if not found:
        raise MessageError(SEGMENT_SEQUENCE, f"{ctx.msg.message_type} needs an ORC segment",
                           Loc("ORC"))
    return found


def _quantity(ctx: Context, value: str, loc: Loc, unit: Rep | None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": number_of(value, loc)}
    if unit is not None:
        code, text, system = unit.c(1), unit.c(2), unit.c(3).upper()
        out["unit"] = text or code
        if code and system in ctx.tables.ucum_names:
            out["system"] = UCUM
            out["code"] = code
    return out


def _route(ctx: Context, rxr: Segment | None) -> dict[str, Any] | None:
    rep = rxr.rep(1) if rxr is not None else None
    if rep is None:
        return None
    found = ctx.tables.code("0162-route", rep.c(1))
    if found is None:
        concept = concept_of(rep, ctx.tables, default_system=V2_0162)
        return dict(concept) if concept else None
    out: dict[str, Any] = {"coding": [found.coding()]}
    if rep.c(2):
        out["text"] = rep.c(2)
    return out


def _timing(ctx: Context, tq1: Segment | None, rxe: Segment) -> tuple[dict[str, Any], str, bool]:
    """(Timing, its text, as needed) from ``TQ1-3`` or ``RXE-1.2``."""
    code, loc = "", Loc("TQ1", 1, 3)
    if tq1 is not None and tq1.get(3):
        code, loc = tq1.get(3), tq1.loc(3, 1)
    elif rxe.get(1, 2):
        code, loc = rxe.get(1, 2), rxe.loc(1, 2)
    timing: dict[str, Any] = {}
    text, as_needed = "", False
    repeat: dict[str, Any] = {}
    if code:
        row = ctx.tables.timing.get(code.upper())
        if row is None:
            raise MessageError(
                "103",
                f"repeat pattern '{code}' is not in mapping/timing.csv",
                loc,
            )
        text, as_needed = row.text, row.as_needed
        if row.frequency is not None:
            repeat["frequency"] = row.frequency
        if row.period is not None:
            repeat["period"] = int(row.period) if row.period.is_integer() else row.period
            repeat["periodUnit"] = row.period_unit
        if row.when:
            repeat["when"] = [row.when]
        if row.count is not None:
            repeat["count"] = row.count
        timing["code"] = {"text": code}
    start = ctx.field_dt(tq1, 7) if tq1 is not None else None
    end = ctx.field_dt(tq1, 8) if tq1 is not None else None
    if start or end:
        bounds: dict[str, str] = {}
        if start:
            bounds["start"] = start
        if end:
            bounds["end"] = end
        repeat["boundsPeriod"] = bounds
    if repeat:
        timing["repeat"] = repeat
    return timing, text, as_needed


def map_pharmacy_order(ctx: Context) -> Plan:
    """RDE^O11: Patient (found or created), Encounter (referred to), MedicationRequests."""
    plan, has_encounter = _start(ctx)
    for n, group in enumerate(_order_groups(ctx, ("TQ1", "RXE", "RXR", "RXC", "NTE")), 1):
        plan.add(_medication_request(ctx, n, group, has_encounter))
    return plan


def _first(group: list[Segment], name: str) -> Segment | None:
    return next((s for s in group if s.name == name), None)


def _medication_request(ctx: Context, n: int, group: list[Segment], has_encounter: bool) -> Write:
    orc = group[0]
    rxe = _first(group, "RXE")
    if rxe is None:
        raise MessageError(SEGMENT_SEQUENCE, f"ORC[{orc.seq}] of RDE^O11 has no RXE", Loc("RXE"))
    placer, filler = order_numbers(ctx, orc, None)
    idents = order_identifiers(ctx, placer, filler)
    if not idents:
        raise MessageError(REQUIRED_FIELD, "ORC-2 or ORC-3 (an order number) is required",
                           orc.loc(2))
    body: dict[str, Any] = {"resourceType": "MedicationRequest", "identifier": idents}
    body["status"] = order_status(ctx, orc, "medicationrequest")
    body["intent"] = "order"
    body["medicationCodeableConcept"] = concept_of(
        require_rep(rxe, 2, "give code"), ctx.tables
    )
    body["subject"] = ref("patient")
    if has_encounter:
        body["encounter"] = ref("encounter")
    authored = ctx.field_dt(orc, 9)
    if authored:
        body["authoredOn"] = authored
    requester = practitioner_ref(orc.rep(12), ctx.tables)
    if requester:
        body["requester"] = requester
    notes = notes_of(group)
    if notes:
        body["note"] = notes
    dosage: dict[str, Any] = {}
    timing, timing_text, as_needed = _timing(ctx, _first(group, "TQ1"), rxe)
    instructions = rxe.rep(7)
    text = (instructions.c(2) or instructions.c(1)) if instructions is not None else ""
    if text or timing_text:
        dosage["text"] = text or timing_text
    if timing:
        dosage["timing"] = timing
    if as_needed:
        dosage["asNeededBoolean"] = True
    route = _route(ctx, _first(group, "RXR"))
    if route:
        dosage["route"] = route
    units = rxe.rep(5)
    if rxe.get(3):
        low = _quantity(ctx, rxe.get(3), rxe.loc(3, 1), units)
        if rxe.get(4) and number_of(rxe.get(4), rxe.loc(4, 1)) > low["value"]:
            high = _quantity(ctx, rxe.get(4), rxe.loc(4, 1), units)
            dosage["doseAndRate"] = [{"doseRange": {"low": low, "high": high}}]
        else:
            dosage["doseAndRate"] = [{"doseQuantity": low}]
    if dosage:
        body["dosageInstruction"] = [dosage]
    dispense: dict[str, Any] = {}
    if rxe.get(12):
        repeats = number_of(rxe.get(12), rxe.loc(12, 1))
        if not isinstance(repeats, int) or repeats < 0:
            raise MessageError("102", "RXE-12 (number of refills) must be a whole number",
                               rxe.loc(12, 1))
        dispense["numberOfRepeatsAllowed"] = repeats
    if rxe.get(10):
        dispense["quantity"] = _quantity(ctx, rxe.get(10), rxe.loc(10, 1), rxe.rep(11))
    if dispense:
        body["dispenseRequest"] = dispense
    identity = f"{idents[0]['system']}|{idents[0]['value']}"
    return Write(
        key=f"mr:{n}",
        resource=body,
        match=identifiers_of(body),
        fixed_id=stable_id("mr", identity),
        policy=ctx.tables.merge_policy("MedicationRequest"),
        loc=orc.loc(),
        key_loc=orc.loc(2),
        subject_key="patient",
    )


def map_pharmacy_dispense(ctx: Context) -> Plan:
    """RDS^O13: Patient (found or created), Encounter (referred to), MedicationDispenses."""
    plan, has_encounter = _start(ctx)
    members = ("TQ1", "RXE", "RXD", "RXR", "RXC", "NTE", "FT1")
    for n, group in enumerate(_order_groups(ctx, members), 1):
        orc = group[0]
        dispenses = [s for s in group if s.name == "RXD"]
        if not dispenses:
            raise MessageError(SEGMENT_SEQUENCE, f"ORC[{orc.seq}] of RDS^O13 has no RXD",
                               Loc("RXD"))
        placer, filler = order_numbers(ctx, orc, None)
        idents = order_identifiers(ctx, placer, filler)
        if not idents:
            raise MessageError(REQUIRED_FIELD, "ORC-2 or ORC-3 (an order number) is required",
                               orc.loc(2))
        mr_key = f"mr:{n}"
        plan.add(Write(
            key=mr_key,
            resource={"resourceType": "MedicationRequest", "identifier": idents},
            match=identifiers_of({"identifier": idents}),
            policy="keep",
            missing="logical",
            loc=orc.loc(),
            key_loc=orc.loc(2),
            subject_key="patient",
        ))
        identity = f"{idents[0]['system']}|{idents[0]['value']}"
        status = "completed"
        if orc.get(1):
            status = str(table_code(ctx.tables, "0119-medicationdispense", orc.get(1),
                                    orc.loc(1, 1), "ORC-1").code)
        for i, rxd in enumerate(dispenses, 1):
            after = group[group.index(rxd) + 1 :]
            rxr = next((s for s in after if s.name == "RXR"), None)
            if rxr is not None and any(s.name == "RXD" for s in after[: after.index(rxr)]):
                rxr = None
            plan.add(_dispense(ctx, f"md:{n}:{i}", rxd, rxr, group, status, identity, mr_key,
                               has_encounter))
    return plan


def _dispense(
    ctx: Context,
    key: str,
    rxd: Segment,
    rxr: Segment | None,
    group: list[Segment],
    status: str,
    identity: str,
    mr_key: str,
    has_encounter: bool,
) -> Write:
    body: dict[str, Any] = {"resourceType": "MedicationDispense"}
    if rxd.get(7):
        body["identifier"] = [{
            "system": ctx.tables.identifiers["prescription"]["system"],
            "value": rxd.get(7),
        }]
    body["status"] = status
    body["medicationCodeableConcept"] = concept_of(
        require_rep(rxd, 2, "dispense/give code"), ctx.tables
    )
    body["subject"] = ref("patient")
    if has_encounter:
        body["context"] = ref("encounter")
    body["authorizingPrescription"] = [ref(mr_key)]
    if rxd.get(4):
        body["quantity"] = _quantity(ctx, rxd.get(4), rxd.loc(4, 1), rxd.rep(5))
    handed = ctx.field_dt(rxd, 3)
    if handed:
        body["whenHandedOver"] = handed
    dosage: dict[str, Any] = {}
    special = rxd.rep(9)
    if special is not None and (special.c(2) or special.c(1)):
        dosage["text"] = special.c(2) or special.c(1)
    route = _route(ctx, rxr)
    if route:
        dosage["route"] = route
    if dosage:
        body["dosageInstruction"] = [dosage]
    notes = notes_of(group)
    if notes:
        body["note"] = notes
    return Write(
        key=key,
        resource=body,
        fixed_id=stable_id("md", identity, rxd.get(1), rxd.get(3)),
        policy=ctx.tables.merge_policy("MedicationDispense"),
        loc=rxd.loc(),
        subject_key="patient",
    )
