"""A new home-monitoring alert is sent to the patient's care team through the notifier (the local
fake) and recorded as Communications; a reading joining an open alert sends nothing."""

from __future__ import annotations

from typing import Any

import pytest

from carehub.telemed.actor import Actor
from carehub.telemed.monitoring import alerts
from carehub.telemed.monitoring.care_team import members
from carehub.telemed.monitoring.service import Monitoring, MonitoringConfig
from carehub.telemed.records import Records
from tests.telemed.conftest import NOW, FakeNotifier

P1, P2, DR1 = Actor("Patient/p1"), Actor("Patient/p2"), Actor("Practitioner/dr1")
HIGH_BP = {"measure": "bp", "systolic": 185, "diastolic": 100, "unit": "mmHg"}
TEAM: list[dict[str, Any]] = [
    {"resourceType": "Practitioner", "id": "nurse1", "name": [{"family": "Vũ"}],
     "telecom": [{"system": "phone", "value": "0912000111", "rank": 1}]},
    {"resourceType": "Practitioner", "id": "dr-en", "name": [{"family": "Brown"}],
     "communication": [{"coding": [{"code": "en"}]}],
     "telecom": [{"system": "email", "value": "brown@bv.example"}]},
    {"resourceType": "PractitionerRole", "id": "role-en", "practitioner": {
        "reference": "Practitioner/dr-en"}},
    {"resourceType": "CareTeam", "id": "team-p1", "status": "active",
     "subject": {"reference": "Patient/p1"},
     "participant": [{"member": {"reference": "Practitioner/nurse1"}},
                     {"member": {"reference": "PractitionerRole/role-en"}},
                     {"member": {"reference": "Patient/p1"}}]},
    {"resourceType": "CareTeam", "id": "team-old", "status": "inactive",
     "subject": {"reference": "Patient/p1"},
     "participant": [{"member": {"reference": "Practitioner/dr2"}}]},
]


@pytest.fixture
def team(records: Records) -> Records:
    for r in TEAM:
        records.put(dict(r))
    p1 = records.get("Patient", "p1")
    p1["generalPractitioner"] = [{"reference": "Practitioner/dr3"}]  # dr3 has no telecom
    records.put(p1)
    return records


def notices(records: Records, patient: str) -> list[dict[str, Any]]:
    return records.search("Communication", [("subject", patient), ("category", "alert")])


def test_the_care_team_is_active_teams_and_general_practitioners(team: Records) -> None:
    assert members(team, "Patient/p1") == ["Practitioner/nurse1", "PractitionerRole/role-en",
                                           "Practitioner/dr3"]
    assert members(team, "Patient/p2") == []


def test_a_new_alert_notifies_each_member_once(team: Records, notifier: FakeNotifier) -> None:
    service = Monitoring(team, MonitoringConfig(), clock=lambda: NOW, notifier=notifier)
    raised = service.submit(P1, "Patient/p1", [HIGH_BP]).alerts
    task = next(a for a in raised if a["resourceType"] == "Task")
    flag = next(a for a in raised if a["resourceType"] == "Flag")
    assert [(m.channel, m.to) for m in notifier.sent] == [("sms", "0912000111"),
                                                          ("email", "brown@bv.example")]
    vi, en = (m.text for m in notifier.sent)
    assert vi.startswith("CareHub: có cảnh báo theo dõi tại nhà mới (Huyết áp)")
    assert en == ("CareHub: new home-monitoring alert (Blood pressure) for a patient. "
                  "Open /app/monitoring/patients/p1")
    assert "Nguyễn" not in vi + en and "185" not in vi + en  # no name, no values
    stored = {c["recipient"][0]["reference"]: c for c in notices(team, "Patient/p1")}
    assert set(stored) == {"Practitioner/nurse1", "PractitionerRole/role-en", "Practitioner/dr3"}
    sent = stored["Practitioner/nurse1"]
    assert sent["status"] == "completed" and sent["sent"]
    assert sent["basedOn"] == [{"reference": f"Task/{task['id']}"}]
    assert sent["about"] == [{"reference": f"Flag/{flag['id']}"}]
    assert sent["medium"][0]["coding"][0]["code"] == "SMSWRIT"
    assert stored["Practitioner/dr3"]["status"] == "not-done"

    service.submit(P1, "Patient/p1", [HIGH_BP])  # joins the open alert: nobody is told again
    assert len(notifier.sent) == 2 and len(notices(team, "Patient/p1")) == 3
    alerts.resolve(team, DR1, task["id"], "", NOW)
    service.submit(P1, "Patient/p1", [HIGH_BP])  # a new alert: told again
    assert len(notifier.sent) == 4


def test_a_gateway_failure_is_recorded_and_loses_nothing(team: Records,
                                                         notifier: FakeNotifier) -> None:
    notifier.failing.add("0912000111")
    service = Monitoring(team, MonitoringConfig(), clock=lambda: NOW, notifier=notifier)
    done = service.submit(P1, "Patient/p1", [HIGH_BP])
    assert len(done.observations) == 1 and len(done.alerts) == 2
    assert team.get("Observation", done.observations[0]["id"])["subject"] == {
        "reference": "Patient/p1"}
    failed = next(c for c in notices(team, "Patient/p1")
                  if c["recipient"][0]["reference"] == "Practitioner/nurse1")
    assert failed["status"] == "not-done" and failed["statusReason"]["text"] == "gateway down"
    assert [m.to for m in notifier.sent] == ["brown@bv.example"]


def test_no_care_team_no_notice(team: Records, notifier: FakeNotifier) -> None:
    service = Monitoring(team, MonitoringConfig(), clock=lambda: NOW, notifier=notifier)
    assert len(service.submit(P2, "Patient/p2", [HIGH_BP]).alerts) == 2
    assert notifier.sent == [] and notices(team, "Patient/p2") == []
