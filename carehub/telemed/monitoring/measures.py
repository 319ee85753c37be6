"""The home-monitoring measures: LOINC codes, UCUM units and plausible ranges, from a data file.

https://hl7.org/fhir/R4/observation-vitalsigns.html, https://loinc.org and
https://ucum.org/ucum

``data/measures.json`` lists each :class:`Measure` (blood pressure 85354-9
with systolic 8480-6 and diastolic 8462-4; glucose 2339-0 in mg/dL or
15074-8 in mmol/L; body weight 29463-7; SpO2 59408-5; peak flow 19935-6;
symptoms 75325-1), its :class:`Element` values (a panel's components, or
the single ``value``) and, per element, the accepted :class:`Unit` values:
the UCUM code, the spellings people type, the factor to the element's
canonical (first) unit and the plausible range. The coded symptom list
(CareHub codes mapped to SNOMED CT) lives in the same file.

Failure modes: :class:`~carehub.errors.Incorrect` with a "did you mean"
hint from :func:`measure` for an unknown measure id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from carehub.errors import Incorrect, did_you_mean

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"


@dataclass(frozen=True, slots=True)
class Unit:
    """One accepted unit of an element: UCUM ``code``, shown as ``display``.

    ``factor`` converts a value in this unit to the element's canonical unit;
    ``low``/``high`` bound the plausible values in this unit; ``loinc``
    replaces the element's code when the unit changes the property measured
    (glucose in mmol/L is 15074-8).
    """

    code: str
    display: str
    aliases: tuple[str, ...]
    factor: float
    low: float
    high: float
    loinc: str | None = None
    loinc_display: str | None = None

    def matches(self, text: str) -> bool:
        """Whether ``text`` names this unit (UCUM code, display or an alias).

        >>> Unit("mm[Hg]", "mmHg", ("mm Hg",), 1, 40, 300).matches("mmHg")
        True
        """
        return text in (self.code, self.display, *self.aliases)

    def plausible(self, value: float) -> bool:
        """Whether ``value`` (in this unit) is humanly possible.

        >>> Unit("%", "%", (), 1, 50, 100).plausible(101)
        False
        """
        return self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class Element:
    """A value of a measure: ``name`` (``systolic`` or ``value``), its LOINC code, its units."""

    name: str
    code: str
    display: str
    units: tuple[Unit, ...]

    @property
    def canonical(self) -> Unit:
        """The unit thresholds are written in (the first)."""
        return self.units[0]

    def unit(self, text: str) -> Unit | None:
        """The unit ``text`` names, else None."""
        return next((u for u in self.units if u.matches(text)), None)


@dataclass(frozen=True, slots=True)
class Symptom:
    """One coded symptom: CareHub ``code`` and its SNOMED CT concept."""

    code: str
    snomed: str
    display: str


@dataclass(frozen=True, slots=True)
class Measure:
    """One kind of home reading (see the module docstring)."""

    id: str
    code: str
    display: str
    category: str
    elements: tuple[Element, ...]

    def element(self, name: str) -> Element | None:
        """The element called ``name``, else None."""
        return next((e for e in self.elements if e.name == name), None)

    @property
    def is_panel(self) -> bool:
        """Whether the values are components of a panel (blood pressure)."""
        return len(self.elements) > 1

    def codes(self) -> set[str]:
        """Every LOINC code that identifies this measure (unit-specific ones included).

        >>> sorted(measure("glucose").codes())
        ['15074-8', '2339-0']
        """
        out = {self.code}
        for e in self.elements:
            out.add(e.code)
            out |= {u.loinc for u in e.units if u.loinc}
        return out


def _unit(raw: dict[str, Any]) -> Unit:
    return Unit(raw["code"], raw["display"], tuple(raw.get("aliases", ())), float(raw["factor"]),
                float(raw["low"]), float(raw["high"]), raw.get("loinc"), raw.get("loinc_display"))


@cache
def _catalogue() -> tuple[dict[str, Measure], dict[str, Symptom]]:
    raw = json.loads(resources.files("carehub.telemed.monitoring").joinpath(
        "data", "measures.json").read_text("utf-8"))
    measures = {
        m["id"]: Measure(m["id"], m["code"], m["display"], m["category"], tuple(
            Element(e["name"], e["code"], e["display"], tuple(_unit(u) for u in e["units"]))
            for e in m["elements"]))
        for m in raw["measures"]
    }
    symptoms = {s["code"]: Symptom(s["code"], s["snomed"], s["display"]) for s in raw["symptoms"]}
    return measures, symptoms


def measures() -> dict[str, Measure]:
    """Every measure by id, in file order.

    >>> list(measures())
    ['bp', 'glucose', 'weight', 'spo2', 'peak_flow', 'symptoms']
    """
    return dict(_catalogue()[0])


def symptoms() -> dict[str, Symptom]:
    """Every coded symptom by CareHub code.

    >>> symptoms()["chest-pain"].snomed
    '29857009'
    """
    return dict(_catalogue()[1])


def measure(id: str) -> Measure:
    """The measure ``id``.

    Raises:
        Incorrect: no such measure (with the closest id as a hint).

    >>> measure("bp").elements[0].code
    '8480-6'
    >>> measure("glucse")
    Traceback (most recent call last):
    carehub.errors.Incorrect: unknown measure 'glucse'. Did you mean 'glucose'?
    """
    found = _catalogue()[0].get(id)
    if found is None:
        raise Incorrect(f"unknown measure '{id}'.{did_you_mean(id, _catalogue()[0])}".rstrip("."),
                        expression="measure")
    return found


def measure_of_code(code: str) -> Measure | None:
    """The measure a LOINC code (panel, component or unit-specific code) belongs to.

    >>> measure_of_code("15074-8").id, measure_of_code("8462-4").id, measure_of_code("1-1")
    ('glucose', 'bp', None)
    """
    for m in _catalogue()[0].values():
        if code in m.codes():
            return m
    return None
