"""Home-monitoring alerts on the care team's worklist: a Flag on the patient plus a Task.

https://hl7.org/fhir/R4/flag.html and https://hl7.org/fhir/R4/task.html

A reading outside its thresholds raises an alert: a Flag (``status`` active,
category ``clinical``) on the patient and a Task (``code`` ``monitoring-alert``
of :data:`~carehub.telemed.monitoring.readings.MONITORING_SYSTEM`, ``focus``
the Flag, ``input`` the offending Observations, ``priority`` urgent) for the
care team. Both carry the identifier ``<patient>:<measure>`` of
:data:`ALERT_SYSTEM`. There is at most one open alert per patient and measure:
:func:`raise_alert` runs under a per-key lock inside the caller's unit of work,
and a further bad reading is added to the open Task's ``input`` instead of
opening another. The care team acknowledges (Task ``in-progress``, ``owner``
the clinician) and resolves it (Task ``completed``, Flag ``inactive`` with
``period.end``); the next bad reading then opens a new alert.

A trend rule (:mod:`~carehub.telemed.monitoring.trends`) that holds joins the
same alert of its measure: its text is added to the description, its id to
the Task's ``trend-rule`` extensions, and the Task's priority is the most
urgent of what it holds (a sustained-high-BP trend alone is ``routine``). A
trend that goes on within its episode never reopens a resolved alert.

Failure modes: :class:`~carehub.errors.Forbidden` (not care team),
:class:`~carehub.errors.NotFound` (no such alert Task).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from carehub.errors import NotFound
from carehub.search.parse import SearchParser
from carehub.storage.base import StoreSession
from carehub.telemed.access import require_access
from carehub.telemed.actor import Actor
from carehub.telemed.monitoring.measures import measure
from carehub.telemed.monitoring.readings import MONITORING_SYSTEM
from carehub.telemed.monitoring.thresholds import Breach
from carehub.telemed.records import Records, instant, new_id

ALERT_SYSTEM = MONITORING_SYSTEM + "/alert"
ALERT_CODE = "monitoring-alert"
OPEN = ("requested", "in-progress")
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"


def alert_key(patient: str, measure_id: str) -> str:
    """The identifier value of the alert of ``patient`` and ``measure_id``.

    >>> alert_key("Patient/p1", "bp")
    'Patient/p1:bp'
    """
    return f"{patient}:{measure_id}"


def describe(breaches: Sequence[Breach]) -> str:
    """One line naming what is out of range (English; screens translate the codes).

    >>> from carehub.telemed.monitoring.thresholds import Bound
    >>> describe([Breach("bp", "systolic", 172.0, "high", Bound(90, 160))])
    'blood pressure systolic 172 mmHg above 160'
    """
    parts = []
    for b in breaches:
        m = measure(b.measure)
        if b.direction == "present":
            parts.append(f"symptom {b.element}")
            continue
        element = m.element(b.element)
        unit = element.canonical.display if element else ""
        limit = b.bound.high if b.direction == "high" else b.bound.low
        word = "above" if b.direction == "high" else "below"
        name = m.display.lower() if not m.is_panel else "blood pressure"
        label = f"{name} {b.element}" if m.is_panel else _short(m.id, name)
        parts.append(f"{label} {b.value:g} {unit} {word} {limit:g}")
    return "; ".join(parts)


def _short(measure_id: str, fallback: str) -> str:
    return {"glucose": "glucose", "weight": "weight", "spo2": "SpO2",
            "peak_flow": "peak flow"}.get(measure_id, fallback)


def _inputs(evidence: Sequence[str]) -> list[dict[str, Any]]:
    return [{"type": {"text": "reading"}, "valueReference": {"reference": ref}}
            for ref in evidence]


def _open_tasks(session: StoreSession, parser: SearchParser, key: str) -> list[dict[str, Any]]:
    page = session.search(parser.parse("Task", [
        ("identifier", f"{ALERT_SYSTEM}|{key}"), ("status", ",".join(OPEN)), ("_count", "10")]))
    return [orjson.loads(m.body) for m in page.matches if m.body is not None]


def _higher(a: str, b: str) -> str:
    """The more urgent of two Task priorities.

    >>> _higher("routine", "urgent"), _higher("stat", "urgent")
    ('urgent', 'stat')
    """
    order = ("routine", "urgent", "asap", "stat")
    return max(a, b, key=lambda p: order.index(p) if p in order else 0)


def raise_alert(session: StoreSession, parser: SearchParser, patient: str, measure_id: str,
                breaches: Sequence[Breach], evidence: Sequence[str],
                now: datetime, *, trends: Sequence[str] = (), rules: Sequence[str] = (),
                priority: str = "urgent", open_new: bool = True) -> list[dict[str, Any]]:
    """Open an alert, or add ``evidence`` (Observation references) to the open one.

    ``trends`` are the texts of trend rules that hold (ids ``rules``, see
    :mod:`~carehub.telemed.monitoring.trends`); ``priority`` is the Task's (an
    open Task's is raised to it, never lowered). With ``open_new`` False
    (a trend that goes on within its episode) nothing is opened: the
    evidence only joins an alert still open.

    Returns the resources written (Flag and Task, the updated Task, or none).
    """
    key = alert_key(patient, measure_id)
    session.lock_key("home-monitoring-alert:" + key)
    found = _open_tasks(session, parser, key)
    text = "; ".join(x for x in (describe(breaches), *trends) if x)
    rule_ext = [{"url": MONITORING_SYSTEM + "/trend-rule", "valueCode": r} for r in rules]
    if found:
        current = found[0]
        have = {str((i.get("valueReference") or {}).get("reference"))
                for i in current.get("input", [])}
        current["input"] = [*current.get("input", []), *_inputs(
            [ref for ref in dict.fromkeys(evidence) if ref not in have])]
        current["lastModified"] = instant(now)
        current["priority"] = _higher(str(current.get("priority", "routine")), priority)
        known = {str(x.get("valueCode")) for x in current.get("extension", [])}
        current["extension"] = [*current.get("extension", []),
                                *(x for x in rule_ext if x["valueCode"] not in known)]
        current["note"] = [*current.get("note", []), {"time": instant(now), "text": text}]
        session.put(current)
        return [current]
    if not open_new:
        return []
    inputs = _inputs(list(dict.fromkeys(evidence)))
    identifier = [{"system": ALERT_SYSTEM, "value": key}]
    flag: dict[str, Any] = {
        "resourceType": "Flag", "id": new_id(), "identifier": identifier, "status": "active",
        "category": [{"coding": [{"system": FLAG_CATEGORY, "code": "clinical"}]}],
        "code": {"coding": [{"system": MONITORING_SYSTEM, "code": f"alert-{measure_id}"}],
                 "text": f"Home monitoring: {text}"},
        "subject": {"reference": patient}, "period": {"start": instant(now)},
    }
    task: dict[str, Any] = {
        "resourceType": "Task", "id": new_id(), "identifier": identifier,
        "status": "requested", "intent": "order", "priority": priority,
        "code": {"coding": [{"system": MONITORING_SYSTEM, "code": ALERT_CODE}],
                 "text": "Home monitoring alert"},
        "description": text, "focus": {"reference": f"Flag/{flag['id']}"},
        "for": {"reference": patient}, "authoredOn": instant(now), "lastModified": instant(now),
        "input": inputs,
        "extension": [{"url": MONITORING_SYSTEM + "/measure", "valueCode": measure_id},
                      *rule_ext],
    }
    session.put(flag)
    session.put(task)
    return [flag, task]


def measure_of(task: dict[str, Any]) -> str:
    """The measure id of an alert Task.

    >>> measure_of({"extension": [{"url": MONITORING_SYSTEM + "/measure", "valueCode": "bp"}]})
    'bp'
    """
    return next((str(x.get("valueCode")) for x in task.get("extension") or ()
                 if x.get("url") == MONITORING_SYSTEM + "/measure"), "")


def _is_alert(task: dict[str, Any]) -> bool:
    return any(c.get("system") == MONITORING_SYSTEM and c.get("code") == ALERT_CODE
               for c in (task.get("code") or {}).get("coding") or ())


def _alert(records: Records, session: StoreSession, task_id: str) -> dict[str, Any]:
    task = records.lock_get(session, "Task", task_id)
    if not _is_alert(task):
        raise NotFound(f"Task/{task_id} is not a home-monitoring alert")
    return task


def acknowledge(records: Records, actor: Actor, task_id: str, now: datetime) -> dict[str, Any]:
    """The care team takes the alert: Task ``in-progress`` owned by the caller (idempotent).

    Raises:
        Forbidden: not care team. NotFound: no such alert.
    """
    actor.require_staff()
    with records.write() as s:
        task = _alert(records, s, task_id)
        if task.get("status") == "requested":
            task["status"] = "in-progress"
            task["owner"] = {"reference": actor.reference} if not actor.system else task.get(
                "owner", {"display": "care team"})
            task["businessStatus"] = {"text": "acknowledged"}
            task["lastModified"] = instant(now)
            s.put(task)
    return task


def resolve(records: Records, actor: Actor, task_id: str, note: str,
            now: datetime) -> list[dict[str, Any]]:
    """Close the alert: Task ``completed``, its Flag ``inactive`` (idempotent).

    Raises:
        Forbidden: not care team. NotFound: no such alert.
    """
    actor.require_staff()
    with records.write() as s:
        task = _alert(records, s, task_id)
        if task.get("status") == "completed":
            return [task]
        task["status"] = "completed"
        task["businessStatus"] = {"text": "resolved"}
        task["lastModified"] = instant(now)
        task.setdefault("owner", {"reference": actor.reference} if not actor.system
                        else {"display": "care team"})
        if note.strip():
            task["note"] = [*task.get("note", []), {"time": instant(now), "text": note.strip(),
                                                    "authorReference": {
                                                        "reference": actor.reference}}]
        s.put(task)
        written = [task]
        flag_ref = (task.get("focus") or {}).get("reference", "")
        if flag_ref.startswith("Flag/"):
            try:
                flag = records.lock_get(s, "Flag", flag_ref.removeprefix("Flag/"))
            except NotFound:
                return written
            flag["status"] = "inactive"
            flag["period"] = {**flag.get("period", {}), "end": instant(now)}
            s.put(flag)
            written.append(flag)
    return written


def worklist(records: Records, actor: Actor, *, open_only: bool = True,
             patient: str | None = None) -> list[dict[str, Any]]:
    """The alert Tasks, newest first (open ones only unless ``open_only`` is False).

    Raises:
        Forbidden: not care team.
    """
    actor.require_staff()
    if patient:
        require_access(records, actor, patient)
    params = [("code", f"{MONITORING_SYSTEM}|{ALERT_CODE}"), ("_count", "500")]
    if open_only:
        params.append(("status", ",".join(OPEN)))
    if patient:
        params.append(("patient", patient))
    found = records.search("Task", params)
    return sorted(found, key=lambda t: str(t.get("lastModified", "")), reverse=True)
