"""Lab trend charts of the patient summary: series from Observations, plotly figure specs.

https://hl7.org/fhir/R4/observation.html and https://plotly.com/javascript/reference/

:data:`CHARTS` names each chart (eGFR, ACR, HbA1c, blood pressure,
NT-proBNP, FEV1), the LOINC codes that feed it and, for blood pressure, the
components of the panel. :func:`series` extracts dated values;
:func:`figure` turns them into the ``{"data", "layout"}`` object that
``plotly.newPlot`` draws (``charts.js``), with titles from the catalogue.

Failure modes: none; Observations without a date or a numeric value are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

LOINC = "http://loinc.org"
SYSTOLIC, DIASTOLIC, BP_PANEL = "8480-6", "8462-4", "85354-9"


@dataclass(frozen=True, slots=True)
class ChartDef:
    """One chart: its id, title key, unit and (LOINC code, series name key) pairs."""

    id: str
    title_key: str
    unit: str
    lines: tuple[tuple[str, str], ...]


CHARTS: tuple[ChartDef, ...] = (
    ChartDef("egfr", "chart.egfr", "mL/min/1.73m²",
             (("98979-8", "chart.egfr"), ("62238-1", "chart.egfr"), ("33914-3", "chart.egfr"))),
    ChartDef("acr", "chart.acr", "mg/g", (("9318-7", "chart.acr"), ("14959-1", "chart.acr"))),
    ChartDef("hba1c", "chart.hba1c", "%", (("4548-4", "chart.hba1c"),)),
    ChartDef("bp", "chart.bp", "mmHg",
             ((SYSTOLIC, "chart.systolic"), (DIASTOLIC, "chart.diastolic"))),
    ChartDef("ntprobnp", "chart.ntprobnp", "pg/mL", (("33762-6", "chart.ntprobnp"),)),
    ChartDef("fev1", "chart.fev1", "L",
             (("20157-4", "chart.fev1_pre"), ("20155-8", "chart.fev1_post"),
              ("20150-9", "chart.fev1"))),
)

Point = tuple[str, float]


def _codes(concept: Mapping[str, Any] | None) -> set[str]:
    return {str(c.get("code")) for c in (concept or {}).get("coding") or []
            if c.get("system") == LOINC}


def _date(obs: Mapping[str, Any]) -> str | None:
    when = obs.get("effectiveDateTime") or (obs.get("effectivePeriod") or {}).get("start")
    return str(when)[:16] if when else None  # to the minute, local time as recorded


def _number(element: Mapping[str, Any]) -> float | None:
    value = (element.get("valueQuantity") or {}).get("value")
    return float(value) if isinstance(value, (int, float)) else None


def series(observations: Iterable[Mapping[str, Any]]) -> dict[str, list[Point]]:
    """LOINC code → (date[time], value) points in time order; panel components count as their code.

    >>> obs = [{"code": {"coding": [{"system": LOINC, "code": BP_PANEL}]},
    ...         "effectiveDateTime": "2025-01-02T08:00:00+07:00", "component": [
    ...         {"code": {"coding": [{"system": LOINC, "code": SYSTOLIC}]},
    ...          "valueQuantity": {"value": 150}}]},
    ...        {"code": {"coding": [{"system": LOINC, "code": "4548-4"}]},
    ...         "effectiveDateTime": "2024-05-01", "valueQuantity": {"value": 7.1}}]
    >>> series(obs)
    {'8480-6': [('2025-01-02T08:00', 150.0)], '4548-4': [('2024-05-01', 7.1)]}
    """
    out: dict[str, list[Point]] = {}
    for obs in observations:
        if obs.get("status") in ("entered-in-error", "cancelled"):
            continue
        day = _date(obs)
        if day is None:
            continue
        parts = [obs, *(obs.get("component") or [])]
        for part in parts:
            value = _number(part)
            if value is None:
                continue
            for code in _codes(part.get("code")):
                out.setdefault(code, []).append((day, value))
    for points in out.values():
        points.sort()
    return out


def figure(chart: ChartDef, points: Mapping[str, list[Point]],
           t: Callable[[str], str]) -> dict[str, Any] | None:
    """The plotly figure of ``chart`` (None when it has no data).

    >>> fig = figure(CHARTS[2], {"4548-4": [("2024-05-01", 7.1)]}, lambda k: k)
    >>> fig["data"][0]["y"], fig["layout"]["title"]["text"]
    ([7.1], 'chart.hba1c')
    """
    traces: list[dict[str, Any]] = []
    seen: set[str] = set()
    for code, name_key in chart.lines:
        data = points.get(code)
        if not data or (name_key in seen and chart.id == "egfr"):
            continue
        seen.add(name_key)
        traces.append({
            "type": "scatter", "mode": "lines+markers", "name": t(name_key),
            "x": [d for d, _ in data], "y": [v for _, v in data],
        })
    if not traces:
        return None
    return {
        "data": traces,
        "layout": {
            "title": {"text": t(chart.title_key)},
            "height": 260, "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
            "xaxis": {"type": "date"},
            "yaxis": {"title": {"text": chart.unit}},
            "showlegend": len(traces) > 1,
            "legend": {"orientation": "h"},
        },
    }


def figures(observations: Iterable[Mapping[str, Any]],
            t: Callable[[str], str]) -> list[tuple[ChartDef, dict[str, Any]]]:
    """Every chart that has data, in :data:`CHARTS` order."""
    points = series(observations)
    out = []
    for chart in CHARTS:
        fig = figure(chart, points, t)
        if fig is not None:
            out.append((chart, fig))
    return out
