"""ORU^R01 results → DiagnosticReport and Observations.

https://build.fhir.org/ig/HL7/v2-to-fhir/ (OBR[DiagnosticReport], OBX[Observation])

Each ``OBR`` (with the ``ORC`` before it, the ``OBX`` and ``NTE`` after it)
becomes one DiagnosticReport and one Observation per ``OBX``:

========================  ==================================================================
DiagnosticReport          ``identifier`` filler (``OBR-3``/``ORC-3``) and placer
                          (``OBR-2``/``ORC-2``) order numbers (at least one, error 101),
                          ``status`` ``OBR-25`` (table 0123; when empty, derived from the
                          observations), ``code`` ``OBR-4`` (required), ``category``
                          ``OBR-24`` (v2-0074), ``effectiveDateTime`` ``OBR-7``,
                          ``issued`` ``OBR-22``, ``result``, ``basedOn`` (the
                          ServiceRequest of the placer number, when stored)
Observation               ``status`` ``OBX-11`` (table 0085, required), ``code``
                          ``OBX-3`` (required), ``value[x]`` by ``OBX-2``
                          (``value_types.json``: NM → Quantity with ``OBX-6`` units, SN
                          → Quantity/Range/Ratio, ST/TX/FT → string, CWE → concept, DT/TS
                          → dateTime), ``interpretation`` ``OBX-8`` (table 0078),
                          ``referenceRange`` ``OBX-7`` (text, and low/high when numeric),
                          ``effectiveDateTime`` ``OBX-14`` else ``OBR-7``, ``performer``
                          ``OBX-16``, ``note`` the ``NTE`` after it, ``category``
                          ``OBR-24`` (table 0074-category, default laboratory)
========================  ==================================================================

The report is upserted by order number, so a corrected report (``OBR-25``
``C``) updates the same DiagnosticReport; each Observation's id is derived
from the report's order number and the ``OBX`` (set id, code, sub-id), so the
corrected result replaces the earlier one. The Patient is found (or created)
from ``PID`` and left as stored; the Encounter is referred to by ``PV1-19``.
"""

from __future__ import annotations

import re
from typing import Any

from carehub.hl7v2.context import Context, require_rep, require_segment
from carehub.hl7v2.datatypes import (
    concept_of,
    datetime_of,
    number_of,
    order_identifier,
    practitioner_ref,
    table_code,
)
from carehub.hl7v2.errors import REQUIRED_FIELD, SEGMENT_SEQUENCE, TABLE_VALUE, Loc, MessageError
from carehub.hl7v2.map_adt import encounter_write, patient_write
from carehub.hl7v2.parse import Rep, Segment
from carehub.hl7v2.plan import Plan, Write, identifiers_of, ref, stable_id

UCUM = "http://unitsofmeasure.org"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_RANGE = re.compile(
    r"^\s*(?P<cmp>[<>]=?)?\s*(?P<a>[+-]?\d+(?:\.\d+)?)\s*(?:-\s*(?P<b>[+-]?\d+(?:\.\d+)?))?\s*$"
)
_COMPARATORS = {"<", "<=", ">", ">="}


def map_oru(ctx: Context) -> Plan:
    """ORU^R01: Patient (found or created), Encounter (referred to), reports and results."""
    plan = Plan(ctx.msg.message_type)
    pid = require_segment(ctx.msg, "PID")
    plan.add(patient_write(ctx, pid))
    enc = encounter_write(ctx, ctx.msg.first("PV1"))
    if enc is not None:
        plan.add(enc)
    reports = _report_groups(ctx)
    if not reports:
        raise MessageError(SEGMENT_SEQUENCE, "ORU^R01 needs at least one OBR segment", Loc("OBR"))
    for n, (orc, obr, notes, results) in enumerate(reports, 1):
        _map_report(ctx, plan, n, orc, obr, notes, results, enc is not None)
    return plan


Group = tuple[Segment | None, Segment, list[Segment], list[tuple[Segment, list[Segment]]]]


def _report_groups(ctx: Context) -> list[Group]:
    out: list[Group] = []
    orc: Segment | None = None
    for seg in ctx.msg.segments:
        if seg.name == "ORC":
            orc = seg
        elif seg.name == "OBR":
            out.append((orc, seg, [], []))
            orc = None
        elif seg.name == "OBX":
            if not out:
                raise MessageError(SEGMENT_SEQUENCE, "OBX before any OBR", seg.loc())
            out[-1][3].append((seg, []))
        elif seg.name == "NTE" and out:
            if out[-1][3]:
                out[-1][3][-1][1].append(seg)
            else:
                out[-1][2].append(seg)
    return out


def order_numbers(
    ctx: Context, orc: Segment | None, obr: Segment | None
) -> tuple[Rep | None, Rep | None]:
    """(placer, filler) order numbers: ``ORC-2``/``OBR-2`` and ``ORC-3``/``OBR-3``."""
    placer = (orc.rep(2) if orc else None) or (obr.rep(2) if obr else None)
    filler = (orc.rep(3) if orc else None) or (obr.rep(3) if obr else None)
    return placer, filler


def order_identifiers(
    ctx: Context, placer: Rep | None, filler: Rep | None
) -> list[dict[str, Any]]:
    """The Identifiers of the order numbers (filler first)."""
    out = []
    if filler is not None and filler.c(1):
        out.append(order_identifier(filler, ctx.tables, "filler_order"))
    if placer is not None and placer.c(1):
        out.append(order_identifier(placer, ctx.tables, "placer_order"))
    return out


def _map_report(
    ctx: Context,
    plan: Plan,
    n: int,
    orc: Segment | None,
    obr: Segment,
    notes: list[Segment],
    results: list[tuple[Segment, list[Segment]]],
    has_encounter: bool,
) -> None:
    placer, filler = order_numbers(ctx, orc, obr)
    idents = order_identifiers(ctx, placer, filler)
    if not idents:
        raise MessageError(
            REQUIRED_FIELD, "OBR-3 or OBR-2 (an order number) is required", obr.loc(3)
        )
    identity = f"{idents[0]['system']}|{idents[0]['value']}"
    code = concept_of(require_rep(obr, 4, "universal service identifier"), ctx.tables)
    sr_key = None
    if placer is not None and placer.c(1):
        sr_key = f"sr:{n}"
        placed = order_identifier(placer, ctx.tables, "placer_order")
        plan.add(Write(
            key=sr_key,
            resource={"resourceType": "ServiceRequest", "identifier": [placed]},
            match=identifiers_of({"identifier": [placed]}),
            policy="keep",
            missing="logical",
            loc=obr.loc(),
            key_loc=obr.loc(2),
        ))
    category = _category(ctx, obr)
    effective = ctx.field_dt(obr, 7)
    issued = ctx.field_instant(obr, 22)
    statuses: list[str] = []
    result_refs = []
    for i, (obx, obx_notes) in enumerate(results, 1):
        obs = _observation(ctx, obx, obx_notes, category, effective, issued, sr_key,
                           has_encounter)
        statuses.append(obs["status"])
        key = f"obs:{n}:{i}"
        obs_key = "|".join((obx.get(1) or str(i), obx.get(3, 1), obx.get(3, 3), obx.get(4)))
        plan.add(Write(
            key=key,
            resource=obs,
            fixed_id=stable_id("obs", identity, obs_key),
            policy=ctx.tables.merge_policy("Observation"),
            loc=obx.loc(),
            subject_key="patient",
        ))
        result_refs.append(ref(key))
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "identifier": idents,
    }
    if sr_key:
        report["basedOn"] = [ref(sr_key)]
    report["status"] = _report_status(ctx, obr, statuses)
    if obr.get(24):
        report["category"] = [{"coding": [{"system": V2_0074, "code": obr.get(24)}]}]
    else:
        report["category"] = [category]
    report["code"] = code
    report["subject"] = ref("patient")
    if has_encounter:
        report["encounter"] = ref("encounter")
    if effective:
        report["effectiveDateTime"] = effective
    if issued:
        report["issued"] = issued
    if result_refs:
        report["result"] = result_refs
    conclusion = "\n".join(_note_text(nte) for nte in notes if _note_text(nte))
    if conclusion:
        report["conclusion"] = conclusion
    plan.add(Write(
        key=f"dr:{n}",
        resource=report,
        match=identifiers_of(report),
        fixed_id=stable_id("dr", identity),
        policy=ctx.tables.merge_policy("DiagnosticReport"),
        loc=obr.loc(),
        key_loc=obr.loc(3),
        subject_key="patient",
    ))


def _category(ctx: Context, obr: Segment) -> dict[str, Any]:
    section = obr.get(24)
    found = ctx.tables.code("0074-category", section) if section else None
    if found is not None:
        return {"coding": [found.coding()]}
    code = str(ctx.tables.defaults.get("observation_category", "laboratory"))
    return {"coding": [{"system": OBSERVATION_CATEGORY, "code": code}]}


def _report_status(ctx: Context, obr: Segment, statuses: list[str]) -> str:
    if obr.get(25):
        found = table_code(ctx.tables, "0123-report-status", obr.get(25), obr.loc(25, 1), "OBR-25")
        return str(found.code)
    if statuses and all(s in ("final", "corrected") for s in statuses):
        return "final"
    if any(s == "preliminary" for s in statuses):
        return "preliminary"
    return "unknown"


def _note_text(nte: Segment) -> str:
    return "\n".join(rep.c(1) for rep in nte.reps(3))


def _observation(
    ctx: Context,
    obx: Segment,
    notes: list[Segment],
    category: dict[str, Any],
    effective: str | None,
    issued: str | None,
    sr_key: str | None,
    has_encounter: bool,
) -> dict[str, Any]:
    status_code = obx.get(11)
    if not status_code:
        raise MessageError(REQUIRED_FIELD, "OBX-11 (observation result status) is required",
                           obx.loc(11))
    status = table_code(ctx.tables, "0085-observation-status", status_code, obx.loc(11, 1),
                        "OBX-11").code
    code = concept_of(require_rep(obx, 3, "observation identifier"), ctx.tables)
    obs: dict[str, Any] = {"resourceType": "Observation"}
    if sr_key:
        obs["basedOn"] = [ref(sr_key)]
    obs["status"] = status
    obs["category"] = [category]
    obs["code"] = code
    obs["subject"] = ref("patient")
    if has_encounter:
        obs["encounter"] = ref("encounter")
    when = ctx.field_dt(obx, 14) or effective
    if when:
        obs["effectiveDateTime"] = when
    if issued:
        obs["issued"] = issued
    performer = practitioner_ref(obx.rep(16), ctx.tables)
    if performer:
        obs["performer"] = [performer]
    obs.update(_value(ctx, obx))
    flags = [
        {"coding": [table_code(ctx.tables, "0078-interpretation", rep.c(1), rep.at(1),
                               "OBX-8").coding()]}
        for rep in obx.reps(8)
        if rep.c(1)
    ]
    if flags:
        obs["interpretation"] = flags
    ranges = _reference_range(ctx, obx)
    if ranges:
        obs["referenceRange"] = ranges
    texts = [t for nte in notes if (t := _note_text(nte))]
    if texts:
        obs["note"] = [{"text": t} for t in texts]
    return obs


def _unit(ctx: Context, obx: Segment) -> dict[str, Any]:
    rep = obx.rep(6)
    if rep is None:
        return {}
    code, text, system = rep.c(1), rep.c(2), rep.c(3).upper()
    out: dict[str, Any] = {"unit": text or code}
    if code and (system in ctx.tables.ucum_names or (not system and not text)):
        out["system"] = UCUM
        out["code"] = code
    return out


def _value(ctx: Context, obx: Segment) -> dict[str, Any]:
    vtype = obx.get(2).upper()
    reps = obx.reps(5)
    if not reps:
        return {}
    kind = ctx.tables.value_types.get(vtype)
    if kind is None:
        raise MessageError(
            TABLE_VALUE if vtype else REQUIRED_FIELD,
            f"OBX-2 value type '{vtype}' is not supported" if vtype
            else "OBX-2 (value type) is required when OBX-5 has a value",
            obx.loc(2),
        )
    first = reps[0]
    loc = first.at(1)
    if kind == "Quantity":
        return {"valueQuantity": {"value": number_of(first.c(1), loc), **_unit(ctx, obx)}}
    if kind == "SN":
        return _structured_numeric(ctx, obx, first)
    if kind == "string":
        return {"valueString": "\n".join(rep.c(1) for rep in reps)}
    if kind == "CodeableConcept":
        return {"valueCodeableConcept": concept_of(first, ctx.tables)}
    if kind == "dateTime":
        return {"valueDateTime": datetime_of(first.c(1), loc, ctx.tables.timezone)}
    if kind == "time":
        digits = first.c(1).split("+")[0].split("-")[0].split(".")[0]
        if not re.fullmatch(r"\d{2}(\d{2})?(\d{2})?", digits):
            raise MessageError("102", f"'{first.c(1)}' is not a time (HHMM[SS])", loc)
        digits = digits.ljust(6, "0")
        return {"valueTime": f"{digits[:2]}:{digits[2:4]}:{digits[4:6]}"}
    raise MessageError(TABLE_VALUE, f"value kind '{kind}' of OBX-2 '{vtype}' is unknown",
                       obx.loc(2))


def _structured_numeric(ctx: Context, obx: Segment, rep: Rep) -> dict[str, Any]:
    comparator, sep = rep.c(1), rep.c(3)
    unit = _unit(ctx, obx)
    first = number_of(rep.c(2), rep.at(2)) if rep.c(2) else None
    second = number_of(rep.c(4), rep.at(4)) if rep.c(4) else None
    if first is not None and second is not None and sep in (":", "/"):
        return {"valueRatio": {"numerator": {"value": first}, "denominator": {"value": second}}}
    if first is not None and second is not None and sep == "-":
        return {"valueRange": {"low": {"value": first, **unit}, "high": {"value": second, **unit}}}
    if first is not None and not sep and comparator in ("", "="):
        return {"valueQuantity": {"value": first, **unit}}
    if first is not None and not sep and comparator in _COMPARATORS:
        return {"valueQuantity": {"value": first, "comparator": comparator, **unit}}
    text = "".join(rep.c(i) for i in (1, 2, 3, 4))
    if not text:
        raise MessageError("102", "OBX-5 structured numeric (SN) is empty", rep.at(2))
    return {"valueString": text}


def _reference_range(ctx: Context, obx: Segment) -> list[dict[str, Any]]:
    text = obx.get(7)
    if not text:
        return []
    out: dict[str, Any] = {}
    m = _RANGE.match(text)
    unit = _unit(ctx, obx)
    if m:
        a = float(m["a"]) if "." in m["a"] else int(m["a"])
        if m["b"] is not None:
            b = float(m["b"]) if "." in m["b"] else int(m["b"])
            if not m["cmp"]:
                out["low"] = {"value": a, **unit}
                out["high"] = {"value": b, **unit}
        elif m["cmp"] in ("<", "<="):
            out["high"] = {"value": a, **unit}
        elif m["cmp"] in (">", ">="):
            out["low"] = {"value": a, **unit}
    out["text"] = text
    return [out]
