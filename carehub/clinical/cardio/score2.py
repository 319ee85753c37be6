"""SCORE2 and SCORE2-Asia-Pacific: 10-year CVD risk (fatal and non-fatal), ages 40-69, no diabetes.

Sources:

* SCORE2 working group and ESC Cardiovascular risk collaboration. SCORE2 risk
  prediction algorithms: new models to estimate 10-year risk of cardiovascular
  disease in Europe. Eur Heart J 2021;42:2439-54. https://doi.org/10.1093/eurheartj/ehab309
* Hageman SHJ, Huang Z, Lee H, et al. Risk prediction of cardiovascular disease
  in the Asia-Pacific region: the SCORE2 Asia-Pacific model. Eur Heart J
  2025;46:702-715. https://doi.org/10.1093/eurheartj/ehae609

Both use one sex-specific linear predictor (age, smoking, SBP, diabetes, total
and HDL cholesterol) and a risk-region recalibration::

    risk_uncal = 1 - S0 ** exp(LP)
    risk       = 1 - exp(-exp(scale1 + scale2 * ln(-ln(1 - risk_uncal))))

reported as a percentage to 1 dp. Valid for ages 40-69 without diabetes;
other patients are not applicable (SCORE2-OP and SCORE2-Diabetes are separate
models, not implemented). The population's risk region is the caller's
configuration (Viet Nam's SCORE2-AP region: verify in the paper's country
table). The European moderate, high and very-high scales are the published
SCORE2 values (the specification confirms only the low-risk pair).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from carehub.clinical.inputs import InvalidInput, flag, number
from carehub.clinical.inputs import sex as checked_sex
from carehub.clinical.result import Guideline, Result, not_applicable
from carehub.clinical.units import cholesterol_mmol_l

SCORE2 = Guideline(
    "SCORE2",
    "2021",
    "SCORE2 working group and ESC Cardiovascular risk collaboration. Eur Heart J "
    "2021;42:2439-54. doi:10.1093/eurheartj/ehab309",
)
SCORE2_AP = Guideline(
    "SCORE2-Asia-Pacific",
    "2025",
    "Hageman SHJ et al. Eur Heart J 2025;46:702-715. doi:10.1093/eurheartj/ehae609",
)

RISK_REGIONS = ("low", "moderate", "high", "very high")

# a, smk, b, dm, c, d, a*smk, a*b, a*dm, a*c, a*d ; baseline survival
_COEFFICIENTS: Mapping[str, tuple[tuple[float, ...], float]] = {
    "male": (
        (0.3742, 0.6012, 0.2777, 0.6457, 0.1458, -0.2698,
         -0.0755, -0.0255, -0.0983, -0.0281, 0.0426),
        0.9605,
    ),
    "female": (
        (0.4648, 0.7744, 0.3131, 0.8096, 0.1002, -0.2606,
         -0.1088, -0.0277, -0.1272, -0.0226, 0.0613),
        0.9776,
    ),
}

Scales = Mapping[tuple[str, str], tuple[float, float]]

SCORE2_AP_SCALES: Scales = {
    ("low", "male"): (-0.375229965, 0.62020875),
    ("low", "female"): (-0.986572446, 0.536743779),
    ("moderate", "male"): (0.284885676, 0.778128607),
    ("moderate", "female"): (0.08278687, 0.718980326),
    ("high", "male"): (0.778231091, 0.844985356),
    ("high", "female"): (0.611474287, 0.703624072),
    ("very high", "male"): (0.608975204, 0.679014197),
    ("very high", "female"): (0.502751798, 0.555577072),
}
"""SCORE2-Asia-Pacific (risk region, sex) -> (scale1, scale2)."""

SCORE2_EUROPE_SCALES: Scales = {
    ("low", "male"): (-0.5699, 0.7476),
    ("low", "female"): (-0.7380, 0.7019),
    ("moderate", "male"): (-0.1565, 0.8009),
    ("moderate", "female"): (-0.3143, 0.7701),
    ("high", "male"): (0.3207, 0.9360),
    ("high", "female"): (0.5710, 0.9369),
    ("very high", "male"): (0.5836, 0.8294),
    ("very high", "female"): (0.9412, 0.8329),
}
"""SCORE2 (Europe) (risk region, sex) -> (scale1, scale2)."""


def uncalibrated_risk(
    sex: str, age: float, smoker: bool, sbp: float, total_chol: float, hdl: float, diabetes: bool
) -> float:
    """The SCORE2 model's uncalibrated 10-year risk (0-1); inputs already checked (mmol/L).

    >>> round(uncalibrated_risk("male", 60, False, 120, 6, 1.3, False), 4)
    0.0395
    """
    betas, s0 = _COEFFICIENTS[sex]
    a, b = (age - 60) / 5, (sbp - 120) / 20
    c, d = total_chol - 6, (hdl - 1.3) / 0.5
    smk, dm = float(smoker), float(diabetes)
    terms = (a, smk, b, dm, c, d, a * smk, a * b, a * dm, a * c, a * d)
    lp = sum(beta * x for beta, x in zip(betas, terms, strict=True))
    return 1.0 - float(s0 ** math.exp(lp))


def recalibrate(risk: float, scale1: float, scale2: float) -> float:
    """Region recalibration of an uncalibrated risk (0-1).

    >>> round(recalibrate(0.1, 0.0, 1.0), 6)
    0.1
    """
    return 1.0 - math.exp(-math.exp(scale1 + scale2 * math.log(-math.log(1.0 - risk))))


def risk_group(risk_pct: float) -> str:
    """Risk group as in RiskScorescvd: < 5 low, 5-<10 moderate, 10-<20 high, >= 20 very_high.

    >>> risk_group(4.9), risk_group(5), risk_group(20)
    ('low', 'moderate', 'very_high')
    """
    if risk_pct < 5:
        return "low"
    if risk_pct < 10:
        return "moderate"
    return "high" if risk_pct < 20 else "very_high"


def esc2021_category(risk_pct: float, age: float) -> str:
    """ESC 2021 prevention guideline age-specific category (ages 40-69).

    < 50 y: < 2.5 % low_to_moderate, 2.5-<7.5 high, >= 7.5 very_high;
    50-69 y: < 5, 5-<10, >= 10. Confidence medium (specification 3.2).

    >>> esc2021_category(7.5, 45), esc2021_category(7.5, 55)
    ('very_high', 'high')
    """
    low, high = (2.5, 7.5) if age < 50 else (5.0, 10.0)
    if risk_pct < low:
        return "low_to_moderate"
    return "high" if risk_pct < high else "very_high"


def _region(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput("risk_region", "is required (Low, Moderate, High or Very high)")
    key = " ".join(value.lower().replace("_", " ").replace("-", " ").split())
    if key not in RISK_REGIONS:
        raise InvalidInput(
            "risk_region", f"{value!r} is not one of Low, Moderate, High, Very high"
        )
    return key


def _calculate(
    rule: str,
    guideline: Guideline,
    scales: Scales,
    risk_region: object,
    age: object,
    sex: object,
    current_smoker: object,
    sbp: object,
    total_chol_mmol_l: object,
    hdl_mmol_l: object,
    diabetes: object,
    chol_unit: str,
) -> Result:
    region = _region(risk_region)
    years = number("age", age, 18, 120, "years")
    s = checked_sex(sex)
    smoker = flag("current_smoker", current_smoker)
    pressure = number("sbp", sbp, 60, 300, "mmHg")
    tc_raw = number("total_chol_mmol_l", total_chol_mmol_l, 0, 1000, chol_unit)
    hdl_raw = number("hdl_mmol_l", hdl_mmol_l, 0, 400, chol_unit)
    tc = number("total_chol_mmol_l", cholesterol_mmol_l(tc_raw, chol_unit, "chol_unit"), 1, 20,
                "mmol/L")
    hdl = number("hdl_mmol_l", cholesterol_mmol_l(hdl_raw, chol_unit, "chol_unit"), 0.1, 6,
                 "mmol/L")
    dm = flag("diabetes", diabetes)
    inputs: dict[str, object] = {
        "risk_region": region, "age": years, "sex": s, "current_smoker": smoker, "sbp": pressure,
        "total_chol_mmol_l": tc, "hdl_mmol_l": hdl, "diabetes": dm,
    }
    if not 40 <= years < 70:
        return not_applicable(rule, guideline, f"{guideline.name} covers ages 40-69", inputs)
    if dm:
        return not_applicable(
            rule, guideline, f"{guideline.name} is not for people with diabetes", inputs
        )
    raw = uncalibrated_risk(s, years, smoker, pressure, tc, hdl, dm)
    pct = round(100 * recalibrate(raw, *scales[(region, s)]), 1)
    return Result(
        rule,
        {
            "ten_year_risk_pct": pct,
            "risk_group": risk_group(pct),
            "esc2021_category": esc2021_category(pct, years),
        },
        guideline,
        inputs=inputs,
    )


def score2_asia_pacific(
    *,
    risk_region: str,
    age: float,
    sex: str,
    current_smoker: bool,
    sbp: float,
    total_chol_mmol_l: float,
    hdl_mmol_l: float,
    diabetes: bool = False,
    chol_unit: str = "mmol/L",
) -> Result:
    """SCORE2-Asia-Pacific 10-year CVD risk (rule ``score2_asia_pacific``).

    Args:
        risk_region: the population's SCORE2-AP region: Low, Moderate, High or Very high.
        age: years (40-69 applicable).
        sex: ``male`` or ``female``.
        current_smoker: current smoking.
        sbp: systolic blood pressure, mmHg.
        total_chol_mmol_l: total cholesterol (in ``chol_unit``, default mmol/L).
        hdl_mmol_l: HDL cholesterol (in ``chol_unit``).
        diabetes: with diabetes the model is not applicable.
        chol_unit: ``mmol/L`` or ``mg/dL`` for both cholesterol values.

    Returns:
        ``ten_year_risk_pct`` (1 dp), ``risk_group`` and ``esc2021_category``;
        not applicable outside ages 40-69 or with diabetes.

    Raises:
        InvalidInput: a missing or out-of-range input, named.

    >>> score2_asia_pacific(risk_region="Low", age=50, sex="male", current_smoker=True,
    ...                     sbp=140, total_chol_mmol_l=5.5, hdl_mmol_l=1.3)["ten_year_risk_pct"]
    10.3
    """
    return _calculate(
        "score2_asia_pacific", SCORE2_AP, SCORE2_AP_SCALES, risk_region, age, sex,
        current_smoker, sbp, total_chol_mmol_l, hdl_mmol_l, diabetes, chol_unit,
    )


def score2(
    *,
    risk_region: str,
    age: float,
    sex: str,
    current_smoker: bool,
    sbp: float,
    total_chol_mmol_l: float,
    hdl_mmol_l: float,
    diabetes: bool = False,
    chol_unit: str = "mmol/L",
) -> Result:
    """SCORE2 (European risk regions) 10-year CVD risk (rule ``score2``).

    Inputs, results and failures as for :func:`score2_asia_pacific`, with the
    European region scales.

    >>> score2(risk_region="Low", age=50, sex="female", current_smoker=True, sbp=140,
    ...        total_chol_mmol_l=5.5, hdl_mmol_l=1.3)["ten_year_risk_pct"]
    4.2
    """
    return _calculate(
        "score2", SCORE2, SCORE2_EUROPE_SCALES, risk_region, age, sex,
        current_smoker, sbp, total_chol_mmol_l, hdl_mmol_l, diabetes, chol_unit,
    )


RULES = {"score2_asia_pacific": score2_asia_pacific, "score2": score2}
