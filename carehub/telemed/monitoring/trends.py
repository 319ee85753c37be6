"""Trend rules over home readings: weight gain in heart failure, sustained high blood pressure,
falling peak flow.

https://hl7.org/fhir/R4/observation.html and https://hl7.org/fhir/R4/task.html#Task.priority

A threshold (:mod:`~carehub.telemed.monitoring.thresholds`) judges one
reading; a trend rule judges the readings of one element over time. The
rules are data, per programme, in ``data/trends.json``; three kinds exist:

* ``rise``: the latest value minus the lowest of the last ``days`` days is
  more than ``amount`` (heart failure: more than 2 kg in 3 days);
* ``mean``: the mean of the last ``count`` readings within ``days`` days is
  ``at_least`` or more (sustained high home blood pressure, 135/85 mmHg);
* ``fraction_of_best``: the latest value is below a fraction of the personal
  best, the highest of the last ``days`` days (peak flow below 80 %, and
  more urgently below 50 %); each ``level`` has its Task priority.

:func:`evaluate` is pure: the rule at the last point of a series. A rule
that held at the reading before already belongs to the same *episode*:
:func:`judge` marks a breach ``new_episode`` only when the severity rises
(from nothing, or from the 80 % to the 50 % level), so the service opens an
alert once per episode and otherwise only adds the reading to an alert
still open (:mod:`~carehub.telemed.monitoring.alerts`).

Failure modes: :class:`~carehub.errors.Fault` when the data file names an
unknown programme, measure, element or kind (found by the tests, never at a
patient's submission).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from carehub.errors import Fault
from carehub.telemed.monitoring.measures import LOINC, measure, measures
from carehub.telemed.records import parse_instant

KINDS = ("rise", "mean", "fraction_of_best")
PRIORITIES = ("routine", "urgent", "asap", "stat")
"""FHIR request priorities, least urgent first."""

Point = tuple[datetime, float]
"""One reading of one element: when, and the value in the canonical unit."""


@dataclass(frozen=True, slots=True)
class TrendRule:
    """One trend rule (see the module docstring); ``levels`` are (fraction, priority),
    mildest first."""

    id: str
    kind: str
    measure: str
    element: str
    days: float
    priority: str = "urgent"
    amount: float = 0.0
    count: int = 0
    at_least: float = 0.0
    min_readings: int = 2
    levels: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True, slots=True)
class TrendBreach:
    """A rule that holds at one reading: ``severity`` 1 (or the level, counted from 1),
    ``value`` what was measured (a gain, a mean, a fraction), ``limit`` the rule's bound."""

    rule: str
    measure: str
    element: str
    value: float
    limit: float
    severity: int
    priority: str
    text: str


def _rule(programme: str, raw: dict[str, Any]) -> TrendRule:
    where = f"data/trends.json {programme}/{raw.get('id')}"
    kind, m_id, e_name = raw.get("kind"), raw.get("measure"), raw.get("element")
    if kind not in KINDS or m_id not in measures() or measure(str(m_id)).element(
            str(e_name)) is None:
        raise Fault(f"{where}: unknown kind, measure or element")
    levels = tuple((float(x["below"]), str(x["priority"])) for x in raw.get("levels", ()))
    priorities = [raw.get("priority", "urgent"), *(p for _, p in levels)]
    if any(p not in PRIORITIES for p in priorities):
        raise Fault(f"{where}: a priority is not one of {PRIORITIES}")
    if kind == "fraction_of_best" and not levels:
        raise Fault(f"{where}: fraction_of_best needs levels")
    return TrendRule(str(raw["id"]), str(kind), str(m_id), str(e_name), float(raw["days"]),
                     str(raw.get("priority", "urgent")), float(raw.get("amount", 0)),
                     int(raw.get("count", 0)), float(raw.get("at_least", 0)),
                     int(raw.get("min_readings", 2)),
                     tuple(sorted(levels, key=lambda lv: -lv[0])))


@cache
def _all_rules() -> dict[str, tuple[TrendRule, ...]]:
    raw: dict[str, Any] = json.loads(resources.files("carehub.telemed.monitoring").joinpath(
        "data", "trends.json").read_text("utf-8"))
    return {name: tuple(_rule(name, r) for r in rules) for name, rules in raw.items()
            if not name.startswith("_")}


def trend_rules(programme: str) -> tuple[TrendRule, ...]:
    """The trend rules of ``programme`` (none for a programme without any).

    >>> [r.id for r in trend_rules("heart-failure")], trend_rules("general")
    (['weight-gain'], ())
    """
    return _all_rules().get(programme, ())


def rule_programmes() -> list[str]:
    """The programmes that have trend rules."""
    return list(_all_rules())


def _label(rule: TrendRule) -> tuple[str, str]:
    m = measure(rule.measure)
    element = m.element(rule.element)
    unit = element.canonical.display if element else ""
    name = {"weight": "weight", "peak_flow": "peak flow", "spo2": "SpO2",
            "glucose": "glucose"}.get(m.id, "blood pressure")
    return (f"{name} {rule.element}" if m.is_panel else name), unit


def evaluate(rule: TrendRule, series: Sequence[Point]) -> TrendBreach | None:
    """The rule at the last point of ``series`` (sorted by time), or None when it does not hold.

    >>> from datetime import UTC
    >>> day = lambda d: datetime(2026, 3, d, 7, tzinfo=UTC)
    >>> gain = trend_rules("heart-failure")[0]
    >>> evaluate(gain, [(day(1), 70.0), (day(2), 70.8), (day(4), 72.3)]).text
    'weight up 2.3 kg in 3 days (more than 2 kg)'
    >>> evaluate(gain, [(day(1), 70.0), (day(5), 72.5)]) is None  # 4 days apart
    True
    """
    if not series:
        return None
    at, latest = series[-1]
    window = [v for t, v in series if at - timedelta(days=rule.days) <= t <= at]
    name, unit = _label(rule)
    if rule.kind == "rise":
        gain = round(latest - min(window), 3)
        if gain <= rule.amount:
            return None
        return TrendBreach(rule.id, rule.measure, rule.element, gain, rule.amount, 1,
                           rule.priority, f"{name} up {gain:.1f} {unit} in {rule.days:g} days "
                           f"(more than {rule.amount:g} {unit})")
    if rule.kind == "mean":
        last = window[-rule.count:]
        if len(last) < rule.count:
            return None
        mean = round(sum(last) / len(last), 1)
        if mean < rule.at_least:
            return None
        return TrendBreach(rule.id, rule.measure, rule.element, mean, rule.at_least, 1,
                           rule.priority, f"{name} mean of the last {rule.count} readings "
                           f"{mean:g} {unit} ({rule.at_least:g} or more)")
    if len(window) < rule.min_readings:
        return None
    best = max(window)
    fraction = latest / best if best > 0 else 1.0
    hit = [(i, below, p) for i, (below, p) in enumerate(rule.levels) if fraction < below]
    if not hit:
        return None
    level, below, priority = hit[-1]
    return TrendBreach(rule.id, rule.measure, rule.element, round(fraction, 3), below,
                       level + 1, priority,
                       f"{name} {latest:g} {unit} is {fraction:.0%} of the personal best "
                       f"{best:g} {unit} (below {below:.0%})")


@dataclass(frozen=True, slots=True)
class Judged:
    """A breach at one new reading (``index`` in the new points) and whether it opens an
    episode."""

    breach: TrendBreach
    index: int
    new_episode: bool


def judge(rule: TrendRule, history: Sequence[Point], new: Sequence[Point]) -> list[Judged]:
    """The rule at each ``new`` point, given the stored ``history`` (any order).

    A breach opens a new episode when the rule's severity at the reading just
    before it was lower (see the module docstring).

    >>> from datetime import UTC
    >>> day = lambda d: datetime(2026, 3, d, 7, tzinfo=UTC)
    >>> bp = trend_rules("hypertension")[0]
    >>> old = [(day(1), 150.0), (day(2), 140.0)]
    >>> [(j.index, j.new_episode) for j in judge(bp, old, [(day(3), 130.0), (day(4), 150.0)])]
    [(0, True), (1, False)]
    """
    everything = sorted([*((t, v, -1) for t, v in history),
                         *((t, v, i) for i, (t, v) in enumerate(new))])
    out: list[Judged] = []
    for pos, (_, _, index) in enumerate(everything):
        if index < 0:
            continue
        upto = [(t, v) for t, v, _ in everything[:pos + 1]]
        found = evaluate(rule, upto)
        if found is None:
            continue
        before = evaluate(rule, upto[:-1]) if pos > 0 else None
        out.append(Judged(found, index, before is None or before.severity < found.severity))
    return out


def points(observations: Sequence[dict[str, Any]], rule: TrendRule) -> list[Point]:
    """The rule's element in stored home-reading Observations, in the canonical unit.

    >>> obs = {"effectiveDateTime": "2026-03-01T07:00:00Z", "code": {"coding": [
    ...     {"system": LOINC, "code": "29463-7"}]},
    ...     "valueQuantity": {"value": 154, "code": "[lb_av]"}}
    >>> points([obs], trend_rules("heart-failure")[0])[0][1]
    69.853
    """
    element = measure(rule.measure).element(rule.element)
    assert element is not None
    out: list[Point] = []
    for obs in observations:
        quantity: Any = None
        for part in [obs, *(obs.get("component") or ())]:
            codes = {c.get("code") for c in (part.get("code") or {}).get("coding") or ()
                     if c.get("system") == LOINC}
            if element.code in codes or codes & {u.loinc for u in element.units if u.loinc}:
                quantity = part.get("valueQuantity")
        if not isinstance(quantity, dict) or not obs.get("effectiveDateTime"):
            continue
        unit = element.unit(str(quantity.get("code") or quantity.get("unit") or ""))
        value = quantity.get("value")
        if unit is None or not isinstance(value, (int, float)):
            continue
        out.append((parse_instant(str(obs["effectiveDateTime"])),
                    round(float(value) * unit.factor, 3)))
    return out
