"""Lung-cancer screening (USPSTF 2021, Lung-RADS v2022) and incidental nodules (Fleischner 2017).

USPSTF 2021 (Krist AH et al., JAMA 2021;325:962-970); ACR Lung-RADS v2022
(https://www.acr.org/Clinical-Resources/Reporting-and-Data-Systems/Lung-Rads);
Fleischner Society 2017 (MacMahon H et al., Radiology 2017;284:228-243).

* **Eligible for screening:** 50-80 years, 20 pack-years or more, smoking now
  or quit within 15 years (the latest smoking history on record). No smoking
  history is ``insufficient_data``.
* **Screening:** no low-dose CT yet is ``due``; after one, the worst
  Lung-RADS category over its nodules sets the interval (12, 6 or 3 months)
  and 4B/4X is a ``referral``. A nodule is *new* on a follow-up scan when its
  identifier was on no earlier scan.
* **Incidental nodules** on a diagnostic chest CT (adults 35 and over, no
  known cancer) get the Fleischner recommendation for the largest nodule.
"""

from __future__ import annotations

import datetime
import re

from carehub.screening import codes
from carehub.screening.messages import msg, term
from carehub.screening.programmes.base import Findings, Profile, Programme, calc
from carehub.screening.recommendation import Recommendation, timing_status, used
from carehub.screening.snapshot import Fact, Nodule, PatientSnapshot, add_months

GUIDELINE = "USPSTF 2021 lung cancer screening"
LUNG_RADS = "ACR Lung-RADS v2022"
FLEISCHNER = "Fleischner 2017"
TYPES = {"solid": "solid", "part-solid": "part_solid", "ground-glass": "ground_glass"}
RANK = {"0": 0, "1": 1, "2": 2, "3": 3, "4A": 4, "4B": 5, "4X": 6}
INTERVAL_MONTHS = {"0": 2, "1": 12, "2": 12, "3": 6, "4A": 3}


def _studies(s: PatientSnapshot, code: str) -> list[Fact]:
    return sorted(s.series(code, "study"), key=lambda f: f.date or datetime.date.min)


def lung_rads(
    nodules: list[Nodule], follow_up: bool, seen: set[str]
) -> tuple[str, str, Nodule | None]:
    """The exam's Lung-RADS category and management, and the nodule that set them."""
    worst, management, which = "1", "12-month LDCT", None
    for nodule in nodules:
        if nodule.calcified or nodule.mean_diameter_mm is None or nodule.type not in TYPES:
            continue
        inputs: dict[str, object] = {
            "exam": "follow_up" if follow_up else "baseline",
            "type": TYPES[nodule.type],
            "mean_diameter_mm": round(nodule.mean_diameter_mm, 1),
        }
        if nodule.type == "part-solid" and nodule.solid_component_mm is not None:
            inputs["solid_component_mm"] = round(nodule.solid_component_mm, 1)
        if follow_up:
            inputs["new"] = nodule.identifier not in seen
        if nodule.perifissural and nodule.type == "solid":
            inputs["perifissural_or_juxtapleural_benign_morphology"] = True
        result = calc("lung_rads_v2022", **inputs)
        category = str(result["category"])
        if RANK.get(category, 0) > RANK.get(worst, 0):
            worst, management, which = category, str(result["management"]), nodule
    return worst, management, which


def _screening(f: Findings, s: PatientSnapshot, smoking_used: tuple[Fact, ...]) -> None:
    scans = _studies(s, codes.LDCT_SCREENING)
    if not scans:
        f.add(
            "ldct_due",
            "due",
            msg("screen.lung_cancer.ldct_due.title"),
            msg("screen.lung_cancer.ldct_due.detail"),
            GUIDELINE,
            due=s.as_of,
            data=used(smoking_used),
        )
        return
    seen: set[str] = set()
    for earlier in scans[:-1]:
        seen.update(n.identifier or "" for n in s.nodules(earlier.ref or ""))
    last = scans[-1]
    nodules = s.nodules(last.ref or "")
    category, _management, nodule = lung_rads(nodules, len(scans) > 1, seen)
    values = {"lung_rads": category, "nodules": len(nodules)}
    nodule_facts = [x for x in s.of_kind("nodule") if x.ref == last.ref]
    data = used(smoking_used, last, nodule_facts)
    if category in ("4B", "4X"):
        f.add(
            "lung_rads_4b",
            "referral",
            msg("screen.lung_cancer.lung_rads_4b.title", category=category),
            msg("screen.lung_cancer.lung_rads_4b.detail_nodule", date=last.date,
                category=category, type=term("nodule", nodule.type or "solid"),
                size=nodule.mean_diameter_mm, management=term("lung_rads", category))
            if nodule else
            msg("screen.lung_cancer.lung_rads_4b.detail", date=last.date, category=category,
                management=term("lung_rads", category)),
            LUNG_RADS,
            due=s.as_of,
            data=data,
            values=values,
        )
        return
    months = INTERVAL_MONTHS.get(category, 12)
    due = add_months(last.date or s.as_of, months)
    status = timing_status(s.as_of, due)
    if category in ("3", "4A", "0") and status == "up_to_date":
        status = "positive"
    f.add(
        "ldct_follow_up",
        status,
        msg("screen.lung_cancer.ldct_follow_up.title", category=category,
            management=term("lung_rads", category)),
        msg("screen.lung_cancer.ldct_follow_up.detail", date=last.date, category=category,
            management=term("lung_rads", category), due=due),
        LUNG_RADS,
        due=due,
        recall_months=months,
        data=data,
        values=values,
    )


def _months(text: str) -> int | None:
    """The first interval in months named in a recommendation text.

    >>> _months("CT at 6-12 months, then CT at 18-24 months"), _months("No routine follow-up")
    (6, None)
    """
    match = re.search(r"(\d+)(?:\s*[-–]\s*\d+)?\s*months?", text)
    return int(match.group(1)) if match else None


def _incidental(f: Findings, s: PatientSnapshot, high_risk: bool) -> None:
    cts = _studies(s, codes.CHEST_CT)
    if not cts or s.age is None or s.age < 35 or s.diagnosis(codes.ANY_CANCER):
        return
    last = cts[-1]
    nodules = [
        n for n in s.nodules(last.ref or "")
        if not n.calcified and n.type in TYPES and n.long_axis_mm and n.short_axis_mm
    ]
    if not nodules:
        return
    top = max(nodules, key=lambda n: (n.mean_diameter_mm or 0.0))
    assert top.long_axis_mm is not None and top.short_axis_mm is not None
    size = round((top.long_axis_mm + top.short_axis_mm) / 2)
    inputs: dict[str, object] = {
        "type": TYPES[top.type or "solid"],
        "multiplicity": "multiple" if len(nodules) > 1 else "single",
        "size_mm": size,
    }
    if top.type == "solid":
        inputs["risk"] = "high" if high_risk else "low"
    if top.type == "part-solid" and top.solid_component_mm is not None:
        inputs["solid_component_mm"] = round(top.solid_component_mm)
    result = calc("fleischner2017", **inputs)
    if not result.applicable:
        return
    text = str(result["recommendation"])
    data = used(last, [x for x in s.of_kind("nodule") if x.ref == last.ref])
    values = {"fleischner": text, "size_mm": size}
    if text.startswith("No routine"):
        return
    if "PET" in text or "tissue" in text:
        f.add("fleischner_workup", "referral", msg("screen.lung_cancer.fleischner_workup.title"),
              msg("screen.lung_cancer.fleischner_workup.detail",
                  advice=term("fleischner", text)),
              FLEISCHNER, due=s.as_of, data=data, values=values)
        return
    months = _months(text) or 12
    due = add_months(last.date or s.as_of, months)
    status = timing_status(s.as_of, due)
    f.add(
        "fleischner_follow_up",
        "positive" if status == "up_to_date" else status,
        msg("screen.lung_cancer.fleischner_follow_up.title", size=size),
        msg("screen.lung_cancer.fleischner_follow_up.detail", date=last.date,
            type=term("nodule", top.type or "solid"), size=size,
            advice=term("fleischner", text)),
        FLEISCHNER,
        due=due,
        recall_months=months,
        data=data,
        values=values,
    )


def evaluate(s: PatientSnapshot, profile: Profile) -> list[Recommendation]:
    """The lung-cancer programme's recommendations for one patient."""
    f = Findings("lung_cancer", s)
    age = s.age
    if age is None or age < 35:
        return f.not_eligible(msg("screen.lung_cancer.under_35"), GUIDELINE)
    if s.diagnosis(codes.LUNG_CANCER):
        return f.not_eligible(msg("screen.lung_cancer.known_cancer"), GUIDELINE)
    smoking = s.smoking()
    ever = smoking is not None and smoking.status != "never"
    _incidental(f, s, high_risk=ever)
    if smoking is None:
        if 50 <= age <= 80:
            f.add(
                "smoking_history",
                "insufficient_data",
                msg("screen.lung_cancer.smoking_history.title"),
                msg("screen.lung_cancer.smoking_history.detail"),
                GUIDELINE,
                needs=("smoking status", "pack-years"),
            )
        return f.out
    inputs: dict[str, object] = {
        "age": age,
        "pack_years": smoking.pack_years or 0.0,
        "smoking_status": smoking.status,
    }
    if smoking.status == "former":
        if smoking.years_since_quit is None:
            f.add("smoking_history", "insufficient_data",
                  msg("screen.lung_cancer.quit_date.title"),
                  msg("screen.lung_cancer.quit_date.detail"), GUIDELINE,
                  data=used(smoking.facts), needs=("years since quitting",))
            return f.out
        inputs["years_since_quit"] = round(smoking.years_since_quit, 1)
    eligible = calc("uspstf2021_lung_screening_eligible", **inputs)["eligible"]
    if not eligible:
        if not f.out:
            f.not_eligible(
                msg("screen.lung_cancer.not_eligible", age=age,
                    status=term("smoking", smoking.status), pack_years=smoking.pack_years or 0.0),
                GUIDELINE,
            )
        return f.out
    _screening(f, s, smoking.facts)
    return f.out


PROGRAMME = Programme(
    id="lung_cancer",
    title="Lung-cancer screening and lung nodules",
    guidelines="USPSTF 2021; ACR Lung-RADS v2022; Fleischner 2017",
    evaluate=evaluate,
)
