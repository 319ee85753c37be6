"""Kidney Failure Risk Equation (KFRE): 2- and 5-year risk of kidney failure, 4-, 6- and 8-variable.

Sources:

* Tangri N, Stevens LA, Griffith J, et al. A predictive model for progression of
  chronic kidney disease to kidney failure. JAMA 2011;305:1553-9.
  https://doi.org/10.1001/jama.2011.451
* Tangri N, Grams ME, Levey AS, et al. Multinational Assessment of Accuracy of
  Equations for Predicting Risk of Kidney Failure: A Meta-analysis.
  JAMA 2016;315:164-174. https://doi.org/10.1001/jama.2015.18202 (the North
  American and non-North American baselines).

``risk = 1 - S0(t) ** exp(LP)`` where LP sums ``coefficient x (x - centre)``
over the terms below. The non-North American baseline is the default (use it
for Viet Nam). ACR is in mg/g with a natural log (mg/mmol x 8.84 first; never
a protein-to-creatinine ratio). KFRE is validated for CKD G3-G5: an eGFR >= 60
(or age < 18) is not applicable. The 6- and 8-variable coefficients follow
lshpaner/kfre ``risk_pred`` and are of medium confidence (verify against the
Tangri 2011/2016 supplements).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from carehub.clinical.inputs import InvalidInput, choice, flag, number
from carehub.clinical.inputs import sex as checked_sex
from carehub.clinical.result import Guideline, Result, not_applicable
from carehub.clinical.units import acr_mg_g as acr_to_mg_g

KFRE_4 = Guideline(
    "Kidney Failure Risk Equation, 4-variable",
    "2016 recalibration",
    "Tangri N et al. JAMA 2011;305:1553-9; Tangri N et al. JAMA 2016;315:164-174. "
    "doi:10.1001/jama.2015.18202",
)
KFRE_6 = Guideline(
    "Kidney Failure Risk Equation, 6-variable",
    "2016 recalibration",
    "Tangri N et al. JAMA 2011;305:1553-9; JAMA 2016;315:164-174 (coefficients as in "
    "lshpaner/kfre; confidence medium)",
)
KFRE_8 = Guideline(
    "Kidney Failure Risk Equation, 8-variable",
    "2016 recalibration",
    "Tangri N et al. JAMA 2011;305:1553-9; JAMA 2016;315:164-174 (coefficients as in "
    "lshpaner/kfre; confidence medium)",
)

REGIONS = ("non_north_american", "north_american")
HORIZONS = (2, 5)


@dataclass(frozen=True, slots=True)
class KfreModel:
    """One KFRE variant: coefficients and centres by term, baseline survival by (region, years)."""

    rule: str
    guideline: Guideline
    coefficients: Mapping[str, float]
    centres: Mapping[str, float]
    baseline: Mapping[tuple[str, int], float]

    def risk(self, terms: Mapping[str, float], region: str, years: int) -> float:
        """Risk (0-1) for already transformed ``terms`` (age/10, eGFR/5, ln ACR, ...).

        >>> t = {"age": 5.728, "male": 0, "egfr": 3.0, "ln_acr": math.log(1762.00184)}
        >>> round(100 * KFRE_4VAR.risk(t, "non_north_american", 2), 2)
        44.66
        """
        lp = sum(c * (terms[name] - self.centres[name]) for name, c in self.coefficients.items())
        return 1.0 - float(self.baseline[(region, years)] ** math.exp(lp))


_CENTRES = {
    "age": 7.036,
    "male": 0.5642,
    "egfr": 7.222,
    "ln_acr": 5.137,
    "diabetes": 0.5106,
    "hypertension": 0.8501,
    "albumin": 3.997,
    "phosphate": 3.916,
    "bicarbonate": 25.57,
    "calcium": 9.355,
}

KFRE_4VAR = KfreModel(
    "kfre_4var",
    KFRE_4,
    {"age": -0.2201, "male": 0.2467, "egfr": -0.5567, "ln_acr": 0.4510},
    _CENTRES,
    {
        ("north_american", 2): 0.9750,
        ("north_american", 5): 0.9240,
        ("non_north_american", 2): 0.9832,
        ("non_north_american", 5): 0.9365,
    },
)
KFRE_6VAR = KfreModel(
    "kfre_6var",
    KFRE_6,
    {
        "age": -0.2218,
        "male": 0.2553,
        "egfr": -0.5541,
        "ln_acr": 0.4562,
        "diabetes": -0.1475,
        "hypertension": 0.1426,
    },
    _CENTRES,
    {
        ("north_american", 2): 0.9750,
        ("north_american", 5): 0.9240,
        ("non_north_american", 2): 0.9830,
        ("non_north_american", 5): 0.9370,
    },
)
KFRE_8VAR = KfreModel(
    "kfre_8var",
    KFRE_8,
    {
        "age": -0.1992,
        "male": 0.1602,
        "egfr": -0.4919,
        "ln_acr": 0.3364,
        "albumin": -0.3441,
        "phosphate": 0.2604,
        "bicarbonate": -0.07354,
        "calcium": -0.2228,
    },
    _CENTRES,
    {
        ("north_american", 2): 0.9780,
        ("north_american", 5): 0.9301,
        ("non_north_american", 2): 0.9827,
        ("non_north_american", 5): 0.9245,
    },
)


def _years(years: object) -> int:
    if isinstance(years, bool) or not isinstance(years, (int, float)) or years not in HORIZONS:
        raise InvalidInput("years", f"must be 2 or 5 (the validated horizons), not {years!r}")
    return int(years)


def _acr(uacr_mg_g: float | None, uacr: float | None, uacr_unit: str) -> float:
    if uacr_mg_g is not None and uacr is not None:
        raise InvalidInput("uacr", "give the ACR once (uacr_mg_g, or uacr with uacr_unit)")
    if uacr_mg_g is None and uacr is None:
        raise InvalidInput("uacr_mg_g", "is required (a urine ACR; never a PCR)")
    if uacr_mg_g is not None:
        return number("uacr_mg_g", uacr_mg_g, 0.1, 100_000, "mg/g")
    value = number("uacr", uacr, 0.01, 100_000, uacr_unit)
    return number("uacr", acr_to_mg_g(value, uacr_unit, "uacr_unit"), 0.1, 100_000, "mg/g")


def _evaluate(
    model: KfreModel,
    age: object,
    sex: object,
    egfr: object,
    acr: float,
    region: object,
    years: object,
    extra: Mapping[str, float],
) -> Result:
    a = number("age", age, 0, 130, "years")
    s = checked_sex(sex)
    e = number("egfr", egfr, 0, 300, "mL/min/1.73m2")
    r = choice("region", region, REGIONS)
    t = _years(years)
    inputs: dict[str, object] = {
        "age": a, "sex": s, "egfr": e, "uacr_mg_g": acr, "region": r, "years": t, **extra
    }
    if e >= 60:
        return not_applicable(
            model.rule, model.guideline, "KFRE is validated for CKD G3-G5 (eGFR < 60)", inputs
        )
    if a < 18:
        return not_applicable(model.rule, model.guideline, "KFRE is validated in adults", inputs)
    terms = {"age": a / 10, "male": 1.0 if s == "male" else 0.0, "egfr": e / 5,
             "ln_acr": math.log(acr), **extra}
    risk = model.risk(terms, r, t)
    return Result(
        model.rule,
        {"risk_pct": round(100 * risk, 2), "years": t, "region": r},
        model.guideline,
        inputs=inputs,
    )


def kfre_4var(
    *,
    age: float,
    sex: str,
    egfr: float,
    uacr_mg_g: float | None = None,
    region: str = "non_north_american",
    years: int = 2,
    uacr: float | None = None,
    uacr_unit: str = "mg/g",
) -> Result:
    """4-variable KFRE: age, sex, eGFR and urine ACR (rule ``kfre_4var``).

    Args:
        age: years.
        sex: ``male`` or ``female``.
        egfr: mL/min/1.73 m².
        uacr_mg_g: urine albumin-to-creatinine ratio in mg/g (or give ``uacr``
            with ``uacr_unit`` ``mg/mmol``).
        region: ``non_north_american`` (default) or ``north_american`` baseline.
        years: horizon, 2 or 5.

    Returns:
        ``risk_pct`` (2 dp), ``years`` and ``region``; not applicable for
        eGFR >= 60 or age < 18.

    Raises:
        InvalidInput: a missing or out-of-range input, named.

    >>> kfre_4var(age=57.28, sex="female", egfr=15, uacr_mg_g=1762.00184, years=5)["risk_pct"]
    89.89
    >>> kfre_4var(age=60, sex="male", egfr=60, uacr_mg_g=300).applicable
    False
    """
    acr = _acr(uacr_mg_g, uacr, uacr_unit)
    return _evaluate(KFRE_4VAR, age, sex, egfr, acr, region, years, {})


def kfre_6var(
    *,
    age: float,
    sex: str,
    egfr: float,
    diabetes: bool,
    hypertension: bool,
    uacr_mg_g: float | None = None,
    region: str = "non_north_american",
    years: int = 2,
    uacr: float | None = None,
    uacr_unit: str = "mg/g",
) -> Result:
    """6-variable KFRE: the 4 variables plus diabetes and hypertension (rule ``kfre_6var``).

    Medium confidence (coefficients as in lshpaner/kfre). Inputs and results as
    for :func:`kfre_4var`.

    >>> r = kfre_6var(age=70, sex="female", egfr=20, uacr_mg_g=1000, diabetes=True,
    ...               hypertension=True, years=5)
    >>> 0 < r["risk_pct"] < 100
    True
    """
    acr = _acr(uacr_mg_g, uacr, uacr_unit)
    extra = {
        "diabetes": float(flag("diabetes", diabetes)),
        "hypertension": float(flag("hypertension", hypertension)),
    }
    return _evaluate(KFRE_6VAR, age, sex, egfr, acr, region, years, extra)


def kfre_8var(
    *,
    age: float,
    sex: str,
    egfr: float,
    albumin_g_dl: float,
    phosphate_mg_dl: float,
    bicarbonate_meq_l: float,
    calcium_mg_dl: float,
    uacr_mg_g: float | None = None,
    region: str = "non_north_american",
    years: int = 2,
    uacr: float | None = None,
    uacr_unit: str = "mg/g",
) -> Result:
    """8-variable KFRE: the 4 plus albumin, phosphate, bicarbonate and calcium (``kfre_8var``).

    Units: albumin g/dL (g/L ÷ 10), phosphate mg/dL (mmol/L x 3.097),
    bicarbonate mEq/L (= mmol/L), calcium mg/dL (mmol/L x 4.008). Medium
    confidence (coefficients as in lshpaner/kfre).

    >>> r = kfre_8var(age=70, sex="female", egfr=20, uacr_mg_g=1000, albumin_g_dl=3.5,
    ...               phosphate_mg_dl=4.5, bicarbonate_meq_l=22, calcium_mg_dl=9.0)
    >>> 0 < r["risk_pct"] < 100
    True
    """
    acr = _acr(uacr_mg_g, uacr, uacr_unit)
    extra = {
        "albumin": number("albumin_g_dl", albumin_g_dl, 0.5, 7, "g/dL"),
        "phosphate": number("phosphate_mg_dl", phosphate_mg_dl, 0.5, 20, "mg/dL"),
        "bicarbonate": number("bicarbonate_meq_l", bicarbonate_meq_l, 2, 60, "mEq/L"),
        "calcium": number("calcium_mg_dl", calcium_mg_dl, 3, 20, "mg/dL"),
    }
    return _evaluate(KFRE_8VAR, age, sex, egfr, acr, region, years, extra)


RULES = {
    "kfre_4var": kfre_4var,
    "kfre_6var": kfre_6var,
    "kfre_8var": kfre_8var,
}
