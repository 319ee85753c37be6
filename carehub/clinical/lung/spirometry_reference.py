"""Spirometry reference values: GLI-2012 and GLI Global 2022 (LMS method).

* GLI-2012: Quanjer PH, Stanojevic S, Cole TJ, et al. *Multi-ethnic reference
  values for spirometry for the 3-95-yr age range: the global lung function 2012
  equations.* Eur Respir J 2012;40:1324-43. doi:10.1183/09031936.00080312
* GLI Global 2022 (race-neutral, recommended by ATS 2023): Bowerman C, Bhakta NR,
  Brazzale D, et al. Am J Respir Crit Care Med 2023;207:768-774.
  doi:10.1164/rccm.202205-0963OC

Specification: clinical-rules.md section 2.3. With ``x`` the age (years) and
``h`` the height (cm)::

    L = q0 + q1·ln(x) + Lspline(x)
    M = exp(a0 + a1·ln(h) + a2·ln(x) + a3·AfrAm + a4·NEAsia + a5·SEAsia + a6·Other + Mspline(x))
    S = exp(p0 + p1·ln(x) + p2·AfrAm + p3·NEAsia + p4·SEAsia + p5·Other + Sspline(x))
    predicted = M;  z = ((obs/M)^L − 1)/(L·S);  LLN = M·(1 − 1.645·L·S)^(1/L);  %pred = 100·obs/M

GLI Global has no ethnicity terms. Splines come from the tables of
:mod:`carehub.clinical.lung.gli_tables` (from ``pyspiro``), interpolated linearly
between 0.25-year ages. Viet Nam maps to the GLI-2012 South East Asian group,
the default here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from carehub.clinical.inputs import InvalidInput, choice, number
from carehub.clinical.inputs import sex as check_sex
from carehub.clinical.lung.gli_tables import Tables, tables
from carehub.clinical.result import Guideline, Result

GLI_2012 = Guideline(
    "GLI-2012 spirometry reference",
    "2012",
    "Quanjer PH et al. Eur Respir J 2012;40:1324-43. doi:10.1183/09031936.00080312",
)
GLI_GLOBAL_2022 = Guideline(
    "GLI Global spirometry reference (race-neutral)",
    "2022",
    "Bowerman C et al. Am J Respir Crit Care Med 2023;207:768-774. doi:10.1164/rccm.202205-0963OC",
)

ETHNICITIES = ("south_east_asian", "caucasian", "african_american", "north_east_asian", "other")
"""GLI-2012 groups; ``other`` is GLI's "other/mixed"."""

_ETHNIC_TERMS = {  # ethnicity -> (M coefficient, S coefficient) that applies
    "caucasian": None,
    "african_american": ("a3", "p2"),
    "north_east_asian": ("a4", "p3"),
    "south_east_asian": ("a5", "p4"),
    "other": ("a6", "p5"),
}

PARAMS_2012 = ("FEV1", "FVC", "FEV1FVC", "FEF25_75", "FEF75")
PARAMS_GLOBAL = ("FEV1", "FVC", "FEV1FVC")
_PARAM_ALIASES = {"FEV1/FVC": "FEV1FVC", "FEF25-75": "FEF25_75", "FEF2575": "FEF25_75"}

AGE_RANGE = (3.0, 95.0)
FEF_MAX_AGE = 90.0
"""GLI-2012 FEF25-75 and FEF75 are defined for ages 3-90 only."""
HEIGHT_RANGE_CM = (80.0, 250.0)
LLN_Z = 1.645
"""The lower limit of normal is the 5th centile: z = −1.645."""


@dataclass(frozen=True, slots=True)
class LMS:
    """The L (skewness), M (median, the predicted value) and S (spread) of one reference.

    >>> lms = LMS(1.0, 4.0, 0.1)
    >>> round(lms.zscore(3.6), 6), round(lms.lln, 3), lms.percent_predicted(3.0)
    (-1.0, 3.342, 75.0)
    """

    L: float
    M: float
    S: float

    @property
    def lln(self) -> float:
        """Lower limit of normal (5th centile)."""
        return self.M * float((1 - LLN_Z * self.L * self.S) ** (1 / self.L))

    def zscore(self, observed: float) -> float:
        """The z-score of ``observed`` (same unit as :attr:`M`)."""
        return (float((observed / self.M) ** self.L) - 1) / (self.L * self.S)

    def percent_predicted(self, observed: float) -> float:
        """``observed`` as a percentage of the predicted value."""
        return 100 * observed / self.M


def _param(value: object, allowed: tuple[str, ...]) -> str:
    if value is None:
        raise InvalidInput("param", "is required")
    text = str(value).strip().upper().replace(" ", "")
    text = _PARAM_ALIASES.get(text, text)
    if text not in allowed:
        raise InvalidInput("param", f"{value!r} is not one of {', '.join(allowed)}")
    return text


def _column(param: str, sex_: str) -> str:
    return f"{param}_{'males' if sex_ == 'male' else 'females'}"


def _lms(t: Tables, col: str, x: float, h: float, m_term: float = 0.0, s_term: float = 0.0) -> LMS:
    """L, M, S of column ``col`` at age ``x`` and height ``h`` (checked), ethnic terms added."""
    c = t.coefficients[col]
    spline = t.splines.at
    log_x = math.log(x)
    L = c.get("q0", 0.0) + c.get("q1", 0.0) * log_x + spline(f"{col}_Lspline", x)
    M = math.exp(
        c.get("a0", 0.0)
        + c.get("a1", 0.0) * math.log(h)
        + c.get("a2", 0.0) * log_x
        + m_term
        + spline(f"{col}_Mspline", x)
    )
    S = math.exp(c.get("p0", 0.0) + c.get("p1", 0.0) * log_x + s_term + spline(f"{col}_Sspline", x))
    return LMS(L, M, S)


def gli2012_lms(
    param: str, sex_: str, age: float, height_cm: float, ethnicity: str = "south_east_asian"
) -> LMS:
    """GLI-2012 L, M and S for one spirometric index.

    Args:
        param: ``FEV1``, ``FVC``, ``FEV1FVC`` (or ``FEV1/FVC``), ``FEF25_75`` or ``FEF75``.
        sex_: ``male`` or ``female``.
        age: years, 3-95 (3-90 for FEF25_75 and FEF75); not rounded (splines interpolated).
        height_cm: standing height in cm.
        ethnicity: one of :data:`ETHNICITIES` (default South East Asian, for Viet Nam).

    Raises:
        InvalidInput: naming ``param``, ``sex``, ``age``, ``height_cm`` or ``ethnicity``.

    >>> lms = gli2012_lms("FEV1", "male", 50, 165)
    >>> round(lms.M, 4), round(lms.lln, 4)
    (3.0499, 2.3565)
    """
    p = _param(param, PARAMS_2012)
    s = check_sex(sex_)
    x = number("age", age, *AGE_RANGE, "years")
    h = number("height_cm", height_cm, *HEIGHT_RANGE_CM, "cm")
    group = choice("ethnicity", ethnicity, ETHNICITIES)
    if p.startswith("FEF") and x > FEF_MAX_AGE:
        raise InvalidInput("age", f"{age} years is outside 3-90 years for {p}")
    t = tables("gli2012")
    col = _column(p, s)
    terms = _ETHNIC_TERMS[group]
    if terms is None:
        return _lms(t, col, x, h)
    return _lms(t, col, x, h, t.coefficient(col, terms[0]), t.coefficient(col, terms[1]))


def gli_global_2022_lms(param: str, sex_: str, age: float, height_cm: float) -> LMS:
    """GLI Global 2022 (race-neutral) L, M and S for ``FEV1``, ``FVC`` or ``FEV1FVC``.

    Same arguments and failures as :func:`gli2012_lms`, without ethnicity.

    >>> round(gli_global_2022_lms("FEV1", "male", 50, 165).M, 4)
    3.0915
    """
    p = _param(param, PARAMS_GLOBAL)
    s = check_sex(sex_)
    x = number("age", age, *AGE_RANGE, "years")
    h = number("height_cm", height_cm, *HEIGHT_RANGE_CM, "cm")
    return _lms(tables("gli_global_2022"), _column(p, s), x, h)


def _reference_values(lms: LMS, observed_l: float | None) -> dict[str, float | bool]:
    values: dict[str, float | bool] = {
        "predicted": lms.M,
        "predicted_l": lms.M,
        "lln": lms.lln,
        "L": lms.L,
        "M": lms.M,
        "S": lms.S,
    }
    if observed_l is not None:
        values["z"] = lms.zscore(observed_l)
        values["percent_predicted"] = round(lms.percent_predicted(observed_l), 2)
        values["below_lln"] = observed_l < lms.lln
    return values


def _observed(value: object, required: bool) -> float | None:
    if value is None and not required:
        return None
    # litres, or a ratio (0-1) for FEV1FVC
    return number("observed_l", value, 0.01, 15.0, "L")


def _gli2012(
    rule: str,
    required: bool,
    param: str,
    sex: str,
    age: float,
    height_cm: float,
    ethnicity: str,
    observed_l: float | None,
) -> Result:
    lms = gli2012_lms(param, sex, age, height_cm, ethnicity)
    observed = _observed(observed_l, required)
    inputs = {"param": param, "sex": sex, "age": age, "height_cm": height_cm}
    inputs["ethnicity"] = ethnicity
    return Result(rule, _reference_values(lms, observed), GLI_2012, inputs=inputs)


def _global(
    rule: str,
    required: bool,
    param: str,
    sex: str,
    age: float,
    height_cm: float,
    observed_l: float | None,
) -> Result:
    lms = gli_global_2022_lms(param, sex, age, height_cm)
    observed = _observed(observed_l, required)
    inputs = {"param": param, "sex": sex, "age": age, "height_cm": height_cm}
    return Result(rule, _reference_values(lms, observed), GLI_GLOBAL_2022, inputs=inputs)


def gli2012_predicted_lln(
    param: str,
    sex: str,
    age: float,
    height_cm: float,
    ethnicity: str = "south_east_asian",
    observed_l: float | None = None,
) -> Result:
    """GLI-2012 predicted value, LLN and L/M/S (plus z and %pred if ``observed_l`` is given).

    ``observed_l`` is in litres (a 0-1 ratio for ``FEV1FVC``). Fails as :func:`gli2012_lms`.

    >>> r = gli2012_predicted_lln("FEV1", "female", 45, 155)
    >>> round(r["predicted"], 4), round(r["lln"], 4), r["L"]
    (2.3171, 1.7917, 1.154)
    """
    rule = "gli2012_predicted_lln"
    return _gli2012(rule, False, param, sex, age, height_cm, ethnicity, observed_l)


def gli2012_zscore(
    param: str,
    sex: str,
    age: float,
    height_cm: float,
    observed_l: float,
    ethnicity: str = "south_east_asian",
) -> Result:
    """GLI-2012 z-score of ``observed_l`` (and %pred, LLN, ``below_lln``).

    >>> r = gli2012_zscore("FEV1", "male", 50, 165, 2.2)
    >>> round(r["z"], 3), r["percent_predicted"]
    (-2.003, 72.13)
    """
    return _gli2012("gli2012_zscore", True, param, sex, age, height_cm, ethnicity, observed_l)


def gli2012_percent_predicted(
    param: str,
    sex: str,
    age: float,
    height_cm: float,
    observed_l: float,
    ethnicity: str = "south_east_asian",
) -> Result:
    """GLI-2012 percent predicted of ``observed_l`` (2 dp), with the predicted value.

    >>> gli2012_percent_predicted("FEV1", "male", 40, 175, 3.0, "caucasian")["percent_predicted"]
    73.57
    """
    rule = "gli2012_percent_predicted"
    return _gli2012(rule, True, param, sex, age, height_cm, ethnicity, observed_l)


def gli_global_2022_predicted_lln(
    param: str, sex: str, age: float, height_cm: float, observed_l: float | None = None
) -> Result:
    """GLI Global 2022 predicted value, LLN and L/M/S (plus z and %pred if observed).

    >>> r = gli_global_2022_predicted_lln("FEV1", "female", 45, 155)
    >>> round(r["predicted"], 4), round(r["lln"], 4)
    (2.4583, 1.8393)
    """
    return _global("gli_global_2022_predicted_lln", False, param, sex, age, height_cm, observed_l)


def gli_global_2022_zscore(
    param: str, sex: str, age: float, height_cm: float, observed_l: float
) -> Result:
    """GLI Global 2022 z-score of ``observed_l`` (and %pred, LLN, ``below_lln``).

    >>> r = gli_global_2022_zscore("FEV1", "male", 50, 165, 2.2)
    >>> round(r["z"], 3), r["percent_predicted"], r["below_lln"]
    (-1.918, 71.16, True)
    """
    return _global("gli_global_2022_zscore", True, param, sex, age, height_cm, observed_l)


def gli_global_2022_percent_predicted(
    param: str, sex: str, age: float, height_cm: float, observed_l: float
) -> Result:
    """GLI Global 2022 percent predicted of ``observed_l`` (2 dp).

    >>> gli_global_2022_percent_predicted("FVC", "male", 40, 175, 4.5)["percent_predicted"]
    95.77
    """
    rule = "gli_global_2022_percent_predicted"
    return _global(rule, True, param, sex, age, height_cm, observed_l)


RULES = {
    "gli2012_predicted_lln": gli2012_predicted_lln,
    "gli2012_zscore": gli2012_zscore,
    "gli2012_percent_predicted": gli2012_percent_predicted,
    "gli_global_2022_predicted_lln": gli_global_2022_predicted_lln,
    "gli_global_2022_zscore": gli_global_2022_zscore,
    "gli_global_2022_percent_predicted": gli_global_2022_percent_predicted,
}
