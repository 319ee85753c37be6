"""Medicines and consumable supplies, as the hospital pharmacy codes them.

* ``data/medications.csv``: each medicine with its WHO ATC code, its RxNorm
  ingredient code where one exists (RxNorm is US-centred: gliclazide or
  fixed-dose antiretrovirals have none), the product as written on the
  Vietnamese prescription, the UCUM unit of dispensing (``{tablet}``,
  ``{pen}``...), the units used per day and the dosage text.
* ``data/supplies.csv``: consumables (vật tư y tế) under CareHub's local
  stock codes (:data:`carehub.synth.systems.SUPPLY_ITEM`); there is no
  international code system for a hospital's stock list.

:data:`REGIMENS` says which medicines treat which chronic condition (the
first of each group is always given, the others with their probability);
:data:`ACUTE_COURSES` and :data:`INPATIENT_COURSES` give short courses by
visit reason. Slow-moving items (epoetin, insulin pens, inhalers, albumin,
alteplase, the HCV course) reach only a few patients and are dispensed at
intervals, which is what makes them hard to forecast.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources
from typing import Any

from carehub.synth import systems


@dataclass(frozen=True, slots=True)
class Medicine:
    """One dispensable medicine; ``concept`` is the shared ``medicationCodeableConcept``."""

    key: str
    concept: dict[str, Any]
    unit: str
    per_day: float
    dosage: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Supply:
    """One consumable; ``concept`` is the shared ``suppliedItem.itemCodeableConcept``."""

    key: str
    concept: dict[str, Any]
    unit: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("carehub.synth").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@functools.cache
def medicines() -> dict[str, Medicine]:
    """Every medicine by key.

    >>> m = medicines()["metformin"]
    >>> [(c["system"].rsplit("/", 1)[-1], c["code"]) for c in m.concept["coding"]]
    [('atc', 'A10BA02'), ('rxnorm', '6809')]
    """
    out: dict[str, Medicine] = {}
    for r in _rows("medications.csv"):
        coding = [{"system": systems.ATC, "code": r["atc"], "display": r["inn"]}]
        if r["rxnorm"]:
            coding.append({"system": systems.RXNORM, "code": r["rxnorm"], "display": r["inn"]})
        out[r["key"]] = Medicine(
            r["key"],
            {"coding": coding, "text": r["product"]},
            r["unit"],
            float(r["per_day"]),
            [{"text": r["dosage"]}],
        )
    return out


@functools.cache
def supplies() -> dict[str, Supply]:
    """Every consumable by key.

    >>> supplies()["iv_cannula"].concept["coding"][0]["code"]
    'VT004'
    """
    return {
        r["key"]: Supply(
            r["key"],
            {
                "coding": [
                    {"system": systems.SUPPLY_ITEM, "code": r["code"], "display": r["display"]}
                ],
                "text": r["display"],
            },
            r["unit"],
        )
        for r in _rows("supplies.csv")
    }


REGIMENS: dict[str, tuple[tuple[str, float], ...]] = {
    "hypertension": (("amlodipine", 1.0), ("losartan", 0.45), ("perindopril", 0.2),
                     ("bisoprolol", 0.25), ("atorvastatin", 0.45), ("aspirin", 0.2)),
    "diabetes": (("metformin", 1.0), ("gliclazide", 0.4), ("empagliflozin", 0.2),
                 ("insulin_glargine", 0.2), ("atorvastatin", 0.5)),
    "heart_failure": (("furosemide", 1.0), ("bisoprolol", 0.7), ("spironolactone", 0.6),
                      ("losartan", 0.5), ("empagliflozin", 0.2)),
    "ckd": (("losartan", 0.6), ("epoetin", 0.0), ("furosemide", 0.3)),
    "copd": (("salbutamol", 1.0), ("tiotropium", 0.7), ("budesonide_formoterol", 0.3)),
    "asthma": (("salbutamol", 1.0), ("budesonide_formoterol", 0.7)),
    "hbv": (("entecavir", 0.0), ("tenofovir", 0.0)),
    "hcv": (("sofosbuvir_velpatasvir", 1.0),),
    "cirrhosis": (("spironolactone", 0.6), ("furosemide", 0.4)),
    "hiv": (("tld", 1.0),),
}  # fmt: skip
"""Medicines per chronic condition with the share of patients receiving each.

Epoetin (CKD G4-G5 with anaemia) and the HBV antivirals (patients on
treatment) are decided by the clinical model, hence probability 0 here.
"""

ACUTE_COURSES: dict[str, tuple[tuple[str, int], ...]] = {
    "uri": (("paracetamol", 5),),
    "bronchitis": (("amoxicillin", 7), ("paracetamol", 5)),
    "pneumonia": (("amox_clav", 7), ("paracetamol", 5)),
    "otitis": (("amoxicillin", 7),),
    "gastritis": (("omeprazole", 28),),
    "gerd": (("omeprazole", 28),),
    "gastroenteritis": (("paracetamol", 3),),
    "back_pain": (("paracetamol", 10),),
    "knee_oa": (("paracetamol", 14),),
    "headache": (("paracetamol", 5),),
    "uti": (("amox_clav", 5),),
    "influenza": (("oseltamivir", 5), ("paracetamol", 5)),
    "allergy": (("cetirizine", 7),),
    "injury": (("paracetamol", 5),),
    "wrist_fracture": (("paracetamol", 7),),
    "dermatitis": (("cetirizine", 14),),
}
"""Outpatient and emergency courses by visit reason: ``(medicine, days)``."""

INPATIENT_COURSES: dict[str, tuple[tuple[str, float], ...]] = {
    "pneumonia": (("ceftriaxone", 1.0), ("paracetamol", 0.8)),
    "copd": (("methylprednisolone", 0.9), ("ceftriaxone", 0.6), ("salbutamol", 1.0)),
    "asthma": (("methylprednisolone", 0.9), ("salbutamol", 1.0)),
    "heart_failure": (("furosemide", 1.0), ("spironolactone", 0.5)),
    "stroke": (("alteplase", 0.08), ("aspirin", 0.9), ("atorvastatin", 0.9)),
    "ami": (("aspirin", 1.0), ("clopidogrel", 1.0), ("atorvastatin", 1.0)),
    "cirrhosis": (("albumin", 0.5), ("spironolactone", 0.8), ("ceftriaxone", 0.3)),
    "appendicitis": (("ceftriaxone", 1.0), ("paracetamol", 1.0)),
    "hernia": (("ceftriaxone", 0.7), ("paracetamol", 1.0)),
    "gallstones": (("ceftriaxone", 0.8), ("paracetamol", 1.0)),
    "delivery": (("oxytocin", 1.0), ("paracetamol", 1.0)),
    "caesarean": (("oxytocin", 1.0), ("ceftriaxone", 1.0), ("paracetamol", 1.0)),
    "influenza": (("oseltamivir", 1.0),),
}
"""Inpatient medicines by reason (or exacerbated condition): ``(medicine, probability)``.

Reasons not listed get paracetamol.
"""
