"""Worklist actions on screening Tasks: contacted, booked, done, declined.

https://hl7.org/fhir/R4/task.html#statemachine

:func:`apply_action` is the pure state change: each action sets the Task's
``status`` (:data:`ACTIONS`), replaces ``businessStatus`` with the workflow
code, opens/closes ``executionPeriod`` and appends a note naming who did it
and when. :func:`record_action` reads, changes, validates and writes the Task
in one write session of the hub's store, so the storage guard checks the
user's write scope and the request's audit record names the Task. The
screening write-back keeps these elements on later runs
(:data:`carehub.screening.writeback.USER_KEPT`).

Failure modes: :class:`~carehub.errors.Incorrect` for an unknown action or a
Task that is not a screening Task, :class:`~carehub.errors.NotFound` for an
unknown Task (or one hidden from the user), :class:`~carehub.errors.Forbidden`
when the user may not update Tasks; nothing is written in those cases.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any

import orjson

from carehub.errors import Incorrect, NotFound, did_you_mean
from carehub.fhir_api.hub import Hub
from carehub.screening.writeback import TAG_SYSTEM

WORKFLOW_SYSTEM = "https://carehub.vn/fhir/CodeSystem/screening-workflow"
ACTIONS: dict[str, str] = {
    "contacted": "in-progress",
    "booked": "accepted",
    "done": "completed",
    "declined": "rejected",
}
"""Action → Task.status."""
CLOSING = frozenset({"done", "declined"})


def apply_action(task: dict[str, Any], action: str, who: str, when: str) -> dict[str, Any]:
    """A copy of ``task`` after ``action`` by ``who`` at instant ``when``.

    >>> t = apply_action({"resourceType": "Task", "status": "requested"}, "booked", "bac.si",
    ...                  "2025-01-02T03:04:05Z")
    >>> t["status"], t["businessStatus"]["coding"][0]["code"], t["note"][0]["authorString"]
    ('accepted', 'booked', 'bac.si')
    >>> apply_action({}, "bookd", "x", "2025-01-02T03:04:05Z")
    Traceback (most recent call last):
    carehub.errors.Incorrect: unknown worklist action 'bookd' Did you mean 'booked'?
    """
    if action not in ACTIONS:
        raise Incorrect(f"unknown worklist action {action!r}{did_you_mean(action, ACTIONS)}")
    out = copy.deepcopy(task)
    out["status"] = ACTIONS[action]
    out["businessStatus"] = {"coding": [{"system": WORKFLOW_SYSTEM, "code": action}],
                             "text": action}
    period = dict(out.get("executionPeriod") or {})
    period.setdefault("start", when)
    if action in CLOSING:
        period["end"] = when
    out["executionPeriod"] = period
    out["lastModified"] = when
    out.setdefault("note", []).append({"authorString": who, "time": when, "text": action})
    return out


def _screening_tag(task: dict[str, Any]) -> bool:
    return any(t.get("system") == TAG_SYSTEM for t in (task.get("meta") or {}).get("tag") or [])


def record_action(hub: Hub, task_id: str, action: str, who: str,
                  now: datetime.datetime | None = None) -> dict[str, Any]:
    """Apply ``action`` to screening Task ``task_id`` and store it; returns the new Task.

    Raises:
        Incorrect: unknown action, or not a screening Task.
        NotFound: no such Task for this user.
        Forbidden: the user may not update Tasks.
    """
    if action not in ACTIONS:
        raise Incorrect(f"unknown worklist action {action!r}{did_you_mean(action, ACTIONS)}")
    when = (now or datetime.datetime.now(datetime.UTC)).isoformat(timespec="seconds")
    when = when.replace("+00:00", "Z")
    with hub.store.session(write=True) as session:
        locked = session.lock("Task", task_id)
        stored = session.read("Task", task_id) if locked is not None else None
        if stored is None or stored.deleted or stored.body is None:
            raise NotFound(f"no Task {task_id!r}")
        current = orjson.loads(stored.body)
        if not _screening_tag(current):
            raise Incorrect(f"Task {task_id!r} is not a screening Task")
        changed = apply_action(current, action, who, when)
        changed["meta"] = {"tag": current["meta"]["tag"]}
        hub.validate(changed)
        session.put(changed)
    return changed
