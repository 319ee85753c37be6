"""What the generator measures: LOINC or SNOMED CT codes, UCUM units, categories.

https://loinc.org, https://ucum.org, and the categories of
http://terminology.hl7.org/CodeSystem/observation-category.

The table is ``data/measures.csv``. Laboratory values use the units of
Vietnamese laboratories: creatinine in µmol/L, lipids and glucose in mmol/L,
platelets in 10⁹/L. The eGFR is the CKD-EPI 2021 creatinine equation (LOINC
98979-8). LOINC does not split FEV1/FVC and FEV1 %-predicted into pre- and
post-bronchodilator codes, so those observations carry a second, CareHub
coding that does (column ``local``, system
:data:`carehub.synth.systems.SPIROMETRY`).

Each :class:`Measure` builds its ``code`` and ``category`` once; resources
share them and never mutate them.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources
from typing import Any

from carehub.synth import systems

_SYSTEMS = {"loinc": systems.LOINC, "snomed": systems.SNOMED, "lung-nodule": systems.LUNG_NODULE}
_CATEGORY_DISPLAY = {
    "vital-signs": "Vital Signs",
    "laboratory": "Laboratory",
    "social-history": "Social History",
    "imaging": "Imaging",
    "survey": "Survey",
}


@functools.cache
def category(code: str) -> list[dict[str, Any]]:
    """The shared ``Observation.category`` list for an observation-category code.

    >>> category("laboratory")[0]["coding"][0]["display"]
    'Laboratory'
    """
    coding = {"system": systems.OBSERVATION_CATEGORY, "code": code}
    coding["display"] = _CATEGORY_DISPLAY[code]
    return [{"coding": [coding]}]


@dataclass(frozen=True, slots=True)
class Measure:
    """One kind of observation.

    Attributes:
        key: short name used by the generator (``hba1c``, ``egfr``...).
        concept: the shared ``Observation.code``.
        unit: UCUM code of a quantity value; ``""`` for coded values.
        category: the shared ``Observation.category``.
    """

    key: str
    concept: dict[str, Any]
    unit: str
    category: list[dict[str, Any]]


@functools.cache
def measures() -> dict[str, Measure]:
    """Every measure by key.

    >>> m = measures()["egfr"]
    >>> m.concept["coding"][0]["code"], m.unit
    ('98979-8', 'mL/min/{1.73_m2}')
    >>> [c["code"] for c in measures()["ratio_post"].concept["coding"]]
    ['19926-5', 'fev1-fvc-post-bronchodilator']
    """
    text = resources.files("carehub.synth").joinpath("data", "measures.csv").read_text("utf-8")
    out: dict[str, Measure] = {}
    for row in csv.DictReader(io.StringIO(text)):
        coding = [
            {"system": _SYSTEMS[row["system"]], "code": row["code"], "display": row["display"]}
        ]
        label = row["display"]
        if row["local"]:
            label = row["local"].replace("-", " ")
            coding.append({"system": systems.SPIROMETRY, "code": row["local"], "display": label})
        out[row["key"]] = Measure(
            row["key"], {"coding": coding, "text": label}, row["unit"], category(row["category"])
        )
    return out


def _snomed(code: str, display: str, text: str | None = None) -> dict[str, Any]:
    return {
        "coding": [{"system": systems.SNOMED, "code": code, "display": display}],
        "text": text or display,
    }


def _nodule(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": systems.LUNG_NODULE, "code": code, "display": display}]}


POSITIVE = _snomed("10828004", "Positive")
NEGATIVE = _snomed("260385009", "Negative")
SMOKING_STATUS = {
    "current": _snomed("449868002", "Smokes tobacco daily", "Current smoker"),
    "former": _snomed("8517006", "Ex-smoker", "Former smoker"),
    "never": _snomed("266919005", "Never smoked tobacco", "Never smoker"),
}
NODULE_COMPONENTS = {
    "long_axis": _nodule("long-axis", "Long-axis diameter"),
    "short_axis": _nodule("short-axis", "Short-axis diameter"),
    "mean_diameter": _nodule("mean-diameter", "Mean diameter"),
    "solid_component": _nodule("solid-component", "Solid component mean diameter"),
    "type": _nodule("nodule-type", "Nodule attenuation type"),
    "spiculated": _nodule("spiculated", "Spiculated margin"),
    "perifissural": _nodule("perifissural", "Perifissural or juxtapleural, benign morphology"),
    "calcified": _nodule("calcified", "Benign calcification pattern"),
}
NODULE_TYPES = {
    "solid": _nodule("solid", "Solid"),
    "part-solid": _nodule("part-solid", "Part-solid"),
    "ground-glass": _nodule("ground-glass", "Ground-glass (non-solid)"),
}
LUNG_LOBES = {
    "RUL": _snomed("45653009", "Structure of upper lobe of right lung"),
    "RML": _snomed("72481006", "Structure of right middle lobe of lung"),
    "RLL": _snomed("266005", "Structure of lower lobe of right lung"),
    "LUL": _snomed("44714003", "Structure of upper lobe of left lung"),
    "LLL": _snomed("41224006", "Structure of lower lobe of left lung"),
}
