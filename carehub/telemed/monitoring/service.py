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
(:mod:`carehub.telemed.monitoring.alerts`).

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
from carehub.telemed.actor import Actor, require_patient_or_staff
from carehub.telemed.monitoring import alerts
from carehub.telemed.monitoring.measures import measure
from carehub.telemed.monitoring.readings import (
    MONITORING_SYSTEM,
    Reading,
    observations,
    parse_reading,
)
from carehub.telemed.monitoring.thresholds import (
    Bound,
    Thresholds,
    breaches,
    parse_targets,
    thresholds_for,
    to_goal,
)
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
class Monitoring:
    """The service (see the module docstring)."""

    records: Records
    config: MonitoringConfig = field(default_factory=MonitoringConfig)
    clock: Clock = utc_now

    def _patient(self, actor: Actor, patient: str) -> str:
        if ref_id(patient, "Patient") is None:
            raise Incorrect(f"'{patient}' is not a Patient reference", expression="patient")
        if actor.reference.startswith("Device/") and not actor.system:
            device = self.records.get("Device", actor.reference.removeprefix("Device/"))
            if (device.get("patient") or {}).get("reference") != patient:
                raise Forbidden(f"{actor.reference} is not the device of {patient}")
        else:
            require_patient_or_staff(actor, patient)
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
        """Check and store a batch of readings and raise their alerts (see the module docstring)."""
        now = self.clock()
        patient = self._patient(actor, patient)
        readings = self.check(items, now)
        limits = thresholds_for(self.records, patient, self.config.programme)
        stored: list[dict[str, Any]] = []
        raised: list[dict[str, Any]] = []
        by_measure: dict[str, tuple[list[Any], list[str]]] = {}
        with self.records.write() as s:
            for reading in readings:
                written = observations(reading, patient, actor.reference, now)
                for obs in written:
                    s.put(obs)
                stored += written
                found = breaches(reading, limits)
                if found:
                    bucket = by_measure.setdefault(reading.measure.id, ([], []))
                    bucket[0].extend(found)
                    bucket[1].extend(f"Observation/{o['id']}" for o in written)
            for measure_id, (found, evidence) in by_measure.items():
                raised += alerts.raise_alert(s, self.records.parser, patient, measure_id, found,
                                             evidence, now)
        return Submitted(stored, raised)

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

        Raises:
            Forbidden: not care team. Incorrect: unknown programme or bad targets.
        """
        actor.require_staff()
        patient = self._patient(actor, patient)
        bounds: dict[tuple[str, str], Bound] = parse_targets(targets or {})
        goal = to_goal(patient, programme or self.config.programme, bounds,
                       None if actor.system else actor.reference, self.clock())
        return self.records.put(goal)
