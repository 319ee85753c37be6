"""The planted physiology of one person: risk factors, conditions, true lab levels.

:func:`plant_health` draws, for a person of known age and sex (on the end
date), smoking history, body size, the chronic conditions of the screening
rules with prevalences plausible for Vietnamese adults, which of them are
diagnosed (have a Condition resource), and the true levels the laboratory
will report around. Values are correlated the way the screening rules
expect: eGFR and ACR follow the CKD stage (which is likelier with diabetes,
hypertension and age), HbA1c follows diabetes, NT-proBNP heart failure,
FEV1/FVC COPD, platelets and AFP cirrhosis.

Targets for adults (18+): hypertension about 25 %, type 2 diabetes about 7 %
(plus about 10 % prediabetes), CKD about 10 %, COPD about 4 % (mostly older
male smokers), asthma about 4 %, heart failure 1-2 % (older, with
hypertension or diabetes), chronic HBV about 8 % (less in those born after
2003, when infant vaccination started), HCV about 1 %, cirrhosis in about
14 % of viral-hepatitis carriers over 35; current smoking about 45 % of men
and 1.5 % of women. The age-band tables below carry these.

Undiagnosed disease is planted on purpose (about 40 % of diabetes and
hypertension, two thirds of CKD, half of COPD, half of HBV), so a screening
rule has something to find; the ground truth tells which.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from carehub.synth.formulary import REGIMENS
from carehub.synth.labs import albuminuria_category, gfr_category, predicted_spirometry
from carehub.synth.sampling import Weighted, by_age

HYPERTENSION = ((18, 0.045), (30, 0.11), (40, 0.22), (50, 0.36), (60, 0.48), (70, 0.56), (80, 0.6))
DIABETES = ((18, 0.005), (30, 0.02), (40, 0.065), (50, 0.12), (60, 0.16), (70, 0.18))
PREDIABETES = ((18, 0.06), (40, 0.14), (60, 0.2))
HEART_FAILURE = ((18, 0.0), (40, 0.003), (50, 0.008), (60, 0.025), (70, 0.05), (80, 0.08))
CKD = ((18, 0.035), (40, 0.065), (60, 0.14), (70, 0.22), (80, 0.3))
DIAGNOSED = {
    "hypertension": 0.6, "diabetes": 0.6, "ckd": 0.3, "copd": 0.45, "asthma": 0.85,
    "heart_failure": 0.8, "hbv": 0.55, "hcv": 0.45, "cirrhosis": 0.8, "hiv": 0.9,
    "dyslipidaemia": 0.4,
}  # fmt: skip
"""Share of people with a condition who carry its diagnosis."""
CKD_STAGES = Weighted([("G12", 0.33), ("G3a", 0.36), ("G3b", 0.17), ("G4", 0.09), ("G5", 0.05)])
EGFR_RANGE = {
    "G12": (60.5, 105.0),
    "G3a": (45.5, 59.5),
    "G3b": (30.5, 44.5),
    "G4": (15.5, 29.5),
    "G5": (6.0, 14.5),
}
ALBUMINURIA = Weighted([("A1", 0.4), ("A2", 0.4), ("A3", 0.2)])
"""Albuminuria category of CKD G3a-G5 (G1-G2 CKD is defined by albuminuria, A2 or A3)."""
HCC_SURVEILLANCE = Weighted([(0.9, 0.45), (0.4, 0.3), (0.0, 0.25)])
"""Per-visit chance that a diagnosed HBV carrier gets ultrasound and AFP: adherent,
irregular, never."""
GOLD_GRADES = Weighted([(1, 0.28), (2, 0.47), (3, 0.2), (4, 0.05)])
FEV1_PERCENT = {1: (80.0, 95.0), 2: (50.0, 79.5), 3: (30.0, 49.5), 4: (20.0, 29.5)}


@dataclass(slots=True)
class Health:
    """The planted state of one person on the end date.

    ``conditions`` holds keys of :data:`carehub.synth.diagnoses.CHRONIC` plus
    ``prediabetes``; ``diagnosed`` maps each diagnosed condition to the years
    before the end date when it was diagnosed. Lab levels are the true values
    on the end date; ``egfr_slope`` is the yearly eGFR decline. Smoking ages
    are in years (``quit_age`` 0 for people who never quit).
    """

    smoking: str = "never"
    packs_per_day: float = 0.0
    start_age: float = 0.0
    quit_age: float = 0.0
    height_cm: float = 160.0
    bmi: float = 22.0
    conditions: set[str] = field(default_factory=set)
    diagnosed: dict[str, float] = field(default_factory=dict)
    ckd_stage: str = ""
    gold_grade: int = 0
    sbp: float = 115.0
    dbp: float = 72.0
    heart_rate: float = 76.0
    hba1c: float = 5.2
    egfr: float = 100.0
    egfr_slope: float = 0.8
    acr: float = 8.0
    cholesterol: float = 5.0
    hdl: float = 1.2
    triglycerides: float = 1.4
    ntprobnp: float = 40.0
    platelets: float = 250.0
    afp: float = 2.5
    alt: float = 24.0
    fev1_pred: float = 0.0
    fev1_post: float = 0.0
    fvc_post: float = 0.0
    fev1_pre: float = 0.0
    fvc_pre: float = 0.0
    ratio_boundary: bool = False
    hbv_treated: bool = False
    hcc_surveillance: float = 0.0
    regimen: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def smoking_at(self, age: float) -> tuple[str, float, float]:
        """``(status, pack-years, years since quitting)`` at ``age``.

        >>> h = Health(smoking="former", packs_per_day=1.0, start_age=20, quit_age=45)
        >>> h.smoking_at(50.0), h.smoking_at(40.0), h.smoking_at(18.0)
        (('former', 25.0, 5.0), ('current', 20.0, 0.0), ('never', 0.0, 0.0))
        """
        if self.smoking == "never" or age < self.start_age:
            return "never", 0.0, 0.0
        if self.smoking == "current" or age < self.quit_age:
            return "current", (age - self.start_age) * self.packs_per_day, 0.0
        return (
            "former",
            (self.quit_age - self.start_age) * self.packs_per_day,
            age - self.quit_age,
        )

    def has(self, condition: str) -> bool:
        """Whether the person has ``condition`` (diagnosed or not)."""
        return condition in self.conditions

    @property
    def gfr_category(self) -> str:
        """KDIGO G category of the true eGFR on the end date."""
        return gfr_category(self.egfr)

    @property
    def albuminuria_category(self) -> str:
        """KDIGO A category of the true ACR on the end date."""
        return albuminuria_category(self.acr)


def _clip(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def plant_health(rng: random.Random, age: float, female: bool) -> Health:
    """Draw the planted state of a person aged ``age`` (exact years) on the end date.

    >>> h = plant_health(random.Random(5), 67.2, False)
    >>> h.smoking in ("never", "former", "current"), 0 < h.egfr < 140
    (True, True)
    """
    h = Health()
    _plant_smoking(rng, h, age, female)
    _plant_body(rng, h, age, female)
    if age >= 18:
        _plant_adult_conditions(rng, h, age, female)
    else:
        _plant_child_conditions(rng, h, age)
    _plant_diagnoses(rng, h, age)
    _plant_levels(rng, h, age, female)
    if age >= 18:
        _plant_spirometry(rng, h, age, female)
    _plant_regimens(rng, h)
    return h


def _plant_smoking(rng: random.Random, h: Health, age: float, female: bool) -> None:
    if age < 15:
        return
    if female:
        current, former = 0.015, 0.005
    elif age < 18:
        current, former = 0.08, 0.0
    else:
        current, former = (0.45, 0.10) if age < 60 else (0.36, 0.22)
    draw = rng.random()
    if draw >= current + former:
        return
    h.start_age = min(age - 0.5, rng.triangular(14.0, 30.0, 18.0))
    h.packs_per_day = _clip(_lognormal(rng, 0.6, 0.45), 0.1, 2.0)
    h.smoking = "current"
    if draw >= current and age - h.start_age > 2:
        h.smoking = "former"
        h.quit_age = rng.uniform(h.start_age + 1.0, age - 0.5)


def _plant_body(rng: random.Random, h: Health, age: float, female: bool) -> None:
    if age >= 18:
        mean = 154.0 if female else 165.0
        h.height_cm = rng.gauss(mean, 5.5 if female else 6.0) - 0.05 * max(0.0, age - 50)
        h.bmi = _clip(rng.gauss(22.3, 3.0), 15.0, 40.0)
    else:
        adult = 154.0 if female else 165.0
        h.height_cm = min(adult, 52.0 + 6.3 * age + rng.gauss(0.0, 4.0))
        h.bmi = _clip(rng.gauss(15.8 + 0.15 * age, 1.6), 12.0, 28.0)


def _plant_adult_conditions(rng: random.Random, h: Health, age: float, female: bool) -> None:
    has = h.conditions
    bmi_factor = math.exp(0.1 * (h.bmi - 22.0))
    if rng.random() < by_age(age, HYPERTENSION) * (0.9 if female else 1.1) * bmi_factor:
        has.add("hypertension")
    if rng.random() < by_age(age, DIABETES) * bmi_factor:
        has.add("diabetes")
    elif rng.random() < by_age(age, PREDIABETES):
        has.add("prediabetes")
    hf_risk = by_age(age, HEART_FAILURE) * (1.6 if "hypertension" in has else 1.0)
    if rng.random() < hf_risk * (1.4 if "diabetes" in has else 1.0):
        has.add("heart_failure")
    _, pack_years, _ = h.smoking_at(age)
    if age >= 40:
        copd_risk = 0.03 if h.smoking == "never" else 0.12 * min(3.0, 0.5 + pack_years / 25)
    else:
        copd_risk = 0.003 if h.smoking == "never" else 0.01
    if rng.random() < copd_risk:
        has.add("copd")
    if rng.random() < 0.04:
        has.add("asthma")
    if rng.random() < (0.07 if female else 0.10) * (0.25 if age < 22 else 1.0):
        has.add("hbv")
    if rng.random() < (0.015 if age >= 40 else 0.007):
        has.add("hcv")
    viral = "hbv" in has or "hcv" in has
    if age >= 35 and rng.random() < (0.14 if viral else 0.0 if female else 0.004):
        has.add("cirrhosis")
    if 20 <= age < 60 and rng.random() < 0.003:
        has.add("hiv")
    ckd_risk = by_age(age, CKD) * (2.0 if "diabetes" in has else 1.0)
    ckd_risk *= (1.5 if "hypertension" in has else 1.0) * (1.3 if "heart_failure" in has else 1.0)
    if rng.random() < min(ckd_risk, 0.85):
        has.add("ckd")
        h.ckd_stage = CKD_STAGES.pick(rng)
    if "copd" in has:
        h.gold_grade = GOLD_GRADES.pick(rng)


def _plant_child_conditions(rng: random.Random, h: Health, age: float) -> None:
    if age >= 3 and rng.random() < 0.05:
        h.conditions.add("asthma")
    if rng.random() < 0.012:
        h.conditions.add("hbv")


def _plant_diagnoses(rng: random.Random, h: Health, age: float) -> None:
    for condition in sorted(h.conditions):
        share = DIAGNOSED.get(condition, 0.0)
        if condition == "ckd":
            share = {"G4": 0.9, "G5": 0.97, "G3b": 0.55}.get(h.ckd_stage, share)
        elif condition == "copd" and h.gold_grade >= 3:
            share = 0.8
        if rng.random() < share:
            span = max(0.3, min(20.0, age - (5.0 if condition in ("asthma", "hbv") else 25.0)))
            h.diagnosed[condition] = rng.uniform(0.0, span)


def _plant_levels(rng: random.Random, h: Health, age: float, female: bool) -> None:
    has, diagnosed = h.conditions, h.diagnosed
    adult = age >= 18
    h.heart_rate = _clip(rng.gauss(76.0 if adult else 95.0, 9.0), 50.0, 130.0)
    if "hypertension" in has:
        controlled = "hypertension" in diagnosed and rng.random() < 0.5
        h.sbp = rng.gauss(132.0, 6.0) if controlled else _clip(rng.gauss(150.0, 11.0), 140.0, 200.0)
        h.dbp = _clip(0.55 * h.sbp + rng.gauss(9.0, 5.0), 65.0, 120.0)
    elif adult:
        h.sbp = _clip(rng.gauss(112.0 + 0.35 * max(0.0, age - 30), 8.0), 95.0, 138.0)
        h.dbp = _clip(0.6 * h.sbp + rng.gauss(4.0, 4.0), 58.0, 88.0)
    else:
        h.sbp = _clip(rng.gauss(100.0, 8.0), 80.0, 125.0)
        h.dbp = _clip(rng.gauss(62.0, 6.0), 45.0, 80.0)
    if "diabetes" in has:
        if "diabetes" in diagnosed:
            h.hba1c = _clip(rng.gauss(7.7, 1.1), 6.5, 13.0)
        else:
            h.hba1c = _clip(rng.gauss(7.0, 0.5), 6.5, 10.0)
    elif "prediabetes" in has:
        h.hba1c = rng.uniform(5.7, 6.4)
    else:
        h.hba1c = _clip(rng.gauss(5.25, 0.2), 4.5, 5.6)
    _plant_kidney(rng, h, age)
    h.cholesterol = _clip(rng.gauss(5.0 + 0.01 * (age - 40), 0.9), 2.8, 9.5)
    h.hdl = _clip(rng.gauss(1.32, 0.28) if female else rng.gauss(1.12, 0.22), 0.6, 2.5)
    h.triglycerides = _clip(_lognormal(rng, 2.0 if "diabetes" in has else 1.4, 0.4), 0.4, 8.0)
    ldl = h.cholesterol - h.hdl - h.triglycerides / 2.2
    if adult and (h.cholesterol >= 6.2 or ldl >= 4.1):
        has.add("dyslipidaemia")
        if rng.random() < DIAGNOSED["dyslipidaemia"]:
            diagnosed["dyslipidaemia"] = rng.uniform(0.0, max(0.3, min(15.0, age - 30)))
    if "heart_failure" in has:
        h.ntprobnp = _clip(_lognormal(rng, 1500.0, 0.8), 300.0, 15000.0)
    else:
        median = (30.0 + 2.5 * max(0.0, age - 40)) * (3.0 if h.egfr < 30 else 1.0)
        h.ntprobnp = _clip(_lognormal(rng, median, 0.7), 5.0, 2500.0)
    if "cirrhosis" in has:
        h.platelets = _clip(rng.gauss(100.0, 30.0), 35.0, 180.0)
        h.afp = _clip(_lognormal(rng, 7.0, 0.9), 1.0, 400.0)
        h.alt = _clip(rng.gauss(55.0, 25.0), 10.0, 250.0)
    elif "hbv" in has or "hcv" in has:
        h.platelets = _clip(rng.gauss(205.0, 45.0), 90.0, 400.0)
        h.afp = _clip(_lognormal(rng, 3.5, 0.5), 0.8, 40.0)
        h.alt = _clip(rng.gauss(48.0, 20.0), 10.0, 200.0)
    else:
        h.platelets = _clip(rng.gauss(255.0, 55.0), 120.0, 450.0)
        h.afp = _clip(_lognormal(rng, 2.5, 0.4), 0.5, 15.0)
        h.alt = _clip(rng.gauss(24.0, 9.0), 7.0, 80.0)


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _plant_kidney(rng: random.Random, h: Health, age: float) -> None:
    stage = h.ckd_stage
    if not stage:
        h.egfr = _clip(rng.gauss(min(125.0, 130.0 - 0.85 * age), 10.0), 61.0, 135.0)
        h.acr = _clip(_lognormal(rng, 8.0, 0.5), 2.0, 29.0)
        h.egfr_slope = 0.8
        return
    h.egfr = rng.uniform(*EGFR_RANGE[stage])
    h.egfr_slope = rng.uniform(1.0, 3.5)
    if stage == "G12":
        albuminuria = "A2" if rng.random() < 0.75 else "A3"
    else:
        albuminuria = ALBUMINURIA.pick(rng)
    if albuminuria == "A1":
        h.acr = rng.uniform(5.0, 29.0)
    elif albuminuria == "A2":
        h.acr = _log_uniform(rng, 30.0, 299.0)
    else:
        h.acr = _log_uniform(rng, 300.0, 3000.0)
    h.ckd_stage = gfr_category(h.egfr)


def _plant_spirometry(rng: random.Random, h: Health, age: float, female: bool) -> None:
    fev1_pred, fvc_pred = predicted_spirometry(age, h.height_cm, female)
    h.fev1_pred = fev1_pred
    if h.gold_grade:
        low, high = FEV1_PERCENT[h.gold_grade]
        h.fev1_post = fev1_pred * rng.uniform(low, high) / 100
        h.fvc_post = h.fev1_post / rng.uniform(0.42, 0.69)
        h.fev1_pre = h.fev1_post / rng.uniform(1.0, 1.08)
        h.fvc_pre = h.fvc_post / rng.uniform(1.0, 1.05)
        return
    if h.smoking != "never" and rng.random() < 0.04:
        # exactly on the GOLD threshold: FEV1/FVC 0.70 is not obstruction
        h.ratio_boundary = True
        h.fvc_post = round(fvc_pred * rng.uniform(0.85, 1.0), 1)
        h.fev1_post = round(0.7 * h.fvc_post, 2)
    else:
        percent = rng.uniform(75.0, 100.0) if h.smoking != "never" else rng.uniform(82.0, 110.0)
        h.fev1_post = fev1_pred * percent / 100
        h.fvc_post = h.fev1_post / _clip(rng.gauss(0.79, 0.04), 0.71, 0.9)
    if "asthma" in h.conditions and rng.random() < 0.6:
        h.fev1_pre = min(h.fev1_post - 0.21, h.fev1_post / rng.uniform(1.13, 1.3))
    else:
        h.fev1_pre = h.fev1_post / rng.uniform(1.0, 1.04)
    h.fvc_pre = h.fvc_post / rng.uniform(1.0, 1.05)


def _plant_regimens(rng: random.Random, h: Health) -> None:
    for condition in sorted(h.diagnosed):
        if condition in ("dyslipidaemia", "prediabetes"):
            continue
        chosen = [med for med, share in REGIMENS.get(condition, ()) if rng.random() < share]
        if condition == "diabetes" and h.egfr < 30 and "metformin" in chosen:
            chosen.remove("metformin")
        if condition == "ckd" and h.ckd_stage in ("G4", "G5") and rng.random() < 0.6:
            chosen.append("epoetin")
        if condition == "hbv":
            h.hbv_treated = "cirrhosis" in h.conditions or rng.random() < 0.45
            if h.hbv_treated:
                chosen.append("entecavir" if rng.random() < 0.5 else "tenofovir")
            h.hcc_surveillance = HCC_SURVEILLANCE.pick(rng)
        if chosen:
            h.regimen[condition] = tuple(chosen)
