"""Trend charts and rows of home readings, for the patient's and the care team's pages.

https://plotly.com/javascript/reference/ and https://hl7.org/fhir/R4/observation.html

:func:`points` turns home-monitoring Observations into dated values per
measure and element, converted to the element's canonical unit (glucose in
mmol/L is shown in mg/dL on the chart, as the thresholds are); :func:`figures`
draws one plotly figure per measure with data, with the thresholds in force
as dashed lines; :func:`rows` lists the readings newest first for the table
(the values as recorded). Labels come from the ``monitoring.*`` catalogue keys.

Failure modes: none; Observations of other codes or without a date or a
number are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from carehub.telemed.monitoring.measures import LOINC, measure_of_code, measures, symptoms
from carehub.telemed.monitoring.thresholds import Thresholds

Points = dict[tuple[str, str], list[tuple[str, float]]]
"""(measure, element) → (date-time to the minute, canonical value), in time order."""


def _loinc(concept: Any) -> list[str]:
    return [str(c.get("code")) for c in (concept or {}).get("coding") or ()
            if c.get("system") == LOINC]


def _canonical(measure_id: str, code: str, quantity: Mapping[str, Any]) -> tuple[str, float] | None:
    m = measures()[measure_id]
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    for e in m.elements:
        codes = {e.code, *(u.loinc for u in e.units if u.loinc)}
        if code not in codes:
            continue
        unit = e.unit(str(quantity.get("code") or quantity.get("unit") or ""))
        if unit is not None:
            return e.name, round(float(value) * unit.factor, 1)
    return None


def points(observations: Iterable[Mapping[str, Any]]) -> Points:
    """Dated canonical values per (measure, element).

    >>> obs = {"code": {"coding": [{"system": LOINC, "code": "15074-8"}]},
    ...        "effectiveDateTime": "2026-03-02T08:00:00Z",
    ...        "valueQuantity": {"value": 7, "code": "mmol/L"}}
    >>> points([obs])
    {('glucose', 'value'): [('2026-03-02T08:00', 126.1)]}
    """
    out: Points = {}
    for obs in observations:
        when = str(obs.get("effectiveDateTime") or "")[:16]
        codes = _loinc(obs.get("code"))
        m = next((hit for c in codes if (hit := measure_of_code(c)) is not None), None)
        if not when or m is None or not m.elements:
            continue
        parts = (obs.get("component") or []) if m.is_panel else [obs]
        for part in parts:
            for code in _loinc(part.get("code")):
                got = _canonical(m.id, code, part.get("valueQuantity") or {})
                if got is not None:
                    out.setdefault((m.id, got[0]), []).append((when, got[1]))
    for series in out.values():
        series.sort()
    return out


def padded(moments: list[str]) -> list[str]:
    """The date axis range: the readings' span with half a day either side (one reading
    is not drawn over a few milliseconds).

    >>> padded(["2026-03-02T08:00"])
    ['2026-03-01 20:00', '2026-03-02 20:00']
    """
    first, last = (datetime.fromisoformat(min(moments)), datetime.fromisoformat(max(moments)))
    pad = timedelta(hours=12)
    return [(first - pad).strftime("%Y-%m-%d %H:%M"), (last + pad).strftime("%Y-%m-%d %H:%M")]


def figures(found: Points, limits: Thresholds | None,
            t: Callable[..., str]) -> list[dict[str, Any]]:
    """One ``{"id", "title", "figure"}`` per measure with data, in catalogue order.

    >>> pts = {("spo2", "value"): [("2026-03-01T08:00", 97.0), ("2026-03-02T08:00", 90.0)]}
    >>> from carehub.telemed.monitoring.thresholds import programme_defaults
    >>> fig = figures(pts, programme_defaults("general"), lambda k, **p: k)[0]
    >>> fig["id"], fig["figure"]["data"][0]["y"], fig["figure"]["layout"]["shapes"][0]["y0"]
    ('monitoring-chart-spo2', [97.0, 90.0], 92)
    """
    out = []
    for m in measures().values():
        traces: list[dict[str, Any]] = []
        shapes: list[dict[str, Any]] = []
        moments: list[str] = []
        for e in m.elements:
            series = found.get((m.id, e.name))
            if not series:
                continue
            moments += [d for d, _ in series]
            traces.append({"type": "scatter", "mode": "lines+markers",
                           "name": t(f"monitoring.element.{e.name}") if m.is_panel
                           else t(f"monitoring.measure.{m.id}"),
                           "x": [d for d, _ in series], "y": [v for _, v in series]})
            bound = limits.bounds.get((m.id, e.name)) if limits else None
            for edge in (bound.low, bound.high) if bound else ():
                if edge is not None:
                    shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1,
                                   "y0": edge, "y1": edge,
                                   "line": {"dash": "dash", "width": 1, "color": "#b3261e"}})
        if not traces:
            continue
        unit = m.elements[0].canonical.display
        title = f"{t(f'monitoring.measure.{m.id}')} ({unit})"
        out.append({"id": f"monitoring-chart-{m.id}", "title": title, "figure": {
            "data": traces,
            "layout": {"height": 240, "margin": {"l": 50, "r": 10, "t": 10, "b": 60},
                       "xaxis": {"type": "date", "range": padded(moments)},
                       "yaxis": {"title": {"text": unit}},
                       "shapes": shapes, "showlegend": len(traces) > 1,
                       "legend": {"orientation": "h", "y": -0.3}}}})
    return out


def _value_text(obs: Mapping[str, Any], t: Callable[..., str]) -> str:
    if "valueCodeableConcept" in obs:
        snomed = {s.snomed: s.code for s in symptoms().values()}
        codes = [snomed.get(str(c.get("code")), "") for c in
                 obs["valueCodeableConcept"].get("coding") or ()]
        return ", ".join(t(f"monitoring.symptom.{c}") for c in codes if c)
    parts = [obs, *(obs.get("component") or ())]
    shown = []
    for p in parts:
        q = p.get("valueQuantity")
        if q and isinstance(q.get("value"), (int, float)):
            shown.append(f"{q['value']:g} {q.get('unit') or q.get('code') or ''}".strip())
    return " / ".join(shown)


def rows(observations: Iterable[Mapping[str, Any]], t: Callable[..., str],
         limit: int = 30) -> list[dict[str, str]]:
    """Table rows (when, measure, value as recorded), newest first, at most ``limit``.

    >>> obs = {"code": {"coding": [{"system": LOINC, "code": "59408-5"}]},
    ...        "effectiveDateTime": "2026-03-02T08:00:00Z", "valueQuantity": {"value": 97,
    ...        "unit": "%"}}
    >>> rows([obs], lambda k, **p: k)
    [{'when': '2026-03-02 08:00', 'measure': 'monitoring.measure.spo2', 'value': '97 %'}]
    """
    out = []
    for obs in sorted(observations, key=lambda o: str(o.get("effectiveDateTime", "")),
                      reverse=True):
        m = next((hit for c in _loinc(obs.get("code"))
                  if (hit := measure_of_code(c)) is not None), None)
        if m is None:
            continue
        out.append({"when": str(obs.get("effectiveDateTime", ""))[:16].replace("T", " "),
                    "measure": t(f"monitoring.measure.{m.id}"), "value": _value_text(obs, t)})
    return out[:limit]
