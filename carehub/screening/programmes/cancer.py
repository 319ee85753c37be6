"""Cervical, breast, colorectal and gastric cancer screening.

WHO 2021 cervical screening guideline (2nd ed.); USPSTF 2024 breast (Nicholson
WK et al., JAMA 2024;331:1918-1930); USPSTF 2021 colorectal (Davidson KW et
al., JAMA 2021;325:1965-1977); gastric: Asia-Pacific consensus, modelled as
opportunistic endoscopy from 40 in Viet Nam (no national programme).

Each site is one rule of the ``cancer`` programme: eligible people with no
test in the interval are ``due`` (``overdue`` after the grace period); a
positive HPV test is ``positive`` (triage).
"""

from __future__ import annotations

from carehub.screening import codes
from carehub.screening.messages import msg
from carehub.screening.programmes.base import Findings, Profile, Programme, calc, next_due
from carehub.screening.recommendation import Recommendation, timing_status, used
from carehub.screening.snapshot import PatientSnapshot

CERVICAL = "WHO 2021 cervical screening"
BREAST = "USPSTF 2024 breast"
COLORECTAL = "USPSTF 2021 colorectal"
GASTRIC = "Asia-Pacific gastric cancer consensus"


def _cervical(f: Findings, s: PatientSnapshot, age: int) -> None:
    hiv = s.diagnosis(codes.HIV)
    tests = [x for x in s.series(codes.HPV_DNA) if x.value_code]
    negatives_after_50 = 0
    for fact in reversed(tests):
        if fact.value_code in codes.POSITIVE:
            break
        if s.birth_date and fact.date and (fact.date - s.birth_date).days >= 50 * 365.25:
            negatives_after_50 += 1
    result = calc(
        "who2021_cervical_screening", age=age, hiv=hiv is not None,
        consecutive_negative_screens_after_50=negatives_after_50,
    )
    if not result["eligible"]:
        return
    last = tests[-1] if tests else None
    if last is not None and last.value_code in codes.POSITIVE and s.within(last, 12):
        f.add("cervical_hpv_positive", "positive", msg("screen.cancer.cervical_hpv_positive.title"),
              msg("screen.cancer.cervical_hpv_positive.detail", date=last.date),
              CERVICAL, due=s.as_of, data=used(last, hiv))
        return
    months = 36 if hiv else 60
    due = next_due(last.date if last else None, months)
    f.add("cervical", timing_status(s.as_of, due), msg("screen.cancer.cervical.title"),
          msg("screen.cancer.cervical.detail_hiv" if hiv else "screen.cancer.cervical.detail",
              years=months // 12,
              last=msg("screen.cancer.cervical.last", date=last.date) if last
              else msg("screen.cancer.cervical.never")),
          CERVICAL, due=due or s.as_of, recall_months=months, data=used(last, hiv))


def _breast(f: Findings, s: PatientSnapshot, age: int) -> None:
    result = calc("uspstf2024_breast", age=age, sex="female")
    if result["recommended"] is not True:
        return
    last = s.last_study(codes.MAMMOGRAPHY)
    due = next_due(last.date if last else None, 24)
    f.add("breast", timing_status(s.as_of, due), msg("screen.cancer.breast.title"),
          msg("screen.cancer.breast.detail",
              last=msg("screen.cancer.breast.last", date=last.date) if last
              else msg("screen.cancer.breast.never")),
          BREAST, due=due or s.as_of, recall_months=24, data=used(last))


def _colorectal(f: Findings, s: PatientSnapshot, age: int) -> None:
    result = calc("uspstf2021_colorectal", age=age)
    if result["recommended"] is not True:
        return
    colonoscopy = s.last_study(codes.COLONOSCOPY)
    fit = s.latest(codes.FAECAL_IMMUNOCHEMICAL_TEST)
    dues = [d for d in (
        next_due(colonoscopy.date if colonoscopy else None, 120),
        next_due(fit.date if fit else None, 12),
    ) if d is not None]
    due = max(dues) if dues else None
    f.add("colorectal", timing_status(s.as_of, due), msg("screen.cancer.colorectal.title"),
          msg("screen.cancer.colorectal.detail", grade=result["grade"],
              last=msg("screen.cancer.colorectal.last" if dues
                       else "screen.cancer.colorectal.never")),
          COLORECTAL, due=due or s.as_of, data=used(colonoscopy, fit))


def _gastric(f: Findings, s: PatientSnapshot, age: int) -> None:
    if age < 40:
        return
    last = s.last_study(codes.UPPER_GI_ENDOSCOPY)
    due = next_due(last.date if last else None, 24)
    f.add("gastric", "up_to_date" if timing_status(s.as_of, due) == "up_to_date" else "due",
          msg("screen.cancer.gastric.title"), msg("screen.cancer.gastric.detail"),
          GASTRIC, due=due or s.as_of, recall_months=24, data=used(last))


def evaluate(s: PatientSnapshot, profile: Profile) -> list[Recommendation]:
    """The cancer-screening programme's recommendations for one patient."""
    f = Findings("cancer", s)
    age = s.age
    if age is None or age < 25:
        return f.not_eligible(msg("screen.cancer.under_25"), CERVICAL)
    if s.female:
        _cervical(f, s, age)
        _breast(f, s, age)
    _colorectal(f, s, age)
    _gastric(f, s, age)
    if not f.out:
        f.not_eligible(msg("screen.cancer.none_at_age", age=age), COLORECTAL)
    return f.out


PROGRAMME = Programme(
    id="cancer",
    title="Cervical, breast, colorectal and gastric cancer screening",
    guidelines="WHO 2021; USPSTF 2024; USPSTF 2021; Asia-Pacific gastric consensus",
    evaluate=evaluate,
)
