"""COPD case-finding questionnaires: COPD Population Screener (COPD-PS) and COPD-SQ.

* COPD-PS: Martinez FJ, Raczek AE, Seifer FD, et al. *Development and initial
  validation of a self-scored COPD Population Screener questionnaire (COPD-PS).*
  COPD 2008;5:85-95. doi:10.1080/15412550801940721. Five items, total 0-10;
  **≥ 5** positive (refer for spirometry). The cut-off is configurable: the
  Japanese Hisayama validation uses ≥ 4. From age 35.
* COPD-SQ: Zhou YM et al. *The development and validation of a Chinese
  population-based COPD screening questionnaire.* Int J Tuberc Lung Dis
  2013;17:1645-51. Total **≥ 16** is high risk. From age 40.

Specification: clinical-rules.md sections 2.4 and 2.5. The COPD-SQ item weights
(and the pack-year bands, which the specification leaves unresolved between two
readings) are *medium confidence*: every COPD-SQ result says so in ``reason``,
and the spec asks that they be checked against Zhou 2013 Table 3 before
clinical use.
"""

from __future__ import annotations

from typing import Any

from carehub.clinical.inputs import choice, flag, number
from carehub.clinical.result import Guideline, Result, not_applicable

COPD_PS = Guideline(
    "COPD Population Screener (COPD-PS)",
    "2008",
    "Martinez FJ et al. COPD 2008;5:85-95. doi:10.1080/15412550801940721",
)
COPD_SQ = Guideline(
    "COPD screening questionnaire (COPD-SQ)",
    "2013",
    "Zhou YM et al. Int J Tuberc Lung Dis 2013;17:1645-51",
)

Q1_BREATHLESS = {"none": 0, "little": 0, "some": 1, "most": 2, "all": 2}
Q2_PHLEGM = {
    "never": 0,
    "only_colds": 0,
    "few_days_month": 1,
    "most_days_week": 1,
    "every_day": 2,
}
Q3_DO_LESS = {"strongly_disagree": 0, "disagree": 0, "unsure": 0, "agree": 1, "strongly_agree": 2}
Q4_SMOKED = {"no": 0, "dont_know": 0, "yes": 2}


def _item(name: str, value: object, points: dict[str, int]) -> int:
    return points[choice(name, value, points)]


def copd_ps(
    q1_breathless_4wk: str,
    q2_cough_up_phlegm: str,
    q3_do_less_because_breathing: str,
    q4_smoked_100_cigs: str,
    age: float,
    cutoff: int = 5,
) -> Result:
    """COPD-PS total score and screening result.

    Args:
        q1_breathless_4wk: ``none``, ``little``, ``some``, ``most`` or ``all``.
        q2_cough_up_phlegm: ``never``, ``only_colds``, ``few_days_month``,
            ``most_days_week`` or ``every_day``.
        q3_do_less_because_breathing: ``strongly_disagree``, ``disagree``,
            ``unsure``, ``agree`` or ``strongly_agree``.
        q4_smoked_100_cigs: ``no``, ``dont_know`` or ``yes``.
        age: years; under 35 the instrument does not apply.
        cutoff: positive when the score is ≥ this (default 5; 4 for Hisayama).

    Returns:
        ``score`` (0-10), ``positive`` (at ``cutoff``), ``positive_cutoff5``,
        ``positive_cutoff4`` and ``cutoff``.

    Raises:
        InvalidInput: an unknown answer code, an age outside 0-120 or a cut-off
            outside 1-10, naming the input.

    >>> r = copd_ps("some", "few_days_month", "agree", "yes", 55)
    >>> r["score"], r["positive"]
    (6, True)
    >>> copd_ps("none", "never", "agree", "no", 30).applicable
    False
    """
    points = (
        _item("q1_breathless_4wk", q1_breathless_4wk, Q1_BREATHLESS)
        + _item("q2_cough_up_phlegm", q2_cough_up_phlegm, Q2_PHLEGM)
        + _item("q3_do_less_because_breathing", q3_do_less_because_breathing, Q3_DO_LESS)
        + _item("q4_smoked_100_cigs", q4_smoked_100_cigs, Q4_SMOKED)
    )
    years = number("age", age, 0, 120, "years")
    threshold = int(number("cutoff", cutoff, 1, 10))
    inputs: dict[str, Any] = {"age": years, "cutoff": threshold}
    if years < 35:
        return not_applicable("copd_ps", COPD_PS, "age < 35: COPD-PS starts at 35", inputs)
    score = points + (0 if years < 50 else 1 if years < 60 else 2)
    values = {
        "score": score,
        "cutoff": threshold,
        "positive": score >= threshold,
        "positive_cutoff5": score >= 5,
        "positive_cutoff4": score >= 4,
    }
    return Result("copd_ps", values, COPD_PS, inputs=inputs)


DYSPNOEA = {"none": 0, "hurrying_or_slight_hill": 2, "walking_level": 3}
"""COPD-SQ dyspnoea: none; when hurrying on level ground or up a slight hill;
when walking normally on level ground."""

PACK_YEAR_SCHEMES = ("four_band", "three_band")
"""The two readings of the COPD-SQ pack-year item in clinical-rules.md 2.5:
``four_band`` 0 / 1-14.9 / 15-29.9 / ≥ 30 → 0/2/4/5; ``three_band`` 0-14 / 15-30 / ≥ 30 → 0/1/2."""

HIGH_RISK_SQ = 16


def _pack_year_points(pack_years: float, scheme: str) -> int:
    if scheme == "four_band":
        if pack_years <= 0:
            return 0
        return 2 if pack_years < 15 else 4 if pack_years < 30 else 5
    return 0 if pack_years < 15 else 1 if pack_years < 30 else 2


def _bmi_points(bmi: float) -> int:
    return 7 if bmi < 18.5 else 4 if bmi < 24 else 1 if bmi < 28 else 0


def copd_sq(
    age: float,
    pack_years: float,
    bmi: float,
    cough: bool,
    dyspnoea: str,
    biomass_fuel: bool,
    family_history_respiratory: bool,
    pack_years_scheme: str = "four_band",
) -> Result:
    """COPD-SQ score and risk (≥ 16 high risk); item weights are medium confidence.

    Args:
        age: years; under 40 the questionnaire does not apply.
        pack_years: cigarette pack-years (0 for never smokers).
        bmi: body-mass index, kg/m².
        cough: cough without a cold.
        dyspnoea: one of :data:`DYSPNOEA`.
        biomass_fuel: biomass fuel used for cooking or heating.
        family_history_respiratory: family history of chronic respiratory disease.
        pack_years_scheme: one of :data:`PACK_YEAR_SCHEMES` (unresolved in the spec).

    Returns:
        ``score``, ``high_risk`` (score ≥ 16) and ``points`` by item; ``reason``
        records the medium-confidence caveat.

    Raises:
        InvalidInput: an out-of-range number or unknown code, naming the input.

    >>> r = copd_sq(62, 20, 22, True, "hurrying_or_slight_hill", False, False)
    >>> r["score"], r["high_risk"]
    (22, True)
    """
    years = number("age", age, 0, 120, "years")
    packs = number("pack_years", pack_years, 0, 300)
    bmi_value = number("bmi", bmi, 10, 80, "kg/m2")
    scheme = choice("pack_years_scheme", pack_years_scheme, PACK_YEAR_SCHEMES)
    item_points = {
        "pack_years": _pack_year_points(packs, scheme),
        "bmi": _bmi_points(bmi_value),
        "cough": 5 if flag("cough", cough) else 0,
        "dyspnoea": DYSPNOEA[choice("dyspnoea", dyspnoea, DYSPNOEA)],
        "biomass_fuel": 1 if flag("biomass_fuel", biomass_fuel) else 0,
        "family_history_respiratory": (
            3 if flag("family_history_respiratory", family_history_respiratory) else 0
        ),
    }
    inputs: dict[str, Any] = {"age": years, "pack_years": packs, "bmi": bmi_value}
    inputs["pack_years_scheme"] = scheme
    if years < 40:
        return not_applicable("copd_sq", COPD_SQ, "age < 40: COPD-SQ starts at 40", inputs)
    item_points["age"] = 0 if years < 50 else 3 if years < 60 else 7 if years < 70 else 10
    score = sum(item_points.values())
    values = {"score": score, "high_risk": score >= HIGH_RISK_SQ, "points": item_points}
    reason = (
        "COPD-SQ item weights are medium confidence (clinical-rules.md 2.5): "
        "verify against Zhou 2013 Table 3 before clinical use"
    )
    return Result("copd_sq", values, COPD_SQ, reason=reason, inputs=inputs)


RULES = {
    "copd_ps": copd_ps,
    "copd_sq": copd_sq,
}
