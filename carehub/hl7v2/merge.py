"""ADT^A40 patient merge: link the two Patients and move the references.

https://hl7.org/fhir/R4/patient.html#links and HL7 v2.5.1 3.3.40 (ADT^A40)

The message names the surviving patient in ``PID`` and the one merged into
it (the prior patient) in ``MRG-1``. Applying it, in the message's session:

* the surviving Patient is upserted from ``PID`` like any ADT (the write
  before this op); it gets a ``link`` ``replaces`` → the prior Patient and the
  prior patient's identifiers, with ``use`` ``old``, so later messages that
  still carry an old identifier find it;
* the prior Patient becomes ``active: false`` with a ``link`` ``replaced-by``
  → the surviving one (it is kept, never deleted: its history stays);
* every resource in the prior patient's compartment (Encounters, Observations,
  orders, dispenses... anything whose compartment reference points at it) is
  rewritten to refer to the surviving Patient instead; Patient resources keep
  their own ``link`` references.

Re-applying a merge changes nothing (the links exist, no reference is left).
A prior patient that is not stored is an error 204 at ``MRG-1`` (raised by
its lookup write, before this op).
"""

from __future__ import annotations

from typing import Any

import orjson

from carehub.hl7v2.apply import Applier, without_meta
from carehub.hl7v2.combine import union_identifiers
from carehub.hl7v2.errors import DUPLICATE_KEY, MessageError
from carehub.hl7v2.plan import MergePatients
from carehub.storage.base import EverythingQuery

PAGE = 500
"""Compartment resources read per page while moving references."""


def merge_patients(applier: Applier, op: MergePatients) -> None:
    """Apply one ``PID``/``MRG`` pair (see the module docstring)."""
    survivor_ref = applier.ids[op.survivor]
    prior_ref = applier.ids[op.prior]
    prior_id = prior_ref.split("/", 1)[1]
    prior = applier.bodies[op.prior]
    if prior_ref == survivor_ref:
        raise MessageError(DUPLICATE_KEY, "PID-3 and MRG-1 name the same patient", op.loc)

    updated_prior = dict(prior)
    updated_prior["active"] = False
    updated_prior["link"] = _with_link(prior.get("link", []), survivor_ref, "replaced-by")
    if without_meta(updated_prior) != without_meta(prior):
        applier.put(updated_prior, op.loc)

    survivor = applier.bodies[op.survivor]
    updated = dict(survivor)
    updated["link"] = _with_link(survivor.get("link", []), prior_ref, "replaces")
    old_ids = [
        {**{k: v for k, v in ident.items() if k != "use"}, "use": "old"}
        for ident in prior.get("identifier", [])
    ]
    known = {(i.get("system"), i.get("value")) for i in survivor.get("identifier", [])}
    updated["identifier"] = union_identifiers(
        survivor.get("identifier", []),
        [i for i in old_ids if (i.get("system"), i.get("value")) not in known],
    )
    if without_meta(updated) != without_meta(survivor):
        applier.put(updated, op.loc)
        applier.bodies[op.survivor] = updated

    _move_references(applier, prior_id, prior_ref, survivor_ref, op)


def _with_link(links: list[dict[str, Any]], target: str, kind: str) -> list[dict[str, Any]]:
    out = [dict(link) for link in links]
    if not any(
        link.get("type") == kind and link.get("other", {}).get("reference") == target
        for link in out
    ):
        out.append({"other": {"reference": target}, "type": kind})
    return out


def _move_references(
    applier: Applier, prior_id: str, prior_ref: str, survivor_ref: str, op: MergePatients
) -> None:
    cursor: str | None = None
    while True:
        page = applier.session.everything(
            EverythingQuery(patient_id=prior_id, count=PAGE, cursor=cursor)
        )
        for stored in page.matches:
            if stored.resource_type == "Patient" or stored.body is None:
                continue
            body = orjson.loads(stored.body)
            moved, changed = _replace_refs(body, prior_ref, survivor_ref)
            if changed:
                applier.put(moved, op.loc)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor


def _replace_refs(node: Any, old: str, new: str) -> tuple[Any, bool]:
    """``node`` with every ``reference`` equal to ``old`` set to ``new``; whether any was.

    >>> _replace_refs({"subject": {"reference": "Patient/a"}, "x": [{"reference": "Patient/b"}]},
    ...               "Patient/a", "Patient/c")
    ({'subject': {'reference': 'Patient/c'}, 'x': [{'reference': 'Patient/b'}]}, True)
    """
    if isinstance(node, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "reference" and value == old:
                out[key], changed = new, True
            else:
                out[key], sub = _replace_refs(value, old, new)
                changed = changed or sub
        return out, changed
    if isinstance(node, list):
        items = [_replace_refs(v, old, new) for v in node]
        return [v for v, _ in items], any(c for _, c in items)
    return node, False
