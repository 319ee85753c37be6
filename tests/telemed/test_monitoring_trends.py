"""Home-monitoring trend rules: hand-computed cases (``tests/fixtures/telemed/trends.json``) and
trend alerts on the service, once per episode, sharing the measure's one open alert."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from carehub.telemed.actor import Actor
from carehub.telemed.monitoring import alerts
from carehub.telemed.monitoring.measures import measures
from carehub.telemed.monitoring.readings import MONITORING_SYSTEM
from carehub.telemed.monitoring.service import Monitoring, MonitoringConfig
from carehub.telemed.monitoring.thresholds import programmes
from carehub.telemed.monitoring.trends import judge, rule_programmes, trend_rules
from carehub.telemed.records import Records, instant
from tests.telemed.conftest import NOW

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "telemed" / "trends.json"
CASES: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]
BASE = NOW - timedelta(days=400)
P1, DR1 = Actor("Patient/p1"), Actor("Practitioner/dr1")


def test_every_trend_rule_is_for_a_known_programme_and_element() -> None:
    for programme in rule_programmes():
        assert programme in programmes(), programme
        for rule in trend_rules(programme):
            assert measures()[rule.measure].element(rule.element) is not None


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["title"])
def test_hand_computed_cases(case: dict[str, Any]) -> None:
    rule = next(r for r in trend_rules(case["programme"]) if r.id == case["rule"])

    def pts(rows: list[list[float]]) -> list[tuple[datetime, float]]:
        return [(BASE + timedelta(hours=h), float(v)) for h, v in rows]

    found = judge(rule, pts(case["history"]), pts(case["new"]))
    assert [{"index": j.index, "new_episode": j.new_episode, "value": j.breach.value,
             "priority": j.breach.priority} for j in found] == case["expect"]


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(records: Records, clock: Clock) -> Monitoring:
    return Monitoring(records, MonitoringConfig(programme="general"), clock=clock)


def send(service: Monitoring, clock: Clock, day: float, reading: dict[str, Any]) -> list[Any]:
    clock.now = NOW + timedelta(days=day)
    return service.submit(P1, "Patient/p1", [{**reading, "effective": instant(clock.now)}]).alerts


def weight(kg: float) -> dict[str, Any]:
    return {"measure": "weight", "value": kg, "unit": "kg"}


def tasks(records: Records) -> list[dict[str, Any]]:
    return records.search("Task", [("patient", "Patient/p1")])


def test_heart_failure_weight_gain_alerts_once_per_episode(
        service: Monitoring, records: Records, clock: Clock) -> None:
    service.set_thresholds(DR1, "Patient/p1", "heart-failure", {})
    for day, kg in ((0, 70.0), (1, 70.2), (2, 71.5)):
        assert send(service, clock, day, weight(kg)) == []
    opened = send(service, clock, 2.5, weight(72.3))  # 2.3 kg since day 0, within 3 days
    task = next(a for a in opened if a["resourceType"] == "Task")
    assert sorted(a["resourceType"] for a in opened) == ["Flag", "Task"]
    assert task["priority"] == "urgent"
    assert task["description"] == "weight up 2.3 kg in 3 days (more than 2 kg)"
    assert {"url": MONITORING_SYSTEM + "/trend-rule", "valueCode": "weight-gain"} in task[
        "extension"]
    assert alerts.measure_of(task) == "weight"
    joined = send(service, clock, 2.75, weight(72.4))  # 2.4 kg: the same alert
    assert [a["id"] for a in joined] == [task["id"]] and len(joined[0]["input"]) == 2
    alerts.resolve(records, DR1, task["id"], "diuretic increased", clock())
    assert send(service, clock, 2.9, weight(72.5)) == []  # same episode, resolved: no new alert
    assert send(service, clock, 10, weight(71.0)) == []  # alone in its 3 days: the episode ends
    again = send(service, clock, 12, weight(73.5))  # 2.5 kg since day 10: a new episode
    assert sorted(a["resourceType"] for a in again) == ["Flag", "Task"]
    assert len(tasks(records)) == 2


def test_sustained_high_blood_pressure_is_one_routine_alert(
        service: Monitoring, records: Records, clock: Clock) -> None:
    service.set_thresholds(DR1, "Patient/p1", "hypertension", {})
    for day, (sys, dia) in enumerate([(140, 88), (138, 86)]):
        assert send(service, clock, day, {"measure": "bp", "systolic": sys, "diastolic": dia,
                                          "unit": "mmHg"}) == []
    opened = send(service, clock, 2, {"measure": "bp", "systolic": 136, "diastolic": 84,
                                      "unit": "mmHg"})
    task = next(a for a in opened if a["resourceType"] == "Task")
    assert task["priority"] == "routine"
    assert "systolic mean of the last 3 readings 138 mmHg (135 or more)" in task["description"]
    assert "diastolic mean of the last 3 readings 86 mmHg (85 or more)" in task["description"]
    # a reading over the per-reading threshold joins it and makes it urgent
    joined = send(service, clock, 3, {"measure": "bp", "systolic": 175, "diastolic": 90,
                                      "unit": "mmHg"})
    assert [a["id"] for a in joined] == [task["id"]]
    assert joined[0]["priority"] == "urgent" and len(tasks(records)) == 1


def test_falling_peak_flow_escalates_the_open_alert(
        service: Monitoring, records: Records, clock: Clock) -> None:
    service.set_thresholds(DR1, "Patient/p1", "asthma", {})
    for day, value in enumerate([400, 390]):
        assert send(service, clock, day, {"measure": "peak_flow", "value": value,
                                          "unit": "L/min"}) == []
    opened = send(service, clock, 2, {"measure": "peak_flow", "value": 300, "unit": "L/min"})
    task = next(a for a in opened if a["resourceType"] == "Task")
    assert task["priority"] == "routine"
    assert task["description"] == ("peak flow 300 L/min is 75% of the personal best 400 L/min "
                                   "(below 80%)")
    worse = send(service, clock, 3, {"measure": "peak_flow", "value": 180, "unit": "L/min"})
    assert [a["id"] for a in worse] == [task["id"]] and worse[0]["priority"] == "urgent"
    assert "is 45% of the personal best" in worse[0]["note"][-1]["text"]
    assert len(tasks(records)) == 1
