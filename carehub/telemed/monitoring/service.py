"""The home-monitoring service: submit readings, read trends, set thresholds.

https://hl7.org/fhir/R4/observation.html

:class:`Monitoring` holds the telemedicine :class:`~carehub.telemed.records.Records`
(the hub's store; the service applies its own rules on the
:class:`~carehub.telemed.actor.Actor`, as the rest of telemedicine does) and
its :class:`MonitoringConfig`. A patient submits only for themselves; the
care team and back-end services (``system/`` scopes, e.g. a device gateway)
for anyone; a caller named ``Device/x`` only for the patient of that Device
resource (``Device.patient``).

:meth:`Monitoring.submit` checks the whole batch first: one bad reading
refuses the batch with one :class:`~carehub.errors.Invalid` (422) whose
issues name each bad element, and nothing is stored. Good readings are
stored as Observations in one unit of work together with their alerts
(:mod:`carehub.telemed.monitoring.alerts`): per-reading thresholds, and the
programme's trend rules over the stored readings plus the new ones
(:mod:`carehub.telemed.monitoring.trends`). Once stored, every alert newly
opened is sent to the patient's care team
(:mod:`carehub.telemed.monitoring.care_team`).

Failure modes: :class:`~carehub.errors.Invalid` (bad readings),
:class:`~carehub.errors.Incorrect` (not a list, too many, unknown measure or
programme), :class:`~carehub.errors.Forbidden` (another patient's data, or
thresholds set by a patient), :class:`~carehub.errors.NotFound` (unknown patient).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from carehub.errors import Forbidden, Incorrect, Invalid, Issue
from carehub.telemed import education_rules
from carehub.telemed.access import require_access
from carehub.telemed.actor import Actor
from carehub.telemed.monitoring import alerts
from carehub.telemed.monitoring.care_team import notify_alert, opened_tasks
from carehub.telemed.monitoring.measures import measure
from carehub.telemed.monitoring.readings import (
    MONITORING_SYSTEM,
    Reading,
    observations,
    parse_reading,
)
from carehub.telemed.monitoring.thresholds import (
    Bound,
    Breach,
    Thresholds,
    breaches,
    parse_targets,
    thresholds_for,
    to_goal,
)
from carehub.telemed.monitoring.trends import PRIORITIES, Judged, judge, points, trend_rules
from carehub.telemed.notify import Notifier
from carehub.telemed.records import Clock, Records, instant, ref_id, utc_now


@dataclass(frozen=True, slots=True)
class MonitoringConfig:
    """The ``CAREHUB_MONITORING_*`` settings, read once at start-up."""

    programme: str = "general"
    trend_days: int = 90
    max_batch: int = 100

    @classmethod
    def from_settings(cls, settings: Any) -> MonitoringConfig:
        """Read the ``CAREHUB_MONITORING_*`` settings.

        >>> MonitoringConfig.from_settings({"CAREHUB_MONITORING_PROGRAMME": "copd",
        ...     "CAREHUB_MONITORING_TREND_DAYS": 30, "CAREHUB_MONITORING_MAX_BATCH": 5}).programme
        'copd'
        """
        return cls(settings["CAREHUB_MONITORING_PROGRAMME"],
                   settings["CAREHUB_MONITORING_TREND_DAYS"],
                   settings["CAREHUB_MONITORING_MAX_BATCH"])


@dataclass(frozen=True, slots=True)
class Submitted:
    """What one submission stored: the Observations and the alert resources written."""

    observations: list[dict[str, Any]]
    alerts: list[dict[str, Any]]


@dataclass(slots=True)
class _Bucket:
    """What one measure of a submission raises: threshold breaches, trend texts, evidence."""

    breaches: list[Breach] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    open_new: bool = False

    def add_trend(self, judged: Judged, evidence: str) -> None:
        """Add one trend breach (a new episode may open an alert)."""
        self.open_new = self.open_new or judged.new_episode
        if judged.breach.text not in self.texts:
            self.texts.append(judged.breach.text)
        if judged.breach.rule not in self.rules:
            self.rules.append(judged.breach.rule)
        self.priorities.append(judged.breach.priority)
        self.evidence.append(evidence)

    def priority(self) -> str:
        """Threshold breaches are urgent; trends carry their own priority."""
        found = [*(["urgent"] if self.breaches else []), *self.priorities]
        return max(found, key=PRIORITIES.index) if found else "urgent"


@dataclass(slots=True)
class Monitoring:
    """The service (see the module docstring); ``notifier`` tells the care team of new alerts
    (None: nobody is told)."""

    records: Records
    config: MonitoringConfig = field(default_factory=MonitoringConfig)
    clock: Clock = utc_now
    notifier: Notifier | None = None

    def _patient(self, actor: Actor, patient: str) -> str:
        if ref_id(patient, "Patient") is None:
            raise Incorrect(f"'{patient}' is not a Patient reference", expression="patient")
        if actor.reference.startswith("Device/") and not actor.system:
            device = self.records.get("Device", actor.reference.removeprefix("Device/"))
            if (device.get("patient") or {}).get("reference") != patient:
                raise Forbidden(f"{actor.reference} is not the device of {patient}")
        else:
            require_access(self.records, actor, patient)
        self.records.get("Patient", patient.removeprefix("Patient/"))
        return patient

    def check(self, items: Any, now: datetime) -> list[Reading]:
        """Every reading of a batch, checked.

        Raises:
            Incorrect: not a non-empty list, or longer than the configured maximum.
            Invalid: any bad reading (all issues, each naming its element).
        """
        if not isinstance(items, list) or not items:
            raise Incorrect("'readings' must be a non-empty list", expression="readings")
        if len(items) > self.config.max_batch:
            raise Incorrect(f"at most {self.config.max_batch} readings per request",
                            expression="readings")
        readings: list[Reading] = []
        issues: list[Issue] = []
        for i, item in enumerate(items):
            parsed = parse_reading(item, now, f"readings[{i}]")
            if isinstance(parsed, Reading):
                readings.append(parsed)
            else:
                issues += parsed
        if issues:
            raise Invalid(f"{len(issues)} problem(s) in the readings; nothing was stored: "
                          + "; ".join(i.diagnostics for i in issues), issues=issues)
        return readings

    def submit(self, actor: Actor, patient: str, items: Any) -> Submitted:
        """Check and store a batch of readings and raise their alerts (see the module docstring).

        After the unit of work, each alert newly opened is sent to the patient's
        care team (:mod:`~carehub.telemed.monitoring.care_team`) when a notifier is set.
        """
        now = self.clock()
        patient = self._patient(actor, patient)
        readings = self.check(items, now)
        limits = thresholds_for(self.records, patient, self.config.programme)
        batch = [(r, observations(r, patient, actor.reference, now)) for r in readings]
        found_trends = self._trends(patient, limits.programme, batch)
        stored: list[dict[str, Any]] = []
        raised: list[dict[str, Any]] = []
        by_measure: dict[str, _Bucket] = {}
        for reading, written in batch:
            stored += written
            found = breaches(reading, limits)
            if found:
                bucket = by_measure.setdefault(reading.measure.id, _Bucket())
                bucket.breaches.extend(found)
                bucket.evidence.extend(f"Observation/{o['id']}" for o in written)
        for measure_id, judged, evidence in found_trends:
            bucket = by_measure.setdefault(measure_id, _Bucket(open_new=False))
            bucket.add_trend(judged, evidence)
        with self.records.write() as s:
            for obs in stored:
                s.put(obs)
            for measure_id, b in by_measure.items():
                raised += alerts.raise_alert(
                    s, self.records.parser, patient, measure_id, b.breaches, b.evidence, now,
                    trends=b.texts, rules=b.rules, priority=b.priority(),
                    open_new=b.open_new or bool(b.breaches))
        if self.notifier is not None:
            for task in opened_tasks(raised):
                notify_alert(self.records, self.notifier, task, now)
        return Submitted(stored, raised)

    def _trends(self, patient: str, programme: str,
                batch: list[tuple[Reading, list[dict[str, Any]]]]
                ) -> list[tuple[str, Judged, str]]:
        """(measure, judged breach, evidence reference) of the programme's trend rules."""
        out: list[tuple[str, Judged, str]] = []
        for rule in trend_rules(programme):
            new = [(r, written) for r, written in batch if r.measure.id == rule.measure
                   and any(v.element == rule.element for v in r.values)]
            if not new:
                continue
            since = min(r.effective for r, _ in new) - timedelta(days=2 * rule.days)
            history = self.records.search("Observation", [
                ("patient", patient), ("category", f"{MONITORING_SYSTEM}|home-monitoring"),
                ("code", ",".join(sorted(measure(rule.measure).codes()))),
                ("date", "ge" + instant(since)), ("_count", "1000")])
            fresh = [(r.effective, r.canonical()[rule.element]) for r, _ in new]
            for judged in judge(rule, points(history, rule), fresh):
                out.append((rule.measure, judged, f"Observation/{new[judged.index][1][0]['id']}"))
        return out

    def readings(self, actor: Actor, patient: str, measure_id: str | None = None,
                 days: int | None = None) -> list[dict[str, Any]]:
        """The patient's home readings of the last ``days`` (default: configured), oldest first.

        Raises:
            Forbidden: another patient's readings. Incorrect: unknown measure.
        """
        patient = self._patient(actor, patient)
        since = self.clock() - timedelta(days=days or self.config.trend_days)
        params = [("patient", patient), ("category", f"{MONITORING_SYSTEM}|home-monitoring"),
                  ("date", "ge" + instant(since)), ("_count", "1000")]
        if measure_id:
            params.append(("code", ",".join(sorted(measure(measure_id).codes()))))
        found = self.records.search("Observation", params)
        return sorted(found, key=lambda o: str(o.get("effectiveDateTime", "")))

    def thresholds(self, actor: Actor, patient: str) -> Thresholds:
        """The thresholds in force for ``patient`` (the patient may read their own)."""
        patient = self._patient(actor, patient)
        return thresholds_for(self.records, patient, self.config.programme)

    def set_thresholds(self, actor: Actor, patient: str, programme: str | None,
                       targets: Any) -> dict[str, Any]:
        """Store the patient's monitoring Goal (care team only); returns it.

        The programme's starter education item is assigned unless the patient has
        it (:mod:`carehub.telemed.education_rules`).

        Raises:
            Forbidden: not care team. Incorrect: unknown programme or bad targets.
        """
        actor.require_staff()
        patient = self._patient(actor, patient)
        bounds: dict[tuple[str, str], Bound] = parse_targets(targets or {})
        goal = to_goal(patient, programme or self.config.programme, bounds,
                       None if actor.system else actor.reference, self.clock())
        stored = self.records.put(goal)
        education_rules.apply(self.records, patient, self.clock())  # the programme's starter
        return stored
