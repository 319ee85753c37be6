"""Home readings: checked input (a short JSON form or a FHIR Observation) → Observation.

https://hl7.org/fhir/R4/observation.html and https://hl7.org/fhir/R4/datatypes.html#Quantity

A reading arrives in one of two shapes:

* the short form people and simple apps send, e.g.
  ``{"measure": "bp", "systolic": 150, "diastolic": 95, "unit": "mmHg"}``,
  ``{"measure": "glucose", "value": 7.2, "unit": "mmol/L"}`` or
  ``{"measure": "symptoms", "symptoms": ["chest-pain"]}``, with an optional
  ``effective`` dateTime (default: now) and ``device`` reference;
* a FHIR Observation (devices): LOINC ``code``, ``valueQuantity`` or BP
  ``component`` values with UCUM units, or for symptoms a SNOMED CT
  ``valueCodeableConcept``.

:func:`parse_reading` checks everything (known measure, a number for every
element, a unit the element accepts, a plausible value, systolic above
diastolic, a known symptom, a time not in the future) and returns a
:class:`Reading` or the list of :class:`~carehub.errors.Issue` values, each
naming the element (``readings[0].systolic``, ``Observation.valueQuantity.code``).
:func:`to_observation` builds the stored Observation (pure).

Failure modes: none raised here; the caller turns issues into one
:class:`~carehub.errors.Invalid` (422) so nothing is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from carehub.errors import Issue
from carehub.telemed.monitoring.measures import (
    LOINC,
    SNOMED,
    UCUM,
    Measure,
    Symptom,
    Unit,
    measure_of_code,
    measures,
    symptoms,
)
from carehub.telemed.records import instant, new_id, parse_instant

MONITORING_SYSTEM = "https://carehub.vn/fhir/CodeSystem/home-monitoring"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
FUTURE_SLACK = timedelta(minutes=10)
"""Device clocks may run a little ahead; later than this is refused."""


@dataclass(frozen=True, slots=True)
class Value:
    """One checked element value as given (``value`` in ``unit``) and in the canonical unit."""

    element: str
    value: float
    unit: Unit
    canonical: float


@dataclass(frozen=True, slots=True)
class Reading:
    """One checked reading of ``measure`` at ``effective`` (aware)."""

    measure: Measure
    effective: datetime
    values: tuple[Value, ...] = ()
    symptoms: tuple[Symptom, ...] = ()
    device: str | None = None

    def canonical(self) -> dict[str, float]:
        """Element name → value in the canonical unit."""
        return {v.element: v.canonical for v in self.values}


def _issue(code: str, text: str, where: str) -> Issue:
    return Issue("error", code, text, (where,))


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


def check_value(m: Measure, name: str, raw: Any, unit_text: Any, where: str,
                unit_where: str) -> Value | Issue:
    """One element value, checked (see the module docstring).

    >>> from carehub.telemed.monitoring.measures import measure
    >>> check_value(measure("glucose"), "value", 7.0, "mmol/L", "v", "u").canonical
    126.112
    >>> check_value(measure("spo2"), "value", 140, "%", "v", "u").diagnostics
    'SpO2 value 140 % is not possible (expected 50 to 100 %)'
    >>> check_value(measure("weight"), "value", 70, "mmHg", "v", "u").expression
    ('u',)
    """
    element = m.element(name)
    assert element is not None
    label = f"{_LABELS.get(m.id, m.id)} {name}"
    if not isinstance(unit_text, str) or not unit_text.strip():
        return _issue("required", f"{label}: a unit is required ("
                      f"{' or '.join(u.display for u in element.units)})", unit_where)
    unit = element.unit(unit_text.strip())
    if unit is None:
        return _issue("value", f"{label}: unit '{unit_text}' is wrong for this measure (use "
                      f"{' or '.join(u.display for u in element.units)})", unit_where)
    value = _number(raw)
    if value is None:
        return _issue("value" if raw is not None else "required",
                      f"{label} must be a number", where)
    if not unit.plausible(value):
        return _issue("value", f"{label} {value:g} {unit.display} is not possible (expected "
                      f"{unit.low:g} to {unit.high:g} {unit.display})", where)
    return Value(name, value, unit, round(value * unit.factor, 3))


_LABELS = {"bp": "blood pressure", "glucose": "glucose", "weight": "weight", "spo2": "SpO2",
           "peak_flow": "peak flow", "symptoms": "symptoms"}


def _when(raw: Any, now: datetime, where: str) -> datetime | Issue:
    if raw is None:
        return now
    if not isinstance(raw, str):
        return _issue("value", "the time must be a dateTime", where)
    try:
        moment = parse_instant(raw)
    except ValueError:
        return _issue("value", f"'{raw}' is not a dateTime", where)
    if moment > now + FUTURE_SLACK:
        return _issue("value", f"the time {raw} is in the future", where)
    return moment


def _finish(m: Measure, when: datetime | Issue, values: list[Value | Issue],
            found: list[Symptom | Issue], device: str | None,
            where: str) -> Reading | list[Issue]:
    issues = [x for x in (when, *values, *found) if isinstance(x, Issue)]
    kept = [v for v in values if isinstance(v, Value)]
    if m.is_panel and not issues:
        given = {v.element: v.canonical for v in kept}
        if given.get("systolic", 1e9) <= given.get("diastolic", -1e9):
            issues.append(_issue("business-rule", "systolic must be higher than diastolic",
                                 f"{where}systolic"))
    if m.id == "symptoms" and not found:
        issues.append(_issue("required", "name at least one symptom", f"{where}symptoms"))
    if issues:
        return issues
    assert isinstance(when, datetime)
    return Reading(m, when, tuple(kept), tuple(s for s in found if isinstance(s, Symptom)),
                   device)


def parse_short(item: dict[str, Any], now: datetime, where: str = "") -> Reading | list[Issue]:
    """A reading in the short form (see the module docstring); ``where`` prefixes expressions.

    >>> from datetime import UTC
    >>> r = parse_short({"measure": "bp", "systolic": 150, "diastolic": 95, "unit": "mmHg"},
    ...                 datetime(2026, 3, 2, tzinfo=UTC))
    >>> r.canonical()
    {'systolic': 150.0, 'diastolic': 95.0}
    >>> [i.expression for i in parse_short({"measure": "bp", "systolic": 900, "unit": "mmHg"},
    ...                                    datetime(2026, 3, 2, tzinfo=UTC))]
    [('systolic',), ('diastolic',)]
    """
    dot = f"{where}." if where else ""
    name = item.get("measure")
    m = measures().get(name) if isinstance(name, str) else None
    if m is None:
        known = ", ".join(measures())
        return [_issue("value", f"unknown measure {name!r} (one of {known})", f"{dot}measure")]
    when = _when(item.get("effective"), now, f"{dot}effective")
    values: list[Value | Issue] = []
    for e in m.elements:
        key = e.name if m.is_panel else "value"
        unit = item.get("unit")
        if isinstance(unit, dict):  # per-element units: {"systolic": "mmHg", ...}
            unit = unit.get(e.name)
        values.append(check_value(m, e.name, item.get(key), unit, f"{dot}{key}", f"{dot}unit"))
    found: list[Symptom | Issue] = []
    if m.id == "symptoms":
        given = item.get("symptoms")
        if not isinstance(given, list):
            given = []
        known_symptoms = symptoms()
        for i, code in enumerate(given):
            s = known_symptoms.get(code) if isinstance(code, str) else None
            found.append(s if s is not None else _issue(
                "code-invalid", f"unknown symptom {code!r} (one of {', '.join(known_symptoms)})",
                f"{dot}symptoms[{i}]"))
    device = item.get("device") if isinstance(item.get("device"), str) else None
    return _finish(m, when, values, found, device, dot)


def _loinc(concept: Any) -> list[str]:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    return [str(c.get("code")) for c in codings or () if isinstance(c, dict)
            and c.get("system") == LOINC]


def _quantity(q: Any) -> tuple[Any, Any]:
    if not isinstance(q, dict):
        return None, None
    return q.get("value"), q.get("code") or q.get("unit")


def parse_observation(obs: dict[str, Any], now: datetime,
                      where: str = "Observation") -> Reading | list[Issue]:
    """A reading sent as a FHIR Observation (see the module docstring).

    >>> from datetime import UTC
    >>> obs = {"resourceType": "Observation", "code": {"coding": [
    ...     {"system": LOINC, "code": "59408-5"}]}, "valueQuantity": {"value": 97, "code": "%"}}
    >>> parse_observation(obs, datetime(2026, 3, 2, tzinfo=UTC)).canonical()
    {'value': 97.0}
    """
    codes = _loinc(obs.get("code"))
    m = next((hit for c in codes if (hit := measure_of_code(c)) is not None), None)
    if m is None:
        return [_issue("code-invalid", "the Observation's code is not a home-monitoring LOINC "
                       f"code (got {codes or 'none'})", f"{where}.code")]
    when = _when(obs.get("effectiveDateTime"), now, f"{where}.effectiveDateTime")
    values: list[Value | Issue] = []
    if m.is_panel:
        raw_components = obs.get("component")
        components: list[Any] = raw_components if isinstance(raw_components, list) else []
        for e in m.elements:
            index = next((i for i, c in enumerate(components) if isinstance(c, dict)
                          and e.code in _loinc(c.get("code"))), None)
            if index is None:
                values.append(_issue("required", f"a component with code {e.code} ({e.name}) is "
                                     "required", f"{where}.component"))
                continue
            value, unit = _quantity(components[index].get("valueQuantity"))
            at = f"{where}.component[{index}].valueQuantity"
            values.append(check_value(m, e.name, value, unit, f"{at}.value", f"{at}.code"))
    elif m.elements:
        value, unit = _quantity(obs.get("valueQuantity"))
        at = f"{where}.valueQuantity"
        values.append(check_value(m, m.elements[0].name, value, unit, f"{at}.value", f"{at}.code"))
    found: list[Symptom | Issue] = []
    if m.id == "symptoms":
        by_snomed = {s.snomed: s for s in symptoms().values()}
        concept = obs.get("valueCodeableConcept")
        codings = concept.get("coding") if isinstance(concept, dict) else None
        for c in codings or ():
            if isinstance(c, dict) and c.get("system") == SNOMED:
                s = by_snomed.get(str(c.get("code")))
                found.append(s if s is not None else _issue(
                    "code-invalid", f"SNOMED CT {c.get('code')} is not a monitored symptom",
                    f"{where}.valueCodeableConcept"))
    device = (obs.get("device") or {}).get("reference") if isinstance(obs.get("device"),
                                                                       dict) else None
    return _finish(m, when, values, found, device, f"{where}.")


def parse_reading(item: Any, now: datetime, where: str) -> Reading | list[Issue]:
    """Either shape (a FHIR Observation has ``resourceType``).

    >>> from datetime import UTC
    >>> parse_reading(3, datetime(2026, 3, 2, tzinfo=UTC), "readings[0]")[0].diagnostics
    'a reading must be a JSON object'
    """
    if not isinstance(item, dict):
        return [_issue("structure", "a reading must be a JSON object", where)]
    if item.get("resourceType") == "Observation":
        return parse_observation(item, now, f"{where}(Observation)" if where else "Observation")
    if "resourceType" in item:
        return [_issue("not-supported", f"a {item['resourceType']} is not a reading",
                       f"{where}.resourceType" if where else "resourceType")]
    return parse_short(item, now, where)


def _quantity_json(v: Value) -> dict[str, Any]:
    return {"value": v.value, "unit": v.unit.display, "system": UCUM, "code": v.unit.code}


def _concept(code: str, display: str, system: str = LOINC) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def to_observation(reading: Reading, patient: str, performer: str, now: datetime,
                   symptom: Symptom | None = None) -> dict[str, Any]:
    """The Observation that stores ``reading`` (one per symptom for ``symptoms``).

    >>> from datetime import UTC
    >>> r = parse_short({"measure": "glucose", "value": 7, "unit": "mmol/L"},
    ...                 datetime(2026, 3, 2, tzinfo=UTC))
    >>> o = to_observation(r, "Patient/p1", "Patient/p1", datetime(2026, 3, 2, tzinfo=UTC))
    >>> o["code"]["coding"][0]["code"], o["valueQuantity"]["code"]
    ('15074-8', 'mmol/L')
    """
    m = reading.measure
    categories = [{"coding": [{"system": CATEGORY_SYSTEM, "code": m.category}]},
                  {"coding": [{"system": MONITORING_SYSTEM, "code": "home-monitoring"}]}]
    obs: dict[str, Any] = {
        "resourceType": "Observation", "id": new_id(), "status": "final",
        "category": categories, "subject": {"reference": patient},
        "effectiveDateTime": instant(reading.effective), "issued": instant(now),
        "performer": [{"reference": performer if not performer.startswith("system")
                       else patient}],
    }
    if reading.device:
        obs["device"] = {"reference": reading.device}
    if m.is_panel:
        obs["code"] = _concept(m.code, m.display)
        obs["component"] = [
            {"code": _concept(e.code, e.display), "valueQuantity": _quantity_json(v)}
            for e in m.elements for v in reading.values if v.element == e.name]
    elif reading.values:
        v = reading.values[0]
        e = m.elements[0]
        obs["code"] = _concept(v.unit.loinc or e.code, v.unit.loinc_display or e.display)
        obs["valueQuantity"] = _quantity_json(v)
    else:
        assert symptom is not None
        obs["code"] = _concept(m.code, m.display)
        obs["valueCodeableConcept"] = _concept(symptom.snomed, symptom.display, SNOMED)
    return obs


def observations(reading: Reading, patient: str, performer: str,
                 now: datetime) -> list[dict[str, Any]]:
    """Every Observation of ``reading`` (symptoms: one per symptom)."""
    if reading.measure.id == "symptoms":
        return [to_observation(reading, patient, performer, now, s) for s in reading.symptoms]
    return [to_observation(reading, patient, performer, now)]
