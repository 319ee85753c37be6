"""PAGE-B score: risk of hepatocellular carcinoma in chronic hepatitis B.

Papatheodoridis G, Dalekos G, Sypsa V, et al. *PAGE-B predicts the risk of
developing hepatocellular carcinoma in Caucasians with chronic hepatitis B on
5-year antiviral therapy.* J Hepatol 2016;64:800-806.
doi:10.1016/j.jhep.2015.11.035. Specification: clinical-rules.md section 5.1.

Points: age (completed years) 16-29 → 0, 30-39 → 2, 40-49 → 4, 50-59 → 6,
60-69 → 8, ≥ 70 → 10; male → 6; platelets (×10⁹/L) ≥ 200 → 0, 100-199 → 6,
< 100 → 9. Risk: ≤ 9 low, 10-17 intermediate, ≥ 18 high. Under 16 the score
does not apply. EASL 2017 offers surveillance at PAGE-B ≥ 10.
"""

from __future__ import annotations

import math

from carehub.clinical.inputs import number
from carehub.clinical.inputs import sex as check_sex
from carehub.clinical.result import Guideline, Result, not_applicable

PAGE_B_2016 = Guideline(
    "PAGE-B HCC risk score",
    "2016",
    "Papatheodoridis G et al. J Hepatol 2016;64:800-806. doi:10.1016/j.jhep.2015.11.035",
)

MIN_AGE = 16


def _age_points(years: int) -> int:
    return 0 if years < 30 else min(10, 2 * (years // 10 - 2))


def page_b(age: float, sex: str, platelets_10e9_l: float) -> Result:
    """PAGE-B score (0-25) and risk band.

    Args:
        age: years; completed years are scored (49.9 scores as 49).
        sex: ``male`` or ``female``.
        platelets_10e9_l: platelet count, ×10⁹/L.

    Returns:
        ``score``, ``risk`` (``low``, ``intermediate``, ``high``) and
        ``easl_surveillance`` (score ≥ 10).

    Raises:
        InvalidInput: a missing or out-of-range input, naming it.

    >>> r = page_b(45, "male", 180)
    >>> r["score"], r["risk"]
    (16, 'intermediate')
    >>> [page_b(a, "female", 250)["score"] for a in (29, 30, 69, 70, 95)]
    [0, 2, 8, 10, 10]
    """
    years = number("age", age, 0, 120, "years")
    gender = check_sex(sex)
    platelets = number("platelets_10e9_l", platelets_10e9_l, 1, 2000, "10^9/L")
    inputs = {"age": years, "sex": gender, "platelets_10e9_l": platelets}
    if years < MIN_AGE:
        return not_applicable("page_b", PAGE_B_2016, "age < 16: PAGE-B does not apply", inputs)
    score = (
        _age_points(math.floor(years))
        + (6 if gender == "male" else 0)
        + (0 if platelets >= 200 else 6 if platelets >= 100 else 9)
    )
    risk = "low" if score <= 9 else "intermediate" if score <= 17 else "high"
    values = {"score": score, "risk": risk, "easl_surveillance": score >= 10}
    return Result("page_b", values, PAGE_B_2016, inputs=inputs)


RULES = {"page_b": page_b}
