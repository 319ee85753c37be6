"""Rules that assign education: a patient's home-monitoring programme and open screening
findings each call for their programme's starter item, assigned once.

https://hl7.org/fhir/R4/communicationrequest.html, https://hl7.org/fhir/R4/goal.html and
https://hl7.org/fhir/R4/task.html

:func:`findings` reads the patient's state as ``(programme, status)`` pairs:

* the active home-monitoring Goal (:func:`~carehub.telemed.monitoring.thresholds.goal_id`)
  gives ``("monitoring:<programme>", "enrolled")``;
* each open screening Task written back by screening (``requested`` or
  ``in-progress``, rule ``<programme>.<rule>``) gives ``(<programme>, <screening status>)``.

:data:`RULES` turns them into education programmes
(:func:`monitoring_rule` plus :data:`carehub.telemed.education.RULES`), and
:func:`apply` assigns the first item (by id) of each one with
:func:`~carehub.telemed.education.assign_by_rules`, which skips items the
patient already has: running it again assigns nothing twice. The home-monitoring
service runs it when a clinician enrols a patient (sets their programme).

Failure modes: none of its own; store errors pass through.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carehub.errors import NotFound
from carehub.screening.writeback import RULE_SYSTEM, STATUS_SYSTEM
from carehub.telemed import education
from carehub.telemed.monitoring.thresholds import PROGRAMME_SYSTEM, goal_id
from carehub.telemed.records import Records

MONITORING = {"heart-failure": "heart-failure", "hypertension": "hypertension",
              "diabetes": "diabetes", "copd": "copd", "asthma": "asthma"}
"""Home-monitoring programme → education programme (``general`` has none)."""


def monitoring_rule(programme: str, status: str) -> str | None:
    """An enrolment in home monitoring → that programme's education.

    >>> monitoring_rule("monitoring:heart-failure", "enrolled")
    'heart-failure'
    >>> monitoring_rule("monitoring:general", "enrolled"), monitoring_rule("kidney", "due")
    (None, None)
    """
    if not programme.startswith("monitoring:") or status != "enrolled":
        return None
    return MONITORING.get(programme.removeprefix("monitoring:"))


RULES: tuple[education.Rule, ...] = (*education.RULES, monitoring_rule)


def screening_findings(tasks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(programme, status)`` of the open screening Tasks.

    >>> screening_findings([{"status": "requested",
    ...     "code": {"coding": [{"system": RULE_SYSTEM, "code": "lung_cancer.ldct_due"}]},
    ...     "businessStatus": {"coding": [{"system": STATUS_SYSTEM, "code": "due"}]}}])
    [('lung_cancer', 'due')]
    """
    out: list[tuple[str, str]] = []
    for task in tasks:
        if task.get("status") not in ("requested", "in-progress"):
            continue
        rule = next((str(c.get("code")) for c in (task.get("code") or {}).get("coding") or ()
                     if c.get("system") == RULE_SYSTEM), "")
        status = next((str(c.get("code")) for c in (task.get("businessStatus") or {}).get(
            "coding") or () if c.get("system") == STATUS_SYSTEM), "")
        if rule and status:
            out.append((rule.partition(".")[0], status))
    return list(dict.fromkeys(out))


def findings(records: Records, patient: str) -> list[tuple[str, str]]:
    """The patient's monitoring enrolment and open screening findings (module docstring)."""
    out: list[tuple[str, str]] = []
    try:
        goal = records.get("Goal", goal_id(patient))
    except NotFound:
        goal = {}
    if goal.get("lifecycleStatus") == "active":
        out += [(f"monitoring:{c.get('code')}", "enrolled")
                for cat in goal.get("category") or () for c in cat.get("coding") or ()
                if c.get("system") == PROGRAMME_SYSTEM]
    tasks = records.search("Task", [("patient", patient), ("status", "requested,in-progress"),
                                    ("_count", "200")])
    return out + screening_findings(tasks)


def apply(records: Records, patient: str, now: datetime,
          rules: tuple[education.Rule, ...] = RULES) -> list[dict[str, Any]]:
    """Assign what the patient's state calls for; returns the new assignments."""
    return education.assign_by_rules(records, patient, findings(records, patient), now, rules)
