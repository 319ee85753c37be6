"""Home-monitoring thresholds and alerts on the service: programme data, Goals, one open alert
per patient and measure even when submissions race."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from carehub.errors import Forbidden, Incorrect
from carehub.telemed.actor import Actor
from carehub.telemed.monitoring import alerts
from carehub.telemed.monitoring.measures import measures
from carehub.telemed.monitoring.service import Monitoring, MonitoringConfig
from carehub.telemed.monitoring.thresholds import (
    Bound,
    from_goal,
    programme_defaults,
    programmes,
    to_goal,
)
from carehub.telemed.records import Records
from tests.telemed.conftest import NOW

P1, DR1 = Actor("Patient/p1"), Actor("Practitioner/dr1")
HIGH_BP = {"measure": "bp", "systolic": 185, "diastolic": 100, "unit": "mmHg"}


@pytest.fixture
def service(records: Records) -> Monitoring:
    return Monitoring(records, MonitoringConfig(programme="general"), clock=lambda: NOW)


def test_every_programme_names_known_measures_elements_and_symptoms() -> None:
    for name in programmes():
        limits = programme_defaults(name)
        for (m, e), bound in limits.bounds.items():
            element = measures()[m].element(e)
            assert element is not None, (name, m, e)
            unit = element.canonical
            for edge in (bound.low, bound.high):
                assert edge is None or unit.low <= edge <= unit.high, (name, m, e, edge)
        assert limits.alert_symptoms
    with pytest.raises(Incorrect, match="Did you mean 'copd'"):
        programme_defaults("cpod")


def test_a_goal_round_trips_and_only_replaces_its_targets() -> None:
    goal = to_goal("Patient/p1", "heart-failure", {("weight", "value"): Bound(None, 92.5)},
                   "Practitioner/dr1", NOW)
    limits = from_goal(goal)
    base = programme_defaults("heart-failure")
    assert limits.programme == "heart-failure"
    assert limits.bounds[("weight", "value")] == Bound(None, 92.5)
    assert {k: v for k, v in limits.bounds.items() if k != ("weight", "value")} == {
        k: v for k, v in base.bounds.items() if k != ("weight", "value")}
    assert goal["target"][0]["detailRange"] == {"high": {
        "value": 92.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}


def test_alert_symptoms_follow_the_programme(service: Monitoring) -> None:
    done = service.submit(P1, "Patient/p1", [{"measure": "symptoms",
                                              "symptoms": ["cough", "chest-pain"]}])
    assert len(done.observations) == 2
    task = next(a for a in done.alerts if a["resourceType"] == "Task")
    assert task["description"] == "symptom chest-pain" and len(task["input"]) == 2
    assert service.submit(P1, "Patient/p1", [{"measure": "symptoms",
                                              "symptoms": ["headache"]}]).alerts == []


def test_racing_submissions_open_one_alert(service: Monitoring, records: Records) -> None:
    errors: list[BaseException] = []

    def send() -> None:
        try:
            service.submit(P1, "Patient/p1", [HIGH_BP])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    open_alerts = alerts.worklist(records, DR1)
    assert len(open_alerts) == 1 and len(open_alerts[0]["input"]) == 4
    assert len(records.search("Flag", [("patient", "Patient/p1")])) == 1


def test_only_the_care_team_works_alerts(service: Monitoring, records: Records) -> None:
    task: dict[str, Any] = next(a for a in service.submit(P1, "Patient/p1", [HIGH_BP]).alerts
                                if a["resourceType"] == "Task")
    with pytest.raises(Forbidden):
        alerts.resolve(records, P1, task["id"], "", NOW)
    with pytest.raises(Forbidden):
        service.set_thresholds(P1, "Patient/p1", "copd", {})
    assert alerts.acknowledge(records, DR1, task["id"], NOW)["status"] == "in-progress"
    assert alerts.acknowledge(records, DR1, task["id"], NOW)["status"] == "in-progress"
    assert [r["status"] for r in alerts.resolve(records, DR1, task["id"], "ok", NOW)] == [
        "completed", "inactive"]
    assert alerts.worklist(records, DR1) == []


def test_an_unknown_default_programme_fails_at_start_up(records: Records) -> None:
    from carehub.telemed.config import TelemedConfig
    from carehub.telemed.monitoring.router import monitoring_router
    from carehub.telemed.web_common import Telemed
    from tests.telemed.conftest import FakeNotifier

    tm = Telemed(records, TelemedConfig(), FakeNotifier(), signer=None)  # type: ignore[arg-type]
    with pytest.raises(Incorrect, match="Did you mean 'diabetes'"):
        monitoring_router(tm, {"CAREHUB_MONITORING_PROGRAMME": "diabets",
                               "CAREHUB_MONITORING_TREND_DAYS": 90,
                               "CAREHUB_MONITORING_MAX_BATCH": 10})
