"""Turning a patient's visit plan into resources.

For each planned :class:`~carehub.synth.activity.Visit`, :class:`Care` adds
the Encounter and what happens during it: the diagnosis, vital signs, the
tests a clinician of that department orders for the conditions followed
there (with realistic gaps: not every diabetic gets a urine ACR every
year, not every HBV carrier gets six-monthly surveillance), questionnaires,
imaging with its findings, the medicines dispensed and the consumables used.
Diagnosed chronic conditions become problem-list Conditions first.
"""

from __future__ import annotations

import math
import random

from carehub.synth import observations as obs
from carehub.synth.activity import Visit
from carehub.synth.calendar import HospitalCalendar
from carehub.synth.clinical import Health
from carehub.synth.copd_ps import response_items
from carehub.synth.diagnoses import CHRONIC, CKD_BY_STAGE, LUNG_IMAGING_FINDING
from carehub.synth.dispensing import deliver, dispense, pharmacist_ref
from carehub.synth.encounters import chronic_condition, encounter, episode_condition
from carehub.synth.facility import DEPARTMENTS, PHARMACY, doctor_ref
from carehub.synth.formulary import ACUTE_COURSES, INPATIENT_COURSES
from carehub.synth.imaging import (
    INCIDENTAL_NODULES,
    SCREENING_NODULES,
    Nodule,
    evolve,
    new_nodule,
    nodule_findings,
    study,
)
from carehub.synth.population import Person
from carehub.synth.record import Record
from carehub.synth.systems import COPD_PS_QUESTIONNAIRE

YEAR = 365.25
FOLLOW_UP_TESTS: dict[str, tuple[tuple[str, float], ...]] = {
    "hypertension": (("kidney", 0.5), ("acr", 0.25), ("lipids", 0.3), ("glucose", 0.3)),
    "diabetes": (("glucose", 1.0), ("hba1c", -1), ("kidney", 0.6), ("acr", 0.4), ("lipids", 0.3)),
    "ckd": (("kidney", 1.0), ("acr", 0.6)),
    "heart_failure": (("ntprobnp", 0.5), ("kidney", 0.6)),
    "copd": (("spirometry", -4), ("smoking", 0.3)),
    "asthma": (("spirometry", -4), ("smoking", 0.3)),
    "hbv": (("liver", 1.0),),
    "hcv": (("liver", 1.0),),
    "cirrhosis": (("liver", 1.0),),
    "dyslipidaemia": (("lipids", 0.7),),
    "hiv": (("platelets", 0.3),),
}
"""Tests ordered at a follow-up, by condition: ``(panel, probability per visit)``.

HbA1c (-1) is measured about every 90 days, spirometry (-4) about yearly.
Probabilities below one leave realistic gaps (a urine ACR is not done every year).
"""
MAX_DAILY_VITALS = 10
"""Inpatient days with a morning blood pressure and pulse (the first ones of a stay)."""


class Care:
    """Renders the visits of one patient into ``rec``.

    Args:
        rec: where resources go.
        rng: the patient's random stream.
        person: demographics.
        health: planted physiology.
        cal: the run's calendar.
    """

    def __init__(
        self,
        rec: Record,
        rng: random.Random,
        person: Person,
        health: Health,
        cal: HospitalCalendar,
    ) -> None:
        self.rec = rec
        self.rng = rng
        self.person = person
        self.health = health
        self.cal = cal
        self.nodules: list[Nodule] = []
        self.nodules_seen = 0
        self.nodule_condition = False
        self.body_year = -1
        self.hcv_doses = 0
        self.scans = {"ldct": 0, "chest_ct": 0}
        self.largest_nodule: float | None = None
        self.death: str | None = None
        self.pharmacist = pharmacist_ref(rng.randrange(DEPARTMENTS[PHARMACY].doctors))

    # -- whole record -------------------------------------------------------------------
    def chronic_conditions(self) -> None:
        """Add a problem-list Condition for every diagnosed chronic condition."""
        h = self.health
        for key in sorted(h.diagnosed):
            if key not in CHRONIC:
                continue
            code = CKD_BY_STAGE[h.ckd_stage] if key == "ckd" else CHRONIC[key].code
            onset_day = self.cal.last_day + 1 - round(h.diagnosed[key] * YEAR)
            chronic_condition(self.rec, code, self.cal.iso(onset_day), None)

    def render(self, visits: list[Visit]) -> None:
        """Add the resources of every visit, in order."""
        for i, visit in enumerate(visits):
            following = visits[i + 1] if i + 1 < len(visits) else None
            self._visit(visit, following)

    # -- one visit ----------------------------------------------------------------------
    def _contact(self, visit: Visit, encounter_ref: dict[str, str], minute: int) -> obs.Contact:
        cal, person = self.cal, self.person
        day = visit.day + minute // 1440
        y, m, d = cal.ymd[day] if day < len(cal.ymd) else (0, 0, 0)
        birth = person.birth_date
        years = y - birth.year - ((m, d) < (birth.month, birth.day))
        before_end = (cal.last_day - day) / YEAR
        return obs.Contact(
            encounter=encounter_ref,
            when=cal.stamp(visit.day, minute),
            day=day,
            age=person.age_exact - before_end,
            age_years=years,
            female=person.female,
            years_before_end=max(0.0, before_end),
        )

    def _visit(self, visit: Visit, following: Visit | None) -> None:
        rec, cal, rng = self.rec, self.cal, self.rng
        dept = DEPARTMENTS[visit.department]
        condition_id = None
        if visit.reason and visit.kind in ("acute", "emergency", "admission"):
            condition_id = rec.new_id("Condition")
        condition_ref = {"reference": f"Condition/{condition_id}"} if condition_id else None
        doctor = doctor_ref(dept.code, rng.randrange(dept.doctors))
        resource = encounter(rec, cal, visit, doctor, condition_ref)
        encounter_ref = {"reference": f"Encounter/{resource['id']}"}
        if condition_id and visit.reason:
            start = cal.stamp(visit.day, visit.minute)
            end: str | None = cal.iso(visit.day + 7)
            if visit.in_progress:
                end = None
            elif visit.kind == "admission":
                end = cal.stamp(visit.day, visit.minute + visit.minutes)
            elif following and following.admit_source == "emd" and following.start == visit.end:
                end = None if following.in_progress else cal.iso(following.end // 1440)
            episode_condition(rec, condition_id, visit.reason.code, encounter_ref, start, end)
        c = self._contact(visit, encounter_ref, visit.minute + 10)
        getattr(self, f"_{visit.kind}")(visit, c)

    def _blood_draw(self, c: obs.Contact, dept: str, tubes: int) -> None:
        destination = DEPARTMENTS[dept].loc_ref
        deliver(self.rec, c.when, "blood_needle", 1, destination)
        deliver(self.rec, c.when, "blood_tube", max(1, min(tubes, 4)), destination)

    def _body(self, c: obs.Contact) -> None:
        year = self.cal.ymd[c.day][0]
        if year != self.body_year:
            self.body_year = year
            obs.body_size(self.rec, c, self.health, self.rng)

    def _medicines(self, c: obs.Contact, keys: list[str], days: int) -> None:
        for key in dict.fromkeys(keys):
            dispense(self.rec, c.encounter, c.when, key, days, self.pharmacist)

    def _followup(self, visit: Visit, c: obs.Contact) -> None:
        rec, rng, h = self.rec, self.rng, self.health
        manages = visit.manages
        if c.age_years >= 16:
            obs.vitals(rec, c, h, rng, acute=False)
            self._body(c)
        wants: dict[str, float] = {}
        for condition in manages:
            for panel, chance in FOLLOW_UP_TESTS.get(condition, ()):
                if chance < 0:  # -1: as often as the visit interval allows, -4: yearly
                    chance = min(1.0, visit.supply_days / (90 if chance == -1 else 365))
                wants[panel] = max(wants.get(panel, 0.0), chance)
        panels = {p for p, chance in wants.items() if rng.random() < chance}
        hcc = "hcc" in visit.extras
        self._panels(c, panels, hcc)
        tubes = len(panels - {"spirometry", "smoking", "acr"}) + hcc
        if tubes:
            self._blood_draw(c, visit.department, tubes)
        if "acr" in panels:
            deliver(rec, c.when, "urine_cup", 1, DEPARTMENTS[visit.department].loc_ref)
        if hcc:
            study(rec, rng, c.encounter, c.when, "abdominal_us")
        meds: list[str] = []
        for condition in manages:
            if condition == "hcv":
                continue
            meds.extend(h.regimen.get(condition, ()))
        self._medicines(c, meds, visit.supply_days)
        if "hcv" in manages and "hcv" in h.regimen and self.hcv_doses < 3:
            self.hcv_doses += 1
            self._medicines(c, list(h.regimen["hcv"]), 28)
        if "insulin_glargine" in meds:
            deliver(
                rec,
                c.when,
                "glucose_strip",
                visit.supply_days,
                DEPARTMENTS[visit.department].loc_ref,
            )

    def _panels(self, c: obs.Contact, panels: set[str], afp: bool) -> None:
        rec, rng, h = self.rec, self.rng, self.health
        if "kidney" in panels or "acr" in panels:
            obs.kidney(rec, c, h, rng, with_acr="acr" in panels)
        if "glucose" in panels or "hba1c" in panels:
            obs.glycaemia(rec, c, h, rng, with_hba1c="hba1c" in panels)
        if "lipids" in panels:
            obs.lipids(rec, c, h, rng)
        if "liver" in panels or afp:
            obs.liver(rec, c, h, rng, with_afp=afp)
        elif "platelets" in panels:
            obs.platelets(rec, c, h, rng)
        if "ntprobnp" in panels:
            obs.ntprobnp(rec, c, h, rng)
        if "spirometry" in panels and c.age_years >= 18:
            obs.spirometry(rec, c, h, rng)
        if "smoking" in panels and c.age_years >= 15:
            obs.smoking(rec, c, h)

    def _acute(self, visit: Visit, c: obs.Contact) -> None:
        rec, rng = self.rec, self.rng
        respiratory = bool(visit.reason and visit.reason.respiratory)
        obs.vitals(rec, c, self.health, rng, acute=respiratory)
        if c.age_years >= 16 and rng.random() < 0.3:
            obs.platelets(rec, c, self.health, rng)
            self._blood_draw(c, visit.department, 1)
        if visit.reason:
            for key, days in ACUTE_COURSES.get(visit.reason.key, ()):
                dispense(rec, c.encounter, c.when, key, days, self.pharmacist)

    def _checkup(self, visit: Visit, c: obs.Contact) -> None:
        rec, rng, h = self.rec, self.rng, self.health
        obs.vitals(rec, c, h, rng, acute=False)
        self.body_year = -1
        self._body(c)
        obs.smoking(rec, c, h)
        panels = {
            p
            for p, chance in (("glucose", 0.9), ("lipids", 0.7), ("kidney", 0.7), ("liver", 0.6))
            if rng.random() < chance
        }
        if rng.random() < 0.4:
            panels.add("hba1c")
        at_risk = h.has("diabetes") or h.has("hypertension")
        if rng.random() < (0.4 if at_risk else 0.15):
            panels.add("acr")
        if "liver" not in panels and rng.random() < 0.7:
            panels.add("platelets")
        if c.age >= 60 and rng.random() < 0.15:
            panels.add("ntprobnp")
        self._panels(c, panels, afp=False)
        if "hbsag" in visit.extras:
            obs.serology(rec, c, "hbsag", h.has("hbv"))
        if "anti_hcv" in visit.extras:
            obs.serology(rec, c, "anti_hcv", h.has("hcv"))
        self._blood_draw(c, visit.department, 1 + len(panels) // 2)
        if visit.copd_ps:
            rec.add(
                {
                    "resourceType": "QuestionnaireResponse",
                    "id": rec.new_id("QuestionnaireResponse"),
                    "questionnaire": COPD_PS_QUESTIONNAIRE,
                    "status": "completed",
                    "subject": rec.subject,
                    "encounter": c.encounter,
                    "authored": c.when,
                    "item": response_items(visit.copd_ps),
                }
            )

    def _spirometry(self, visit: Visit, c: obs.Contact) -> None:
        obs.smoking(self.rec, c, self.health)
        obs.spirometry(self.rec, c, self.health, self.rng)
        deliver(self.rec, c.when, "spirometry_filter", 1, DEPARTMENTS[visit.department].loc_ref)

    def _ct(self, c: obs.Contact, procedure: str, screening: bool) -> None:
        rec, rng = self.rec, self.rng
        if not self.nodules and not self.nodules_seen:
            table = SCREENING_NODULES if screening else INCIDENTAL_NODULES
            self.nodules = [new_nodule(rng, i + 1) for i in range(table.pick(rng))]
        else:
            self.nodules = evolve(rng, self.nodules, self.nodules_seen + 1)
        self.nodules_seen = max([self.nodules_seen, *(n.number for n in self.nodules)])
        self.scans[procedure] += 1
        for n in self.nodules:
            if self.largest_nodule is None or n.mean > self.largest_nodule:
                self.largest_nodule = n.mean
        if self.largest_nodule is None:
            self.largest_nodule = 0.0
        study_ref = study(rec, rng, c.encounter, c.when, procedure)
        nodule_findings(rec, rng, c.encounter, c.when, study_ref, self.nodules)
        if not self.nodule_condition and any(n.mean >= 6 for n in self.nodules):
            self.nodule_condition = True
            chronic_condition(rec, LUNG_IMAGING_FINDING, c.when, c.encounter)

    def _ldct(self, visit: Visit, c: obs.Contact) -> None:
        obs.smoking(self.rec, c, self.health)
        self._ct(c, "ldct", screening=True)

    def _cervical(self, visit: Visit, c: obs.Contact) -> None:
        positive = self.rng.random() < (0.3 if self.health.has("hiv") else 0.08)
        obs.serology(self.rec, c, "hpv", positive)
        deliver(self.rec, c.when, "gloves", 1, DEPARTMENTS[visit.department].loc_ref)

    def _breast(self, visit: Visit, c: obs.Contact) -> None:
        study(self.rec, self.rng, c.encounter, c.when, "mammography")

    def _emergency(self, visit: Visit, c: obs.Contact) -> None:
        rec, rng, h = self.rec, self.rng, self.health
        obs.vitals(rec, c, h, rng, acute=True)
        key = visit.reason.key if visit.reason else ""
        panels = set()
        if c.age_years >= 16:
            panels = {
                p
                for p, chance in (("kidney", 0.6), ("glucose", 0.5), ("platelets", 0.6))
                if rng.random() < chance
            }
            dyspnoea = key in ("heart_failure", "copd", "chest_pain") or (
                key == "pneumonia" and c.age >= 60
            )
            if dyspnoea and rng.random() < 0.7:
                panels.add("ntprobnp")
        self._panels(c, panels, afp=False)
        ed = DEPARTMENTS["cap-cuu"].loc_ref
        if panels:
            self._blood_draw(c, "cap-cuu", len(panels))
        if "chest_ct" in visit.extras:
            self._ct(c, "chest_ct", screening=False)
        for k, days in ACUTE_COURSES.get(key, ()):
            dispense(rec, c.encounter, c.when, k, days, self.pharmacist)
        deliver(rec, c.when, "gloves", 2, ed)
        deliver(rec, c.when, "syringe", rng.randint(1, 3), ed)
        if rng.random() < 0.5:
            deliver(rec, c.when, "iv_cannula", 1, ed)
            deliver(rec, c.when, "infusion_set", 1, ed)

    def _admission(self, visit: Visit, c: obs.Contact) -> None:
        rec, rng, h, cal = self.rec, self.rng, self.health, self.cal
        ward = DEPARTMENTS[visit.department]
        rec.admissions.append(
            (visit.department, visit.start, -1 if visit.in_progress else visit.end)
        )
        los = max(1, math.ceil(visit.minutes / 1440))
        key = visit.reason.key if visit.reason else ""
        panels = {"kidney", "glucose", "platelets"}
        if key == "heart_failure":
            panels.add("ntprobnp")
        self._panels(c, panels, afp=False)
        for day in range(1, min(los, MAX_DAILY_VITALS)):
            if visit.day + day > cal.last_day:
                break
            morning = self._contact(visit, c.encounter, day * 1440 + 360)
            obs.blood_pressure(rec, morning, h, rng)
        if los >= 3 and not visit.in_progress:
            last = self._contact(visit, c.encounter, visit.minute + visit.minutes - 120)
            obs.kidney(rec, last, h, rng, with_acr=False)
        for med, chance in INPATIENT_COURSES.get(key, (("paracetamol", 1.0),)):
            if rng.random() < chance:
                days = 1 if med == "alteplase" else los
                dispense(rec, c.encounter, c.when, med, days, self.pharmacist, ward.ward_ref)
        where = ward.ward_ref
        self._blood_draw(c, visit.department, 3)
        deliver(rec, c.when, "iv_cannula", math.ceil(los / 3), where)
        deliver(rec, c.when, "infusion_set", los, where)
        deliver(rec, c.when, "syringe", 3 * los, where)
        deliver(rec, c.when, "gloves", 4 * los, where)
        deliver(rec, c.when, "gauze", los, where)
        icu = visit.department == "hoi-suc"
        if rng.random() < (0.8 if icu else 0.12):
            deliver(rec, c.when, "urinary_catheter", 1, where)
        if rng.random() < (
            0.9 if icu else 0.35 if key in ("copd", "pneumonia", "heart_failure") else 0.05
        ):
            deliver(rec, c.when, "oxygen_mask", 1, where)
        if icu and rng.random() < 0.3:
            deliver(rec, c.when, "endotracheal_tube", 1, where)
        if visit.disposition == "exp" and not visit.in_progress:
            self.death = cal.stamp(visit.day, visit.minute + visit.minutes)
