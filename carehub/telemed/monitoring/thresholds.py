"""Alert thresholds: per-programme defaults (a data file) and per-patient targets (a FHIR Goal).

https://hl7.org/fhir/R4/goal.html

Defaults: ``data/programmes.json`` maps a programme (``general``,
``hypertension``, ``diabetes``, ``heart-failure``, ``copd``) to
measure → element → :class:`Bound` (``low``/``high`` in the element's
canonical unit: mmHg, mg/dL, kg, %, L/min) and the symptoms that raise an
alert.

Per patient: one Goal, id ``home-monitoring-<patient id>``, category
``home-monitoring`` (:data:`~carehub.telemed.monitoring.readings.MONITORING_SYSTEM`)
plus the programme as a second category coding (:data:`PROGRAMME_SYSTEM`),
``lifecycleStatus`` ``active``. Each ``Goal.target`` names an element by its
LOINC code in ``target.measure`` and gives the acceptable range in
``target.detailRange`` (canonical UCUM unit); it replaces the programme's
pair of bounds for that element (a range with only ``high`` means: no low
alert). A patient without an active Goal follows the configured default
programme. Readings outside the acceptable range raise an alert
(:func:`breaches`).

Failure modes: :class:`~carehub.errors.Incorrect` for an unknown programme,
measure, element or a bound that is not a number (nothing stored).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from carehub.errors import Incorrect, NotFound, did_you_mean
from carehub.telemed.monitoring.measures import LOINC, UCUM, measure, measure_of_code, measures
from carehub.telemed.monitoring.readings import MONITORING_SYSTEM, Reading
from carehub.telemed.records import Records, instant, ref_id

PROGRAMME_SYSTEM = "https://carehub.vn/fhir/CodeSystem/home-monitoring-programme"


@dataclass(frozen=True, slots=True)
class Bound:
    """The acceptable range of one element; None: no limit on that side.

    >>> Bound(90, 160).outside(170), Bound(None, 160).outside(20)
    ('high', None)
    """

    low: float | None = None
    high: float | None = None

    def outside(self, value: float) -> str | None:
        """``low`` or ``high`` when ``value`` is out of range, else None."""
        if self.low is not None and value < self.low:
            return "low"
        if self.high is not None and value > self.high:
            return "high"
        return None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The thresholds in force for one patient (or a programme's defaults)."""

    programme: str
    bounds: dict[tuple[str, str], Bound]
    alert_symptoms: frozenset[str]
    overridden: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def as_json(self) -> dict[str, Any]:
        """A JSON view: programme, per-element bounds (with their source), alert symptoms."""
        rows = [{"measure": m, "element": e, "low": b.low, "high": b.high,
                 "unit": _element(m, e).canonical.display,
                 "source": "patient" if (m, e) in self.overridden else "programme"}
                for (m, e), b in self.bounds.items()]
        return {"programme": self.programme, "bounds": rows,
                "alertSymptoms": sorted(self.alert_symptoms)}


@dataclass(frozen=True, slots=True)
class Breach:
    """One element of a reading outside its range."""

    measure: str
    element: str
    value: float
    direction: str
    bound: Bound


@cache
def _programmes() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(resources.files("carehub.telemed.monitoring").joinpath(
        "data", "programmes.json").read_text("utf-8"))
    return {k: v for k, v in raw.items() if not k.startswith("_")}


def programmes() -> list[str]:
    """The programme names.

    >>> programmes()[:2]
    ['general', 'hypertension']
    """
    return list(_programmes())


def _element(measure_id: str, element: str) -> Any:
    found = measure(measure_id).element(element)
    if found is None:
        raise Incorrect(f"measure '{measure_id}' has no element '{element}'", expression="targets")
    return found


def programme_defaults(name: str) -> Thresholds:
    """The default thresholds of programme ``name``.

    Raises:
        Incorrect: unknown programme (with a hint).

    >>> programme_defaults("hypertension").bounds[("bp", "systolic")]
    Bound(low=90, high=160)
    """
    raw = _programmes().get(name)
    if raw is None:
        raise Incorrect(f"unknown programme '{name}'.{did_you_mean(name, _programmes())}"
                        .rstrip("."), expression="programme")
    bounds = {(m, e): Bound(b.get("low"), b.get("high"))
              for m, elements in raw.items() if m != "symptoms"
              for e, b in elements.items()}
    return Thresholds(name, bounds, frozenset(raw.get("symptoms", {}).get("alert", ())))


def goal_id(patient: str) -> str:
    """The id of a patient's monitoring Goal.

    >>> goal_id("Patient/p1")
    'home-monitoring-p1'
    """
    return "home-monitoring-" + (ref_id(patient, "Patient") or patient)


def parse_targets(raw: Any) -> dict[tuple[str, str], Bound]:
    """``{"bp.systolic": {"low": 90, "high": 150}}`` → bounds, checked.

    Raises:
        Incorrect: unknown measure or element, a bound that is not a number, low above high.

    >>> parse_targets({"glucose.value": {"high": 200}})
    {('glucose', 'value'): Bound(low=None, high=200.0)}
    """
    if not isinstance(raw, dict):
        raise Incorrect("'targets' must be an object of 'measure.element': {low, high}",
                        expression="targets")
    out: dict[tuple[str, str], Bound] = {}
    for key, pair in raw.items():
        where = f"targets.{key}"
        m, _, e = str(key).partition(".")
        if m not in measures() or measure(m).element(e) is None:
            raise Incorrect(f"unknown target '{key}' (e.g. 'bp.systolic', 'glucose.value')",
                            expression=where)
        if not isinstance(pair, dict):
            raise Incorrect(f"'{key}' must be an object with low and/or high", expression=where)
        ends: list[float | None] = []
        for side in ("low", "high"):
            v = pair.get(side)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise Incorrect(f"'{key}.{side}' must be a number", expression=f"{where}.{side}")
            ends.append(None if v is None else float(v))
        low, high = ends
        if (low is None and high is None) or (low is not None and high is not None and low > high):
            raise Incorrect(f"'{key}' needs low ≤ high (one may be left out)", expression=where)
        out[(m, e)] = Bound(low, high)
    return out


def _quantity(value: float | None, unit: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"value": value, "unit": unit.display, "system": UCUM, "code": unit.code}


def to_goal(patient: str, programme: str, targets: dict[tuple[str, str], Bound],
            author: str | None, now: datetime) -> dict[str, Any]:
    """The patient's monitoring Goal (see the module docstring).

    >>> g = to_goal("Patient/p1", "diabetes", {("glucose", "value"): Bound(80, 200)},
    ...             "Practitioner/d", datetime(2026, 3, 2))
    >>> g["id"], g["target"][0]["measure"]["coding"][0]["code"]
    ('home-monitoring-p1', '2339-0')
    """
    programme_defaults(programme)
    target = []
    for (m, e), b in targets.items():
        element = _element(m, e)
        rng = {k: q for k, q in (("low", _quantity(b.low, element.canonical)),
                                 ("high", _quantity(b.high, element.canonical))) if q}
        target.append({"measure": {"coding": [{"system": LOINC, "code": element.code,
                                               "display": element.display}]},
                       "detailRange": rng})
    goal: dict[str, Any] = {
        "resourceType": "Goal", "id": goal_id(patient), "lifecycleStatus": "active",
        "category": [{"coding": [{"system": MONITORING_SYSTEM, "code": "home-monitoring"},
                                 {"system": PROGRAMME_SYSTEM, "code": programme}]}],
        "description": {"text": f"Home monitoring ({programme})"},
        "subject": {"reference": patient}, "startDate": instant(now)[:10], "target": target,
    }
    if author:
        goal["expressedBy"] = {"reference": author}
    return goal


def from_goal(goal: dict[str, Any]) -> Thresholds:
    """The thresholds a stored Goal sets (its programme's defaults, targets replacing bounds).

    >>> t = from_goal(to_goal("Patient/p1", "diabetes", {("glucose", "value"): Bound(80, 200)},
    ...                       "Practitioner/d", datetime(2026, 3, 2)))
    >>> t.bounds[("glucose", "value")], t.overridden
    (Bound(low=80, high=200), frozenset({('glucose', 'value')}))
    """
    programme = next((str(c.get("code")) for cat in goal.get("category") or ()
                      for c in cat.get("coding") or () if c.get("system") == PROGRAMME_SYSTEM),
                     "general")
    base = programme_defaults(programme)
    bounds = dict(base.bounds)
    overridden: set[tuple[str, str]] = set()
    for t in goal.get("target") or ():
        codes = [str(c.get("code")) for c in (t.get("measure") or {}).get("coding") or ()
                 if c.get("system") == LOINC]
        for code in codes:
            m = measure_of_code(code)
            element = next((e for e in m.elements if e.code == code), None) if m else None
            if m is None or element is None:
                continue
            rng = t.get("detailRange") or {}
            bounds[(m.id, element.name)] = Bound((rng.get("low") or {}).get("value"),
                                                 (rng.get("high") or {}).get("value"))
            overridden.add((m.id, element.name))
    return Thresholds(programme, bounds, base.alert_symptoms, frozenset(overridden))


def thresholds_for(records: Records, patient: str, default_programme: str) -> Thresholds:
    """The thresholds in force for ``patient``: their active Goal, else the default programme."""
    try:
        goal = records.get("Goal", goal_id(patient))
    except NotFound:
        return programme_defaults(default_programme)
    if goal.get("lifecycleStatus") != "active":
        return programme_defaults(default_programme)
    return from_goal(goal)


def breaches(reading: Reading, thresholds: Thresholds) -> list[Breach]:
    """The elements of ``reading`` outside their range (symptoms: each alerting symptom).

    >>> from datetime import UTC
    >>> from carehub.telemed.monitoring.readings import parse_short
    >>> r = parse_short({"measure": "bp", "systolic": 172, "diastolic": 96, "unit": "mmHg"},
    ...                 datetime(2026, 3, 2, tzinfo=UTC))
    >>> [(b.element, b.direction) for b in breaches(r, programme_defaults("hypertension"))]
    [('systolic', 'high')]
    >>> breaches(r, programme_defaults("general"))
    []
    """
    out: list[Breach] = []
    m = reading.measure.id
    for v in reading.values:
        bound = thresholds.bounds.get((m, v.element))
        direction = bound.outside(v.canonical) if bound else None
        if bound is not None and direction is not None:
            out.append(Breach(m, v.element, v.canonical, direction, bound))
    for s in reading.symptoms:
        if s.code in thresholds.alert_symptoms:
            out.append(Breach(m, s.code, 1.0, "present", Bound()))
    return out
