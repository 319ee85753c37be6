"""What a mapped message asks the store to do: a :class:`Plan` of writes.

Mapping a message (``map_*.py``) reads only the message and the mapping
tables; it never touches the store. It produces a plan: the resources the
message speaks about, each with how to find the stored one
(:attr:`Write.match` identifiers or a :attr:`Write.fixed_id`), how to combine
with it (:attr:`Write.policy`) and what to do when there is none
(:attr:`Write.missing`). Resources refer to each other with placeholders
``{"reference": "@key"}`` (see :func:`ref`), resolved when the plan is applied
(:mod:`carehub.hl7v2.apply`) inside one store session.

Plans are plain data (picklable), so mapping can run apart from writing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from carehub.errors import Invalid
from carehub.hl7v2.errors import Loc

Identifier = tuple[str, str]
"""(system, value)."""


def ref(key: str) -> dict[str, str]:
    """A placeholder reference to the resource of the plan's write ``key``.

    >>> ref("patient")
    {'reference': '@patient'}
    """
    return {"reference": f"@{key}"}


def stable_id(kind: str, *parts: str) -> str:
    """A deterministic FHIR id from the identity of a resource (re-mapping gives the same id).

    >>> stable_id("obs", "https://carehub.vn/id/filler-order|F1", "1")
    'hl7-obs-53692aaae37ab19d4c73c3284683e0b4'
    """
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"hl7-{kind}-{digest}"


def identifiers_of(resource: dict[str, Any]) -> tuple[Identifier, ...]:
    """The (system, value) pairs of ``resource.identifier``."""
    return tuple(
        (str(i["system"]), str(i["value"]))
        for i in resource.get("identifier", ())
        if i.get("system") and i.get("value")
    )


@dataclass(slots=True)
class Write:
    """Create or update one resource.

    Attributes:
        key: the name other writes use to refer to it (``patient``, ``obs:2``...).
        resource: the resource as the message gives it (no id).
        match: identifiers finding the stored resource (any of them).
        fixed_id: the id to look up when ``match`` is empty, and the id given
            to a new resource (a random one otherwise).
        policy: how to combine with the stored resource (``patient``,
            ``encounter``, ``shallow``, ``replace``, ``keep``); see
            :mod:`carehub.hl7v2.apply`.
        missing: when nothing is stored: ``create`` it, ``fail`` (error 204 at
            ``key_loc``) or refer to it ``logical``-ly by identifier without
            writing it.
        loc: the segment the resource comes from (for errors).
        key_loc: where its identifiers are (for errors 204/205).
        options: policy parameters (encounter event rules, event time...).
        clear: elements the message nulls explicitly (``""``): removed on update.
        subject_key: the stored resource must be about this write's resource
            (an Encounter of another patient is an error 205).
        exclude_keys: resources of these writes are never matched.
        checked: ``resource`` passed R4 validation when the message was mapped
            (:func:`check_plan`); stored as it is, it needs no second check.

    ``options`` understood by every policy: ``follow`` (default True: a
    Patient ``replaced-by`` another is followed to it) and ``skip_old`` (a
    resource matching only through an identifier of ``use`` ``old`` is not a
    match).
    """

    key: str
    resource: dict[str, Any]
    match: tuple[Identifier, ...] = ()
    fixed_id: str | None = None
    policy: str = "shallow"
    missing: str = "create"
    loc: Loc | None = None
    key_loc: Loc | None = None
    options: dict[str, Any] = field(default_factory=dict)
    clear: tuple[str, ...] = ()
    subject_key: str | None = None
    exclude_keys: tuple[str, ...] = ()
    checked: bool = False

    @property
    def resource_type(self) -> str:
        """The resource's type."""
        return str(self.resource["resourceType"])


@dataclass(slots=True)
class MergePatients:
    """ADT^A40: the Patient of write ``prior`` is merged into that of write ``survivor``."""

    survivor: str
    prior: str
    loc: Loc


Op = Write | MergePatients


@dataclass(slots=True)
class Plan:
    """Everything one message asks for, in order (a write comes after those it refers to)."""

    message_type: str
    ops: list[Op] = field(default_factory=list)

    def add(self, op: Op) -> Op:
        """Append ``op`` and return it."""
        self.ops.append(op)
        return op


# -- wire form (between a parse worker process and the store thread) -----------------------
def _loc(loc: Loc | None) -> Any:
    if loc is None:
        return None
    return [loc.segment, loc.seq, loc.field, loc.rep, loc.comp, loc.sub]


def _unloc(data: Any) -> Loc | None:
    if data is None:
        return None
    key = tuple(data)
    loc = _LOCS.get(key)
    if loc is None:
        if len(_LOCS) >= _MAX_LOCS:
            _LOCS.clear()
        loc = _LOCS[key] = Loc(*key)
    return loc


_LOCS: dict[tuple[Any, ...], Loc] = {}
"""Locations read back from the wire, shared (they are immutable, and the same few
recur in every message: ``PID-3``, ``PV1-19``, ``OBX[2]-5``...)."""
_MAX_LOCS = 4096


def plan_to_wire(plan: Plan) -> bytes:
    """``plan`` as compact JSON (much cheaper to move between processes than a pickle).

    >>> p = Plan("ADT^A08", [Write("patient", {"resourceType": "Patient"}, (("s", "v"),))])
    >>> plan_from_wire(plan_to_wire(p)) == p
    True
    """
    ops: list[Any] = []
    for op in plan.ops:
        if isinstance(op, Write):
            ops.append([
                0, op.key, op.resource, [list(m) for m in op.match], op.fixed_id, op.policy,
                op.missing, _loc(op.loc), _loc(op.key_loc), op.options, list(op.clear),
                op.subject_key, list(op.exclude_keys), op.checked,
            ])
        else:
            ops.append([1, op.survivor, op.prior, _loc(op.loc)])
    return orjson.dumps([plan.message_type, ops])


def plan_from_wire(data: bytes) -> Plan:
    """The plan :func:`plan_to_wire` wrote."""
    message_type, ops = orjson.loads(data)
    plan = Plan(message_type)
    for op in ops:
        if op[0] == 0:
            plan.ops.append(Write(
                op[1], op[2], tuple((m[0], m[1]) for m in op[3]), op[4], op[5], op[6],
                _unloc(op[7]), _unloc(op[8]), op[9], tuple(op[10]), op[11], tuple(op[12]),
                op[13],
            ))
        else:
            loc = _unloc(op[3])
            assert loc is not None
            plan.ops.append(MergePatients(op[1], op[2], loc))
    return plan


def check_plan(plan: Plan, validate: Callable[[dict[str, Any]], None]) -> None:
    """Validate the resources of ``plan`` now (in a parse worker), before the store session.

    Placeholders are checked as references to a resource of the type they
    name (what they become, ``Type/id`` or a reference by identifier, is a
    reference of that type too). A write whose resource passes is marked
    :attr:`Write.checked`; one that does not is left to be validated when it is
    stored (combined with the stored resource it may still be valid), so this
    never changes what is accepted, only where the work is done.
    """
    types = {op.key: op.resource_type for op in plan.ops if isinstance(op, Write)}

    def dummy(match: re.Match[bytes]) -> bytes:
        rtype = types.get(match.group(1).decode(), "Resource")
        return b'{"reference":"' + rtype.encode() + b'/x"}'

    for op in plan.ops:
        if isinstance(op, Write) and op.policy not in ("keep", "encounter"):
            raw = orjson.dumps(op.resource)
            probe: dict[str, Any] = orjson.loads(PLACEHOLDER.sub(dummy, raw))
            probe["id"] = "x"
            try:
                validate(probe)
            except Invalid:
                continue
            op.checked = True


PLACEHOLDER = re.compile(rb'\{"reference":"@([^"\\]+)"\}')
"""A :func:`ref` placeholder in the JSON of a resource (group 1: the write's key)."""
