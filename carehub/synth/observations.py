"""Observation resources: vital signs, laboratory results, smoking, spirometry.

https://hl7.org/fhir/R4/observation.html and
https://hl7.org/fhir/R4/observation-vitalsigns.html

Every value derives from the patient's planted :class:`~carehub.synth.clinical.Health`
with measurement noise and, for kidney function, a yearly decline: the
value of day *d* is the end-date value plus the decline of the years between
*d* and the end date. eGFR is reported from the *reported* (rounded)
creatinine with the CKD-EPI 2021 equation and the patient's age in completed
years on the day of the test, so the pair always agrees.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from carehub.synth import systems
from carehub.synth.clinical import Health
from carehub.synth.labs import UMOL_PER_MG_DL, creatinine_for_egfr, egfr_from_umol, ldl_friedewald
from carehub.synth.measures import NEGATIVE, POSITIVE, SMOKING_STATUS, measures
from carehub.synth.record import Record

YEAR = 365.25


@dataclass(slots=True)
class Contact:
    """Where and when observations are made.

    Attributes:
        encounter: reference to the Encounter.
        when: ``effectiveDateTime`` of the observations.
        day: day number.
        age: exact age in years on that day.
        age_years: completed years on that day.
        female: the patient's sex.
        years_before_end: years between the day and the end date.
    """

    encounter: dict[str, str]
    when: str
    day: int
    age: float
    age_years: int
    female: bool
    years_before_end: float


def _base(rec: Record, c: Contact, key: str) -> dict[str, Any]:
    m = measures()[key]
    return {
        "resourceType": "Observation",
        "id": rec.new_id("Observation"),
        "status": "final",
        "category": m.category,
        "code": m.concept,
        "subject": rec.subject,
        "encounter": c.encounter,
        "effectiveDateTime": c.when,
    }


def quantity(rec: Record, c: Contact, key: str, value: float) -> dict[str, Any]:
    """Add an Observation of measure ``key`` with a UCUM ``valueQuantity``."""
    obs = _base(rec, c, key)
    unit = measures()[key].unit
    obs["valueQuantity"] = {"value": value, "unit": unit, "system": systems.UCUM, "code": unit}
    return rec.add(obs)


def coded(rec: Record, c: Contact, key: str, concept: dict[str, Any]) -> dict[str, Any]:
    """Add an Observation of measure ``key`` with a ``valueCodeableConcept``."""
    obs = _base(rec, c, key)
    obs["valueCodeableConcept"] = concept
    return rec.add(obs)


def serology(rec: Record, c: Contact, key: str, positive: bool) -> dict[str, Any]:
    """Add a qualitative test result (HBsAg, anti-HCV, HPV): positive or negative."""
    return coded(rec, c, key, POSITIVE if positive else NEGATIVE)


def _component(key: str, value: float) -> dict[str, Any]:
    m = measures()[key]
    return {
        "code": m.concept,
        "valueQuantity": {"value": value, "unit": m.unit, "system": systems.UCUM, "code": m.unit},
    }


def blood_pressure(rec: Record, c: Contact, h: Health, rng: random.Random) -> None:
    """Add a blood-pressure panel (systolic and diastolic components)."""
    sbp = round(h.sbp + rng.gauss(0.0, 6.0))
    dbp = round(min(h.dbp + rng.gauss(0.0, 4.0), sbp - 20))
    obs = _base(rec, c, "bp")
    obs["component"] = [_component("sbp", sbp), _component("dbp", dbp)]
    rec.add(obs)


def vitals(rec: Record, c: Contact, h: Health, rng: random.Random, acute: bool) -> None:
    """Blood pressure and heart rate; acute visits add temperature, breathing and SpO2."""
    blood_pressure(rec, c, h, rng)
    quantity(rec, c, "heart_rate", round(h.heart_rate + rng.gauss(0.0, 6.0) + (10 if acute else 0)))
    if acute:
        quantity(rec, c, "temperature", round(rng.gauss(37.6, 0.7), 1))
        quantity(rec, c, "resp_rate", round(rng.gauss(20.0, 3.0)))
        quantity(rec, c, "spo2", min(100, round(rng.gauss(96.0, 2.0))))


def body_size(rec: Record, c: Contact, h: Health, rng: random.Random) -> None:
    """Height, weight and the BMI computed from them."""
    height = round(h.height_cm, 1)
    weight = round(h.bmi * (height / 100) ** 2 * rng.gauss(1.0, 0.015), 1)
    quantity(rec, c, "height", height)
    quantity(rec, c, "weight", weight)
    quantity(rec, c, "bmi", round(weight / (height / 100) ** 2, 1))


def kidney(rec: Record, c: Contact, h: Health, rng: random.Random, with_acr: bool) -> None:
    """Creatinine (µmol/L), the eGFR computed from it (adults), and optionally urine ACR."""
    true_egfr = min(135.0, h.egfr + h.egfr_slope * c.years_before_end)
    scr = creatinine_for_egfr(true_egfr, max(c.age, 18.0), c.female) * UMOL_PER_MG_DL
    scr_umol = max(20, round(scr * rng.gauss(1.0, 0.04)))
    quantity(rec, c, "creatinine", scr_umol)
    if c.age_years >= 18:
        quantity(rec, c, "egfr", egfr_from_umol(scr_umol, c.age_years, c.female))
    if with_acr:
        quantity(rec, c, "acr", round(h.acr * rng.lognormvariate(0.0, 0.2), 1))


def glycaemia(rec: Record, c: Contact, h: Health, rng: random.Random, with_hba1c: bool) -> None:
    """Fasting glucose (mmol/L) in line with HbA1c, and optionally HbA1c itself."""
    hba1c = round(max(4.0, h.hba1c + rng.gauss(0.0, 0.25)), 1)
    glucose = 1.59 * hba1c - 2.59 - 0.5 + rng.gauss(0.0, 0.4)
    quantity(rec, c, "glucose", round(max(3.5, glucose), 1))
    if with_hba1c:
        quantity(rec, c, "hba1c", hba1c)


def lipids(rec: Record, c: Contact, h: Health, rng: random.Random) -> None:
    """Total, HDL and LDL cholesterol and triglycerides (mmol/L); LDL by Friedewald."""
    total = round(h.cholesterol * rng.gauss(1.0, 0.04), 2)
    hdl = round(h.hdl * rng.gauss(1.0, 0.04), 2)
    tg = round(h.triglycerides * rng.gauss(1.0, 0.08), 2)
    quantity(rec, c, "cholesterol", total)
    quantity(rec, c, "hdl", hdl)
    quantity(rec, c, "triglycerides", tg)
    if tg < 4.5:
        quantity(rec, c, "ldl", max(0.3, ldl_friedewald(total, hdl, tg)))


def liver(rec: Record, c: Contact, h: Health, rng: random.Random, with_afp: bool) -> None:
    """ALT and platelets, and AFP for liver-cancer surveillance."""
    quantity(rec, c, "alt", round(h.alt * rng.gauss(1.0, 0.1)))
    quantity(rec, c, "platelets", round(h.platelets * rng.gauss(1.0, 0.06)))
    if with_afp:
        quantity(rec, c, "afp", round(h.afp * rng.lognormvariate(0.0, 0.15), 1))


def platelets(rec: Record, c: Contact, h: Health, rng: random.Random) -> None:
    """A platelet count alone (part of the blood count)."""
    quantity(rec, c, "platelets", round(h.platelets * rng.gauss(1.0, 0.06)))


def ntprobnp(rec: Record, c: Contact, h: Health, rng: random.Random) -> None:
    """NT-proBNP (pg/mL)."""
    quantity(rec, c, "ntprobnp", round(h.ntprobnp * rng.lognormvariate(0.0, 0.15)))


def smoking(rec: Record, c: Contact, h: Health) -> None:
    """Smoking status, and for ever-smokers pack-years and years since quitting."""
    status, pack_years, quit = h.smoking_at(c.age)
    coded(rec, c, "smoking_status", SMOKING_STATUS[status])
    if status != "never":
        quantity(rec, c, "pack_years", round(pack_years, 1))
    if status == "former":
        quantity(rec, c, "years_since_quit", round(quit, 1))


def spirometry(rec: Record, c: Contact, h: Health, rng: random.Random) -> None:
    """FEV1 and FVC before and after bronchodilator, their ratios, FEV1 %-predicted (post)."""
    drift = 1.0 if h.ratio_boundary else rng.gauss(1.0, 0.015)
    fev1_post = round(h.fev1_post * drift, 2)
    fvc_post = round(h.fvc_post * drift, 2)
    fev1_pre = round(h.fev1_pre * drift, 2)
    fvc_pre = round(h.fvc_pre * drift, 2)
    for key, value in (
        ("fev1_pre", fev1_pre),
        ("fvc_pre", fvc_pre),
        ("ratio_pre", round(100 * fev1_pre / fvc_pre, 1)),
        ("fev1_post", fev1_post),
        ("fvc_post", fvc_post),
        ("ratio_post", round(100 * fev1_post / fvc_post, 1)),
        ("fev1_pct_post", round(100 * fev1_post / h.fev1_pred, 1)),
    ):
        quantity(rec, c, key, value)
