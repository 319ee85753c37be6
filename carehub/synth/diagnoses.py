"""Diagnoses the generator plants, coded in ICD-10 (WHO) and SNOMED CT.

https://icd.who.int/browse10/2019/en and https://hl7.org/fhir/R4/condition.html

* :data:`CHRONIC`: the long-term conditions of the risk model, each with the
  department that follows it up.
* :data:`CKD_BY_STAGE`: ICD-10 N18.1-N18.5 by KDIGO GFR category.
* :func:`reasons`: why people come (``data/visit_reasons.csv``): ``acute``
  clinic problems, ``emergency`` presentations, ``exacerbation`` of a chronic
  condition (keyed by that condition), ``elective`` surgery and ``delivery``;
  each with the chance of admission from the emergency department, the
  admitting ward, the median length of stay and the in-hospital mortality.

Every ``CodeableConcept`` is built once and shared by the resources that use
it; the generator never mutates them.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources
from typing import Any

from carehub.synth.sampling import Weighted
from carehub.synth.systems import ICD10, SNOMED


def concept(
    icd10: str, display: str, snomed: str | None = None, snomed_display: str | None = None
) -> dict[str, Any]:
    """A ``CodeableConcept`` with an ICD-10 coding and optionally a SNOMED CT one.

    >>> concept("I10", "Essential (primary) hypertension")["coding"][0]["system"]
    'http://hl7.org/fhir/sid/icd-10'
    """
    coding = [{"system": ICD10, "code": icd10, "display": display}]
    if snomed:
        coding.append({"system": SNOMED, "code": snomed, "display": snomed_display or display})
    return {"coding": coding, "text": display}


@dataclass(frozen=True, slots=True)
class Chronic:
    """A long-term condition: its ground-truth key, its code, the department following it."""

    key: str
    code: dict[str, Any]
    department: str


def _chronic(key: str, icd: str, text: str, sct: str, sct_text: str, dept: str) -> Chronic:
    return Chronic(key, concept(icd, text, sct, sct_text), dept)


CHRONIC = {
    c.key: c
    for c in (
        _chronic("hypertension", "I10", "Essential (primary) hypertension", "38341003",
                 "Hypertensive disorder", "noi-tim-mach"),
        _chronic("diabetes", "E11.9", "Type 2 diabetes mellitus without complications",
                 "44054006", "Diabetes mellitus type 2", "noi-tiet"),
        _chronic("copd", "J44.9", "Chronic obstructive pulmonary disease, unspecified",
                 "13645005", "Chronic obstructive lung disease", "ho-hap"),
        _chronic("asthma", "J45.9", "Asthma, unspecified", "195967001", "Asthma", "ho-hap"),
        _chronic("heart_failure", "I50.9", "Heart failure, unspecified", "84114007",
                 "Heart failure", "noi-tim-mach"),
        _chronic("hbv", "B18.1", "Chronic viral hepatitis B without delta-agent", "61977001",
                 "Chronic type B viral hepatitis", "tieu-hoa"),
        _chronic("hcv", "B18.2", "Chronic viral hepatitis C", "128302006",
                 "Chronic hepatitis C", "tieu-hoa"),
        _chronic("cirrhosis", "K74.6", "Other and unspecified cirrhosis of liver", "19943007",
                 "Cirrhosis of liver", "tieu-hoa"),
        _chronic("hiv", "B24", "Unspecified human immunodeficiency virus [HIV] disease",
                 "86406008", "Human immunodeficiency virus infection", "truyen-nhiem"),
        _chronic("dyslipidaemia", "E78.5", "Hyperlipidaemia, unspecified", "55822004",
                 "Hyperlipidemia", "noi-tim-mach"),
        _chronic("ckd", "N18.9", "Chronic kidney disease, unspecified", "709044004",
                 "Chronic kidney disease", "than"),
    )
}  # fmt: skip

CKD_BY_STAGE = {
    stage: concept(icd, f"Chronic kidney disease, stage {n}", "709044004", "Chronic kidney disease")
    for stage, icd, n in (
        ("G1", "N18.1", 1),
        ("G2", "N18.2", 2),
        ("G3a", "N18.3", 3),
        ("G3b", "N18.3", 3),
        ("G4", "N18.4", 4),
        ("G5", "N18.5", 5),
    )
}
LUNG_IMAGING_FINDING = concept(
    "R91", "Abnormal findings on diagnostic imaging of lung", "786838002", "Nodule of lung"
)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a person came: a problem with its care pathway.

    Attributes:
        group: ``acute``, ``emergency``, ``exacerbation``, ``elective`` or ``delivery``.
        key: short name (for exacerbations, the chronic condition's key).
        code: the diagnosis as a ``CodeableConcept`` (ICD-10).
        department: clinic, or admitting ward, for people aged 16 and over.
        child_department: the same for children under 16.
        respiratory: follows the respiratory season.
        admit: probability of admission from the emergency department.
        los_days: median length of stay when admitted.
        mortality: in-hospital mortality when admitted, before age weighting.
        min_age: youngest age it applies to.
        max_age: oldest age it applies to.
        female_only: applies to women only.
        weight: relative frequency within its group.
    """

    group: str
    key: str
    code: dict[str, Any]
    department: str
    child_department: str
    respiratory: bool
    admit: float
    los_days: float
    mortality: float
    min_age: int
    max_age: int
    female_only: bool
    weight: float

    def fits(self, age: float, female: bool) -> bool:
        """Whether the reason applies to a person of this age and sex."""
        return self.min_age <= age <= self.max_age and (female or not self.female_only)


@functools.cache
def reasons() -> tuple[Reason, ...]:
    """Every visit reason of ``data/visit_reasons.csv``, in file order.

    >>> sorted({r.group for r in reasons()})
    ['acute', 'delivery', 'elective', 'emergency', 'exacerbation']
    """
    text = resources.files("carehub.synth").joinpath("data", "visit_reasons.csv")
    rows = csv.DictReader(io.StringIO(text.read_text("utf-8")))
    return tuple(
        Reason(
            group=r["group"],
            key=r["key"],
            code=concept(r["icd10"], r["display"]),
            department=r["department"],
            child_department=r["child_department"],
            respiratory=r["respiratory"] == "1",
            admit=float(r["admit"]),
            los_days=float(r["los_days"]),
            mortality=float(r["mortality"]),
            min_age=int(r["min_age"]),
            max_age=int(r["max_age"]),
            female_only=r["female_only"] == "1",
            weight=float(r["weight"]),
        )
        for r in rows
    )


@functools.cache
def reason_table(group: str, female: bool, age_band: int) -> Weighted[Reason] | None:
    """The reasons of ``group`` open to a person, weighted; ``None`` when none fits.

    Cached per 5-year age band (``age_band`` 0 is ages 0-4); a reason fits the
    band when it fits its middle age.

    >>> reason_table("delivery", False, 6) is None
    True
    """
    age = age_band * 5 + 2
    rows = [r for r in reasons() if r.group == group and r.fits(age, female)]
    return Weighted((r, r.weight) for r in rows) if rows else None


@functools.cache
def exacerbation(condition: str) -> Reason:
    """The emergency presentation of chronic ``condition``.

    >>> exacerbation("copd").code["coding"][0]["code"]
    'J44.1'
    """
    return next(r for r in reasons() if r.group == "exacerbation" and r.key == condition)
