"""What happens to a patient over the years of activity: the visit plan.

:func:`plan_visits` lays out, in time order, every contact of one patient
with the hospital:

* **follow-ups** of diagnosed chronic conditions in their department, every
  30, 60, 90 or 180 days, a few missed;
* **acute** clinic visits (respiratory ones in the respiratory season);
* **health checks** at the Khoa Khám bệnh, which may include the COPD
  Population Screener, then spirometry when it is positive, and referrals
  for cervical (HPV) or breast (mammography) screening;
* **low-dose CT** lung screening for (mostly eligible) smokers, repeated
  yearly for some;
* **emergency** arrivals, general or exacerbations of a chronic condition,
  some admitted (class IMP) to a ward for a length of stay drawn around the
  reason's median, a few dying in hospital, after which nothing follows;
* **elective admissions** (surgery) and **deliveries**.

Days come from :class:`carehub.synth.calendar.HospitalCalendar`, so every
visit kind carries the weekday, seasonal and holiday patterns.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from carehub.synth.calendar import HospitalCalendar
from carehub.synth.clinical import Health
from carehub.synth.copd_ps import copd_ps_answers, copd_ps_score
from carehub.synth.diagnoses import CHRONIC, Reason, exacerbation, reason_table, reasons
from carehub.synth.facility import WARDS
from carehub.synth.population import Person
from carehub.synth.sampling import Weighted, by_age, poisson

ACUTE_RATE = ((0, 1.2), (5, 0.5), (18, 0.35), (40, 0.5), (60, 0.8))
"""Acute clinic visits per person-year, by age."""
EMERGENCY_RATE = ((0, 0.15), (5, 0.06), (18, 0.07), (60, 0.12), (75, 0.2))
EXACERBATION_RATE = {"heart_failure": 0.5, "copd": 0.3, "asthma": 0.12, "cirrhosis": 0.3}
BIRTH_RATE = ((18, 0.04), (20, 0.09), (25, 0.11), (30, 0.08), (35, 0.04), (40, 0.01), (43, 0.0))
ELECTIVE_RATE = 0.012
HEALTH_CHECK_RATE = 0.22
LDCT_UPTAKE, LDCT_OPPORTUNISTIC, LDCT_REPEAT = 0.3, 0.04, 0.6
FOLLOW_UP_INTERVALS = Weighted([(30, 0.35), (60, 0.25), (90, 0.4)])
MISSED_VISIT = 0.08
WARD_FALLBACK = {
    "da-lieu": "truyen-nhiem",
    "tai-mui-hong": "ngoai-tong-hop",
    "mat": "ngoai-tong-hop",
}
DISPOSITIONS = Weighted([("home", 0.95), ("aadvice", 0.03), ("other-hcf", 0.02)])
YEAR = 365.25


@dataclass(slots=True)
class Visit:
    """One planned contact.

    Attributes:
        cls: ``AMB``, ``EMER`` or ``IMP`` (v3 ActCode).
        kind: ``followup``, ``acute``, ``checkup``, ``spirometry``, ``ldct``,
            ``cervical``, ``breast``, ``emergency`` or ``admission``.
        department: department code.
        day: day number of arrival.
        minute: arrival minute of that day.
        minutes: duration in minutes.
        reason: the problem treated, when there is one.
        manages: chronic conditions followed up at this visit.
        supply_days: days of chronic medicines dispensed.
        admit_source: for admissions, ``emd`` (from emergency) or ``outp``.
        disposition: for admissions, a discharge-disposition code.
        in_progress: the admission runs past the end date.
        copd_ps: the screener's five answers, when administered.
        extras: tests ordered besides the routine ones (``hbsag``, ``hcc``,
            ``chest_ct``, ``ldct_repeat``...).
    """

    cls: str
    kind: str
    department: str
    day: int
    minute: int
    minutes: int
    reason: Reason | None = None
    manages: tuple[str, ...] = ()
    supply_days: int = 0
    admit_source: str = ""
    disposition: str = ""
    in_progress: bool = False
    copd_ps: tuple[str, str, str, str, int] | None = None
    extras: set[str] = field(default_factory=set)

    @property
    def start(self) -> int:
        """Arrival as minutes since day 0."""
        return self.day * 1440 + self.minute

    @property
    def end(self) -> int:
        """Departure as minutes since day 0."""
        return self.start + self.minutes


class _Planner:
    """Builds the visit list of one patient (internal state of :func:`plan_visits`)."""

    def __init__(self, rng: random.Random, person: Person, health: Health, cal: HospitalCalendar):
        self.rng = rng
        self.person = person
        self.health = health
        self.cal = cal
        self.first_day = max(0, cal.day_of(person.birth_date) + 1)
        self.visits: list[Visit] = []

    def age_at(self, day: int) -> float:
        return self.person.age_exact - (self.cal.last_day - day) / YEAR

    def years_alive(self) -> float:
        return (self.cal.last_day - self.first_day + 1) / YEAR

    def clinic_visit(self, kind: str, dept: str, day: int, reason: Reason | None = None) -> Visit:
        minute = self.cal.outpatient_minute(self.rng, day)
        visit = Visit("AMB", kind, dept, day, minute, self.rng.randint(10, 45), reason)
        self.visits.append(visit)
        return visit

    # -- follow-ups -------------------------------------------------------------------
    def follow_ups(self) -> None:
        h = self.health
        clinics: dict[str, list[str]] = {}
        for condition in sorted(h.diagnosed):
            if condition == "prediabetes":
                continue
            clinics.setdefault(self._clinic_of(condition), []).append(condition)
        for dept, conditions in sorted(clinics.items()):
            self._series(dept, tuple(conditions))

    def _clinic_of(self, condition: str) -> str:
        h = self.health
        if condition == "ckd":
            severe = h.ckd_stage in ("G3b", "G4", "G5") or h.acr >= 300
            if not severe and "diabetes" in h.diagnosed:
                return "noi-tiet"
            if not severe and "hypertension" in h.diagnosed:
                return "noi-tim-mach"
            return "than"
        if condition == "asthma" and self.person.age < 16:
            return "nhi"
        if condition == "dyslipidaemia" and "diabetes" in h.diagnosed:
            return "noi-tiet"
        return CHRONIC[condition].department

    def _interval(self, dept: str, conditions: tuple[str, ...]) -> int:
        h = self.health
        if dept == "truyen-nhiem":
            return 30 if self.rng.random() < 0.5 else 90
        if dept == "than":
            return 30 if h.ckd_stage in ("G4", "G5") else 90
        if dept == "tieu-hoa":
            return 90 if h.hbv_treated or "cirrhosis" in conditions else 180
        if dept in ("ho-hap", "nhi"):
            return 90 if "copd" in conditions else 180
        if conditions == ("dyslipidaemia",):
            return 180
        return FOLLOW_UP_INTERVALS.pick(self.rng)

    def _series(self, dept: str, conditions: tuple[str, ...]) -> None:
        rng, cal = self.rng, self.cal
        interval = self._interval(dept, conditions)
        kind = "respiratory" if dept == "ho-hap" else "outpatient"
        dx_day = min(cal.last_day + 1 - round(self.health.diagnosed[c] * YEAR) for c in conditions)
        nominal = float(dx_day) if dx_day > 0 else rng.uniform(0, interval)
        while nominal <= cal.last_day:
            if rng.random() >= MISSED_VISIT or nominal == dx_day:
                day = cal.pick(kind, rng, int(nominal) - 3, int(nominal) + 10)
                if day >= self.first_day:
                    visit = self.clinic_visit("followup", dept, day)
                    visit.manages, visit.supply_days = conditions, interval
                    if "hbv" in conditions and rng.random() < self.health.hcc_surveillance:
                        visit.extras.add("hcc")
            nominal += interval * rng.uniform(0.9, 1.15)

    # -- clinic visits ------------------------------------------------------------------
    def acute(self) -> None:
        rng, person = self.rng, self.person
        rate = by_age(person.age_exact, ACUTE_RATE)
        for _ in range(poisson(rng, rate * self.years_alive())):
            day = self.cal.pick("outpatient", rng, self.first_day, self.cal.last_day)
            age = self.age_at(day)
            table = reason_table("acute", person.female, min(int(age) // 5, 23))
            if table is None:
                continue
            reason = table.pick(rng)
            if reason.respiratory:
                day = self.cal.pick("respiratory", rng, self.first_day, self.cal.last_day)
            dept = reason.child_department if age < 16 else reason.department
            self.clinic_visit("acute", dept, day, reason=reason)

    def health_checks(self) -> None:
        rng, cal, h = self.rng, self.cal, self.health
        for k in range(math.ceil((cal.last_day + 1) / YEAR)):
            first, last = round(k * YEAR), min(cal.last_day, round((k + 1) * YEAR) - 1)
            share = (last - first + 1) / YEAR
            if last < self.first_day or rng.random() >= HEALTH_CHECK_RATE * share:
                continue
            day = cal.pick("outpatient", rng, max(first, self.first_day), last)
            age = self.age_at(day)
            if age < 18:
                continue
            visit = self.clinic_visit("checkup", "kham-benh", day)
            if "hbv" not in h.diagnosed and rng.random() < 0.35:
                visit.extras.add("hbsag")
            if rng.random() < 0.2:
                visit.extras.add("anti_hcv")
            if age >= 35 and rng.random() < (0.7 if h.smoking != "never" else 0.4):
                visit.copd_ps = copd_ps_answers(rng, h, int(age))
                if copd_ps_score(visit.copd_ps) >= 5 and rng.random() < 0.7:
                    later = cal.pick("respiratory", rng, day + 7, day + 45)
                    if later > day:
                        self.clinic_visit("spirometry", "ho-hap", later)
            elif age >= 40 and h.smoking != "never" and rng.random() < 0.05:
                self.clinic_visit(
                    "spirometry", "ho-hap", cal.pick("outpatient", rng, day + 1, day + 30)
                )
            if self.person.female and 30 <= age <= 65 and rng.random() < 0.2:
                self.clinic_visit("cervical", "san", cal.pick("outpatient", rng, day + 1, day + 30))
            if self.person.female and 40 <= age <= 74 and rng.random() < 0.15:
                self.clinic_visit(
                    "breast", "ung-buou", cal.pick("outpatient", rng, day + 1, day + 30)
                )

    def lung_screening(self) -> None:
        rng, cal, h = self.rng, self.cal, self.health
        mid_age = self.age_at(cal.last_day // 2)
        status, pack_years, quit = h.smoking_at(mid_age)
        if status == "never" or mid_age < 40:
            return
        eligible = 50 <= mid_age <= 80 and pack_years >= 20 and quit <= 15
        if rng.random() >= (LDCT_UPTAKE if eligible else LDCT_OPPORTUNISTIC):
            return
        day = cal.pick("outpatient", rng, self.first_day, max(self.first_day, cal.last_day - 120))
        visit = self.clinic_visit("ldct", "ung-buou", day)
        while rng.random() < LDCT_REPEAT:
            nominal = day + rng.randint(335, 400)
            if nominal > cal.last_day:
                break
            day = cal.pick("outpatient", rng, nominal - 5, nominal + 10)
            visit = self.clinic_visit("ldct", "ung-buou", day)
            visit.extras.add("ldct_repeat")

    # -- emergency and admissions -------------------------------------------------------
    def emergencies(self) -> None:
        rng, person, h = self.rng, self.person, self.health
        years = self.years_alive()
        events: list[Reason] = []
        table = reason_table("emergency", person.female, min(person.age // 5, 23))
        for _ in range(poisson(rng, by_age(person.age_exact, EMERGENCY_RATE) * years)):
            if table is not None:
                events.append(table.pick(rng))
        for condition, rate in EXACERBATION_RATE.items():
            if condition in h.conditions:
                boost = 1.0 + (h.gold_grade - 1) * 0.5 if condition == "copd" else 1.0
                events.extend([exacerbation(condition)] * poisson(rng, rate * boost * years))
        for reason in events:
            kind = "emergency_respiratory" if reason.respiratory else "emergency"
            day = self.cal.pick(kind, rng, self.first_day, self.cal.last_day)
            age = self.age_at(day)
            if not reason.fits(age, person.female):
                continue
            minute = self.cal.emergency_minute(rng)
            visit = Visit("EMER", "emergency", "cap-cuu", day, minute, rng.randint(60, 360), reason)
            chest = reason.key in ("chest_pain", "pneumonia", "head_injury", "copd")
            if chest and age >= 35 and rng.random() < 0.15:
                visit.extras.add("chest_ct")
            self.visits.append(visit)
            admit = min(0.98, reason.admit * (1.2 if age >= 65 else 1.0))
            if rng.random() < admit:
                self.admit(reason, visit.end, age, "emd")

    def admit(self, reason: Reason, start: int, age: float, source: str) -> None:
        rng = self.rng
        ward = reason.child_department if age < 16 else reason.department
        ward = WARD_FALLBACK.get(ward, ward)
        if ward not in WARDS:
            ward = "nhi" if age < 16 else "truyen-nhiem"
        if reason.mortality >= 0.03 and rng.random() < 0.15:
            ward = "hoi-suc"
        los = max(1, round(reason.los_days * math.exp(rng.gauss(0.0, 0.45))))
        mortality = (
            reason.mortality * (1.0 + max(0.0, age - 60) / 15) * (2 if ward == "hoi-suc" else 1)
        )
        disposition = "exp" if rng.random() < mortality else DISPOSITIONS.pick(rng)
        if disposition == "exp":
            los = rng.randint(1, los)
        day = start // 1440
        leave = (day + los) * 1440 + rng.randint(480, 660)
        visit = Visit("IMP", "admission", ward, day, start % 1440, max(60, leave - start), reason)
        visit.admit_source, visit.disposition = source, disposition
        visit.in_progress = day + los > self.cal.last_day
        self.visits.append(visit)

    def electives(self) -> None:
        rng, person, cal = self.rng, self.person, self.cal
        adult_years = max(0.0, min(self.years_alive(), person.age_exact - 18))
        events: list[Reason] = []
        table = reason_table("elective", person.female, min(person.age // 5, 23))
        for _ in range(poisson(rng, ELECTIVE_RATE * adult_years)):
            if table is not None:
                events.append(table.pick(rng))
        if person.female:
            births = poisson(rng, by_age(person.age_exact, BIRTH_RATE) * self.years_alive())
            deliveries = Weighted((r, r.weight) for r in reasons() if r.group == "delivery")
            events.extend(deliveries.pick(rng) for _ in range(min(births, 2)))
        for reason in events:
            day = cal.pick("elective", rng, self.first_day, cal.last_day)
            if reason.fits(self.age_at(day), person.female):
                self.admit(reason, day * 1440 + rng.randint(420, 600), self.age_at(day), "outp")


def plan_visits(
    rng: random.Random, person: Person, health: Health, cal: HospitalCalendar
) -> list[Visit]:
    """Every visit of ``person`` in time order, stopping at an in-hospital death.

    Args:
        rng: the person's random stream.
        person: demographics.
        health: the planted physiology.
        cal: the run's calendar.

    Returns:
        visits sorted by arrival; when an admission ends in death
        (``disposition == "exp"``) it is the last visit.
    """
    planner = _Planner(rng, person, health, cal)
    planner.follow_ups()
    planner.acute()
    if person.age_exact >= 18:
        planner.health_checks()
        planner.lung_screening()
    planner.emergencies()
    planner.electives()
    visits = [v for v in planner.visits if v.day >= planner.first_day]
    visits.sort(key=lambda v: (v.start, v.cls))
    for i, visit in enumerate(visits):
        if visit.disposition == "exp":
            return visits[: i + 1]
    return visits
