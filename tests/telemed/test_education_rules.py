"""Rules assign education from the patient's state: enrolment in home monitoring and open
screening findings, each programme's starter item once."""

from __future__ import annotations

from carehub.screening.writeback import RULE_SYSTEM, STATUS_SYSTEM
from carehub.telemed import education, education_rules
from carehub.telemed.actor import Actor
from carehub.telemed.monitoring.service import Monitoring, MonitoringConfig
from carehub.telemed.records import Records
from tests.telemed.conftest import NOW

DR1, P1 = Actor("Practitioner/dr1"), Actor("Patient/p1")


def items(records: Records, patient: str = "Patient/p1") -> list[str]:
    return sorted(education.item_of(r) for r in education.assigned(records, DR1, patient))


def screening_task(status: str, rule: str, finding: str) -> dict[str, object]:
    return {"resourceType": "Task", "status": status, "intent": "plan",
            "for": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": RULE_SYSTEM, "code": rule}]},
            "businessStatus": {"coding": [{"system": STATUS_SYSTEM, "code": finding}]}}


def test_enrolling_in_heart_failure_monitoring_assigns_its_starter_once(
        records: Records) -> None:
    service = Monitoring(records, MonitoringConfig(), clock=lambda: NOW)
    service.set_thresholds(DR1, "Patient/p1", "heart-failure", {})
    assert items(records) == ["hf-daily-weight"]
    request = education.assigned(records, DR1, "Patient/p1")[0]
    assert "requester" not in request  # assigned by a rule, not a clinician
    assert request["reasonCode"] == [{"text": "rule: monitoring:heart-failure enrolled"}]
    service.set_thresholds(DR1, "Patient/p1", "heart-failure", {"weight.value": {"high": 95}})
    assert education_rules.apply(records, "Patient/p1", NOW) == []
    assert items(records) == ["hf-daily-weight"]
    service.set_thresholds(DR1, "Patient/p1", "general", {})  # no education for 'general'
    assert items(records) == ["hf-daily-weight"]
    assert items(records, "Patient/p2") == []


def test_open_screening_findings_assign_and_closed_ones_do_not(records: Records) -> None:
    records.put(screening_task("requested", "lung_cancer.ldct_due", "due"))
    records.put(screening_task("completed", "kidney.acr_missing_12m", "overdue"))
    records.put(screening_task("in-progress", "cardiovascular.risk", "up_to_date"))
    assert education_rules.findings(records, "Patient/p1") == [("lung_cancer", "due"),
                                                               ("cardiovascular", "up_to_date")]
    made = education_rules.apply(records, "Patient/p1", NOW)
    assert [education.item_of(r) for r in made] == ["lung-ldct"]
    assert education_rules.apply(records, "Patient/p1", NOW) == []


def test_a_read_item_is_not_assigned_again(records: Records) -> None:
    first = education.assign(records, DR1, "Patient/p1", "bp-home", NOW)
    education.mark_read(records, P1, first["id"], NOW)
    Monitoring(records, MonitoringConfig(), clock=lambda: NOW).set_thresholds(
        DR1, "Patient/p1", "hypertension", {})
    assert items(records) == ["bp-home"]
