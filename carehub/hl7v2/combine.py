"""Combining a message's resource with the stored one: the write policies.

Each policy takes the stored resource (``{}`` when none), the resource the
message carries and the write (for its options) and returns the resource to
store; none of them changes its arguments.

``patient``   elements the message carries replace the stored ones,
              identifiers are added to the stored ones, ``link`` and
              everything else the message does not speak for are kept;
``encounter`` as ``patient``, and the event's rules: status, period start
              or end, location history (a transfer closes the previous
              location and opens the new one), participants by type;
``shallow``   the message's top-level elements replace the stored ones
              (identifiers are added);
``replace``   the message's resource replaces the stored one;
``keep``      a stored resource is only referred to, never changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from carehub.hl7v2.plan import Write

Merge = Callable[[dict[str, Any], dict[str, Any], Write], dict[str, Any]]


def union_identifiers(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored identifiers, those with the same system and value updated, new ones added.

    >>> union_identifiers([{"system": "s", "value": "1"}], [{"system": "s", "value": "2"}])
    [{'system': 's', 'value': '1'}, {'system': 's', 'value': '2'}]
    """
    out = [dict(i) for i in old]
    index = {(i.get("system"), i.get("value")): n for n, i in enumerate(out)}
    for ident in new:
        key = (ident.get("system"), ident.get("value"))
        if key in index:
            merged = {**out[index[key]], **ident}
            if out[index[key]].get("use") == "old" and "use" not in ident:
                merged["use"] = "old"
            out[index[key]] = merged
        else:
            index[key] = len(out)
            out.append(ident)
    return out


def merge_replace(old: dict[str, Any], new: dict[str, Any], op: Write) -> dict[str, Any]:
    """The message's resource; the stored ``meta`` is kept."""
    body = dict(new)
    if "meta" in old:
        body["meta"] = old["meta"]
    return body


def merge_shallow(old: dict[str, Any], new: dict[str, Any], op: Write) -> dict[str, Any]:
    """The stored resource with the message's top-level elements; identifiers added."""
    body = dict(old)
    for key, value in new.items():
        if key == "identifier":
            body[key] = union_identifiers(old.get(key, []), value)
        else:
            body[key] = value
    return body


def merge_keep(old: dict[str, Any], new: dict[str, Any], op: Write) -> dict[str, Any]:
    """The stored resource unchanged (a new one as the message gives it)."""
    return dict(old) if old else new


_DECEASED = ("deceasedBoolean", "deceasedDateTime")


def merge_patient(old: dict[str, Any], new: dict[str, Any], op: Write) -> dict[str, Any]:
    """The stored Patient with the demographics the message carries; identifiers added."""
    body = dict(old)
    for key, value in new.items():
        if key == "identifier":
            body[key] = union_identifiers(old.get(key, []), value)
        elif key == "active" and old:
            continue
        else:
            if key in _DECEASED:
                for other in _DECEASED:
                    body.pop(other, None)
            body[key] = value
    return body


def _canonical(value: Any) -> bytes:
    """JSON with sorted keys (stores such as PostgreSQL's JSONB reorder keys)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _place(entry: dict[str, Any]) -> Any:
    loc = entry.get("location", {})
    if loc.get("reference"):
        return loc["reference"]
    if loc.get("identifier"):
        return (loc["identifier"].get("system"), loc["identifier"].get("value"))
    return loc.get("display")


def _same_place(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(_place(a) == _place(b))


def merge_encounter(old: dict[str, Any], new: dict[str, Any], op: Write) -> dict[str, Any]:
    """The stored Encounter moved on by the event (see the module docstring)."""
    opts = op.options
    when: str | None = opts.get("time")
    body = dict(old)
    for key in ("subject", "priority", "serviceType"):
        if key in new:
            body[key] = new[key]
    if "identifier" in new:
        body["identifier"] = union_identifiers(old.get("identifier", []), new["identifier"])
    if "class" in new:
        body["class"] = new["class"]
    elif "class" not in body and opts.get("default_class"):
        body["class"] = opts["default_class"]
    # participants: the message's participants replace the stored ones of the same type
    if new.get("participant"):
        types = {_canonical(p.get("type")) for p in new["participant"]}
        kept = [p for p in old.get("participant", []) if _canonical(p.get("type")) not in types]
        body["participant"] = kept + new["participant"]
    # hospitalization: element by element
    hosp = dict(old.get("hospitalization", {}))
    hosp.update(new.get("hospitalization", {}))
    if opts.get("period") == "reopen":
        hosp.pop("dischargeDisposition", None)
    if hosp:
        body["hospitalization"] = hosp
    else:
        body.pop("hospitalization", None)
    # period
    period = dict(old.get("period", {}))
    period.update(new.get("period", {}))
    if opts.get("period") == "start" and "start" not in period and when:
        period["start"] = when
    if opts.get("period") == "end" and "end" not in period and when:
        period["end"] = when
    if opts.get("period") == "reopen":
        period.pop("end", None)
    if period:
        body["period"] = period
    body["location"] = _locations(old.get("location", []), new.get("location", []), opts, when)
    if not body["location"]:
        del body["location"]
    # status
    status = opts.get("status")
    if status:
        body["status"] = status
    elif "status" not in body:
        body["status"] = "finished" if period.get("end") else "in-progress"
    first = [k for k in _ENCOUNTER_ORDER if k in body]
    return {**{k: body[k] for k in first}, **{k: v for k, v in body.items() if k not in first}}


_ENCOUNTER_ORDER = (
    "resourceType", "id", "meta", "identifier", "status", "class", "priority", "serviceType",
    "subject", "participant", "period", "hospitalization", "location",
)


def _locations(
    old: list[dict[str, Any]], new: list[dict[str, Any]], opts: dict[str, Any], when: str | None
) -> list[dict[str, Any]]:
    out = [dict(loc) for loc in old]
    current = next((loc for loc in new if loc.get("status") == "active"), None)
    prior = next((loc for loc in new if loc.get("status") == "completed"), None)

    def close(loc: dict[str, Any]) -> None:
        loc["status"] = "completed"
        if when:
            loc["period"] = {**loc.get("period", {}), "end": when}

    if prior is not None and not any(_same_place(prior, loc) for loc in out):
        out.append(prior)
    if current is not None and not (out and _same_place(current, out[-1])):
        # a new place: the open ones are left, the new one is entered
        for loc in out:
            if loc.get("status") == "active":
                close(loc)
        entry = dict(current)
        if when and opts.get("transfer"):
            entry["period"] = {"start": when}
        out.append(entry)
    if opts.get("discharge"):
        for loc in out:
            if loc.get("status") == "active":
                close(loc)
    if opts.get("period") == "reopen" and out and not any(
        loc.get("status") == "active" for loc in out
    ):
        last = out[-1]
        last["status"] = "active"
        period = {k: v for k, v in last.get("period", {}).items() if k != "end"}
        if period:
            last["period"] = period
        else:
            last.pop("period", None)
    return out


MERGES: dict[str, Merge] = {
    "patient": merge_patient,
    "encounter": merge_encounter,
    "shallow": merge_shallow,
    "replace": merge_replace,
    "keep": merge_keep,
}
