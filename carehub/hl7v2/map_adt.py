"""ADT (patient administration) messages → Patient and Encounter.

https://build.fhir.org/ig/HL7/v2-to-fhir/ (segment maps PID[Patient], PV1[Encounter])

Which ``PID`` field becomes which Patient element is ``mapping/pid.json``,
which ``PV1`` field becomes which Encounter element ``mapping/pv1.json``;
what each event does to the Encounter (status, period, transfer) is
``mapping/events.json``. The field kinds:

PID: ``identifier`` (CX → Identifier, system by assigning authority), ``name``
(XPN → HumanName), ``birth-date``, ``code`` (a coded primitive through a
``codes.csv`` table), ``address`` (XAD), ``telecom`` (XTN), ``language``
(CWE → communication), ``codeable-concept`` (through a table),
``deceased-datetime`` and ``deceased-flag``.

PV1: ``class``, ``location`` (PL, current), ``prior-location``, ``priority``,
``participant`` (XCN with its participation type), ``service-type``,
``admit-source``, ``identifier`` (the visit number, CX), ``discharge-disposition``,
``period-start`` and ``period-end``.

The Patient is upserted by identifier (``PID-3``): a repeated ADT updates the
same Patient. The Encounter is found by its visit number (``PV1-19``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carehub.hl7v2.context import Context, groups, require_segment
from carehub.hl7v2.datatypes import (
    BCP47,
    address_of,
    concept_of,
    date_of,
    location_ref,
    name_of,
    patient_identifier,
    practitioner_ref,
    table_code,
    telecom_of,
    visit_identifier,
)
from carehub.hl7v2.errors import DUPLICATE_KEY, REQUIRED_FIELD, SEGMENT_SEQUENCE, Loc, MessageError
from carehub.hl7v2.parse import Segment
from carehub.hl7v2.plan import MergePatients, Plan, Write, identifiers_of, ref

PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"


# -- Patient ---------------------------------------------------------------------------
def patient_write(ctx: Context, pid: Segment, key: str = "patient") -> Write:
    """The Patient write of one ``PID`` (policy from the event: upsert or find-or-create).

    Raises:
        MessageError: 101 no identifier; 102/103 bad values.
    """
    body: dict[str, Any] = {"resourceType": "Patient"}
    clear: list[str] = []
    for spec in ctx.tables.pid_fields:
        n = int(spec["field"])
        element = str(spec["element"])
        if pid.is_null(n):
            clear.extend(_elements(element))
            continue
        _PID_KINDS[spec["kind"]](ctx, pid, n, spec, body)
    if not body.get("identifier"):
        raise MessageError(
            REQUIRED_FIELD, "PID-3 (patient identifier list) is required", pid.loc(3)
        )
    body["active"] = True
    order = ["resourceType", "identifier", "active", "name", "telecom", "gender", "birthDate",
             "deceasedBoolean", "deceasedDateTime", "address", "maritalStatus", "communication"]
    body = {k: body[k] for k in order if k in body}
    upsert = ctx.event.get("patient", "upsert") == "upsert"
    return Write(
        key=key,
        resource=body,
        match=identifiers_of(body),
        policy=ctx.tables.merge_policy("Patient") if upsert else "keep",
        missing="create",
        loc=pid.loc(),
        key_loc=pid.loc(3),
        clear=tuple(c for c in clear if c not in body),
    )


def _elements(element: str) -> list[str]:
    if element == "deceased":
        return ["deceasedBoolean", "deceasedDateTime"]
    return [element]


def _pid_identifier(ctx: Context, pid: Segment, n: int, spec: dict[str, Any],
                    body: dict[str, Any]) -> None:
    idents = [patient_identifier(rep, ctx.tables) for rep in pid.reps(n)]
    if idents:
        body.setdefault("identifier", []).extend(idents)


def _pid_name(ctx: Context, pid: Segment, n: int, spec: dict[str, Any],
              body: dict[str, Any]) -> None:
    names = [x for rep in pid.reps(n) if (x := name_of(rep, ctx.tables))]
    if names:
        body["name"] = names


def _pid_birth_date(ctx: Context, pid: Segment, n: int, spec: dict[str, Any],
                    body: dict[str, Any]) -> None:
    if pid.get(n):
        body["birthDate"] = date_of(pid.get(n), pid.loc(n, 1))


def _pid_code(ctx: Context, pid: Segment, n: int, spec: dict[str, Any],
              body: dict[str, Any]) -> None:
    if pid.get(n):
        found = table_code(ctx.tables, spec["table"], pid.get(n), pid.loc(n, 1), f"PID-{n}")
        body[spec["element"]] = found.code


def _pid_concept(ctx: Context, pid: Segment, n: int, spec: dict[str, Any],
                 body: dict[str, Any]) -> None:
    rep = pid.rep(n)
    if rep is None:
        return
    found = table_code(ctx.tables, spec["table"], rep.c(1), rep.at(1), f"PID-{n}")
    concept: dict[str, Any] = {"coding": [found.coding()]}
    if rep.c(2):
        concept["text"] = rep.c(2)
    body[spec["element"]] = concept


def _pid_address(ctx: Context, pid: Segment, n: int, spec: dict[str, Any],
                 body: dict[str, Any]) -> None:
    addresses = [x for rep in pid.reps(n) if (x := address_of(rep, ctx.tables))]
    if addresses:
        body["address"] = addresses


def _pid_telecom(ctx: Context, pid: Segment, n: int, spec: dict[str, Any],
                 body: dict[str, Any]) -> None:
    points = [x for rep in pid.reps(n) if (x := telecom_of(rep, ctx.tables, spec["use"]))]
    if points:
        body.setdefault("telecom", []).extend(points)


def _pid_language(ctx: Context, pid: Segment, n: int, spec: dict[str, Any],
                  body: dict[str, Any]) -> None:
    concept = concept_of(pid.rep(n), ctx.tables, default_system=BCP47)
    if concept:
        body["communication"] = [{"language": concept, "preferred": True}]


def _pid_deceased_datetime(ctx: Context, pid: Segment, n: int, spec: dict[str, Any],
                           body: dict[str, Any]) -> None:
    value = ctx.field_dt(pid, n)
    if value:
        body.pop("deceasedBoolean", None)
        body["deceasedDateTime"] = value


def _pid_deceased_flag(ctx: Context, pid: Segment, n: int, spec: dict[str, Any],
                       body: dict[str, Any]) -> None:
    if pid.get(n) and "deceasedDateTime" not in body:
        found = table_code(ctx.tables, spec["table"], pid.get(n), pid.loc(n, 1), f"PID-{n}")
        body["deceasedBoolean"] = found.code == "true"


Kind = Callable[[Context, Segment, int, dict[str, Any], dict[str, Any]], None]

_PID_KINDS: dict[str, Kind] = {
    "identifier": _pid_identifier,
    "name": _pid_name,
    "birth-date": _pid_birth_date,
    "code": _pid_code,
    "codeable-concept": _pid_concept,
    "address": _pid_address,
    "telecom": _pid_telecom,
    "language": _pid_language,
    "deceased-datetime": _pid_deceased_datetime,
    "deceased-flag": _pid_deceased_flag,
}


# -- Encounter -------------------------------------------------------------------------
def encounter_write(
    ctx: Context, pv1: Segment | None, patient_key: str = "patient"
) -> Write | None:
    """The Encounter write of ``PV1`` under the event's encounter policy, or None.

    Raises:
        MessageError: 100 no PV1 / 101 no PV1-19 where the policy needs one;
            102/103 bad values.
    """
    conf = ctx.event.get("encounter", {})
    policy = conf.get("policy", "none")
    if policy == "none":
        return None
    needed = policy in ("upsert", "existing")
    if pv1 is None:
        if needed:
            raise MessageError(
                SEGMENT_SEQUENCE, f"{ctx.msg.message_type} needs a PV1 segment", Loc("PV1")
            )
        return None
    visit = pv1.rep(19)
    if visit is None or not visit.c(1):
        if needed:
            raise MessageError(
                REQUIRED_FIELD, f"PV1-19 (visit number) is required by {ctx.msg.message_type}",
                pv1.loc(19),
            )
        return None
    if policy == "reference":
        ident = visit_identifier(visit, ctx.tables)
        return Write(
            key="encounter",
            resource={"resourceType": "Encounter", "identifier": [ident]},
            match=((ident["system"], ident["value"]),),
            policy="keep",
            missing="logical",
            loc=pv1.loc(),
            key_loc=pv1.loc(19),
            subject_key=patient_key,
        )
    body: dict[str, Any] = {"resourceType": "Encounter"}
    for spec in ctx.tables.pv1_fields:
        _PV1_KINDS[spec["kind"]](ctx, pv1, int(spec["field"]), spec, body)
    body["subject"] = ref(patient_key)
    default_class = conf.get("class")
    options: dict[str, Any] = {
        "status": conf.get("status"),
        "period": conf.get("period"),
        "transfer": bool(conf.get("transfer")),
        "discharge": bool(conf.get("discharge")),
        "time": ctx.time,
    }
    if default_class:
        found = ctx.tables.code("0004-class", default_class)
        if found is not None:
            options["default_class"] = found.coding()
    return Write(
        key="encounter",
        resource=body,
        match=identifiers_of(body),
        policy=ctx.tables.merge_policy("Encounter"),
        missing="fail" if policy == "existing" else "create",
        loc=pv1.loc(),
        key_loc=pv1.loc(19),
        options=options,
        subject_key=patient_key,
    )


def _coded(ctx: Context, pv1: Segment, n: int, spec: dict[str, Any]) -> dict[str, Any] | None:
    code = pv1.get(n)
    if not code:
        return None
    found = table_code(ctx.tables, spec["table"], code, pv1.loc(n, 1), f"PV1-{n}")
    return {"coding": [found.coding()]}


def _pv1_class(ctx: Context, pv1: Segment, n: int, spec: dict[str, Any],
               body: dict[str, Any]) -> None:
    code = pv1.get(n)
    if code:
        body["class"] = table_code(ctx.tables, spec["table"], code, pv1.loc(n, 1),
                                   f"PV1-{n}").coding()


def _pv1_location(ctx: Context, pv1: Segment, n: int, spec: dict[str, Any],
                  body: dict[str, Any]) -> None:
    where = location_ref(pv1.rep(n), ctx.tables)
    if where:
        body.setdefault("location", []).append({"location": where, "status": spec["status"]})


def _pv1_prior_location(ctx: Context, pv1: Segment, n: int, spec: dict[str, Any],
                        body: dict[str, Any]) -> None:
    where = location_ref(pv1.rep(n), ctx.tables)
    if where:
        entry: dict[str, Any] = {"location": where, "status": "completed"}
        if ctx.time and ctx.event.get("encounter", {}).get("transfer"):
            entry["period"] = {"end": ctx.time}
        body.setdefault("location", []).insert(0, entry)


def _pv1_priority(ctx: Context, pv1: Segment, n: int, spec: dict[str, Any],
                  body: dict[str, Any]) -> None:
    concept = _coded(ctx, pv1, n, spec)
    if concept:
        body["priority"] = concept


def _pv1_participant(ctx: Context, pv1: Segment, n: int, spec: dict[str, Any],
                     body: dict[str, Any]) -> None:
    for rep in pv1.reps(n):
        who = practitioner_ref(rep, ctx.tables)
        if who:
            kind = {"system": PARTICIPATION_TYPE, "code": spec["type"], "display": spec["display"]}
            body.setdefault("participant", []).append({"type": [{"coding": [kind]}],
                                                        "individual": who})


def _pv1_service_type(ctx: Context, pv1: Segment, n: int, spec: dict[str, Any],
                      body: dict[str, Any]) -> None:
    concept = concept_of(pv1.rep(n), ctx.tables, default_system=spec["system"])
    if concept:
        body["serviceType"] = concept


def _pv1_admit_source(ctx: Context, pv1: Segment, n: int, spec: dict[str, Any],
                      body: dict[str, Any]) -> None:
    concept = _coded(ctx, pv1, n, spec)
    if concept:
        body.setdefault("hospitalization", {})["admitSource"] = concept


def _pv1_discharge(ctx: Context, pv1: Segment, n: int, spec: dict[str, Any],
                   body: dict[str, Any]) -> None:
    concept = _coded(ctx, pv1, n, spec)
    if concept:
        body.setdefault("hospitalization", {})["dischargeDisposition"] = concept


def _pv1_identifier(ctx: Context, pv1: Segment, n: int, spec: dict[str, Any],
                    body: dict[str, Any]) -> None:
    rep = pv1.rep(n)
    if rep is not None and rep.c(1):
        body["identifier"] = [visit_identifier(rep, ctx.tables)]


def _pv1_period(which: str) -> Kind:
    def kind(ctx: Context, pv1: Segment, n: int, spec: dict[str, Any],
             body: dict[str, Any]) -> None:
        value = ctx.field_dt(pv1, n)
        if value:
            body.setdefault("period", {})[which] = value

    return kind


_PV1_KINDS: dict[str, Kind] = {
    "class": _pv1_class,
    "location": _pv1_location,
    "prior-location": _pv1_prior_location,
    "priority": _pv1_priority,
    "participant": _pv1_participant,
    "service-type": _pv1_service_type,
    "admit-source": _pv1_admit_source,
    "discharge-disposition": _pv1_discharge,
    "identifier": _pv1_identifier,
    "period-start": _pv1_period("start"),
    "period-end": _pv1_period("end"),
}


# -- messages --------------------------------------------------------------------------
def map_adt(ctx: Context) -> Plan:
    """ADT A01/A02/A03/A04/A08/A11/A13/A28/A31: the Patient, and the Encounter the event moves."""
    plan = Plan(ctx.msg.message_type)
    pid = require_segment(ctx.msg, "PID")
    plan.add(patient_write(ctx, pid))
    enc = encounter_write(ctx, ctx.msg.first("PV1"))
    if enc is not None:
        plan.add(enc)
    return plan


def map_merge(ctx: Context) -> Plan:
    """ADT^A40: each ``PID`` (surviving patient) with its ``MRG`` (prior patient identifiers).

    For each pair: a lookup of the prior Patient (it must exist: error 204 at
    ``MRG-1``), the surviving Patient's upsert (never matching the prior one),
    then the merge itself (:mod:`carehub.hl7v2.merge`).
    """
    plan = Plan(ctx.msg.message_type)
    pairs = groups(ctx.msg, "PID", ("PD1", "MRG", "PV1"))
    if not pairs:
        raise MessageError(SEGMENT_SEQUENCE, "ADT^A40 needs a PID segment", Loc("PID"))
    for n, group in enumerate(pairs, 1):
        pid = group[0]
        mrg = next((s for s in group if s.name == "MRG"), None)
        if mrg is None:
            raise MessageError(
                SEGMENT_SEQUENCE, f"PID[{pid.seq}] of ADT^A40 has no MRG segment after it",
                Loc("MRG", pid.seq),
            )
        prior = [patient_identifier(rep, ctx.tables) for rep in mrg.reps(1)]
        if not prior:
            raise MessageError(
                REQUIRED_FIELD, "MRG-1 (prior patient identifier list) is required", mrg.loc(1)
            )
        survivor = patient_write(ctx, pid, key=f"patient:{n}")
        prior_ids = identifiers_of({"identifier": prior})
        if set(prior_ids) & set(survivor.match):
            raise MessageError(
                DUPLICATE_KEY, "MRG-1 repeats an identifier of PID-3: nothing to merge", mrg.loc(1)
            )
        plan.add(Write(
            key=f"prior:{n}",
            resource={"resourceType": "Patient", "identifier": prior},
            match=prior_ids,
            policy="keep",
            missing="fail",
            loc=mrg.loc(),
            key_loc=mrg.loc(1),
            options={"follow": False, "skip_old": True},
        ))
        survivor.exclude_keys = (f"prior:{n}",)
        plan.add(survivor)
        plan.add(MergePatients(survivor=f"patient:{n}", prior=f"prior:{n}", loc=mrg.loc(1)))
    return plan
