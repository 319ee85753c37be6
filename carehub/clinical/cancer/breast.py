"""Breast cancer screening: USPSTF 2024 (biennial mammography, ages 40-74).

US Preventive Services Task Force; Nicholson WK, Silverstein M, Wong JB, et al.
*Screening for Breast Cancer: US Preventive Services Task Force Recommendation
Statement.* JAMA 2024;331:1918-1930. doi:10.1001/jama.2024.5534.
Specification: clinical-rules.md section 5.3.

Women at average risk aged 40-74 (completed years): biennial mammography,
grade B. Age ≥ 75: insufficient evidence (grade I). The ages are a profile
(``start_age``/``stop_age``) because local programmes differ. Men and women at
high risk (known BRCA or other high-risk mutation, prior chest radiation at a
young age, prior breast cancer) are outside the recommendation.
"""

from __future__ import annotations

import math
from typing import Any

from carehub.clinical.inputs import InvalidInput, flag, number
from carehub.clinical.inputs import sex as check_sex
from carehub.clinical.result import Guideline, Result, not_applicable

USPSTF_BREAST_2024 = Guideline(
    "USPSTF breast cancer screening",
    "2024",
    "Nicholson WK et al. JAMA 2024;331:1918-1930. doi:10.1001/jama.2024.5534",
)

INTERVAL = "biennial mammography"


def uspstf2024_breast(
    age: float,
    sex: str,
    high_risk: bool = False,
    start_age: int = 40,
    stop_age: int = 74,
) -> Result:
    """USPSTF 2024 breast screening recommendation for one person.

    Args:
        age: years (completed years are compared).
        sex: ``female`` or ``male`` (not applicable to men).
        high_risk: high-risk mutation, prior chest radiation or prior breast cancer.
        start_age, stop_age: the programme ages (default 40 and 74, inclusive).

    Returns:
        ``recommended``, ``recommendation`` (``recommended``,
        ``insufficient_evidence`` or ``not_recommended``), ``grade`` (``B``,
        ``I`` or None) and ``interval`` (None unless recommended).

    Raises:
        InvalidInput: a missing or out-of-range input, or ``stop_age`` below
            ``start_age``, naming it.

    >>> r = uspstf2024_breast(40, "female")
    >>> r["recommended"], r["interval"], r["grade"]
    (True, 'biennial mammography', 'B')
    >>> uspstf2024_breast(75, "female")["recommendation"]
    'insufficient_evidence'
    """
    years = math.floor(number("age", age, 0, 120, "years"))
    gender = check_sex(sex)
    first = int(number("start_age", start_age, 18, 100))
    last = int(number("stop_age", stop_age, 18, 120))
    if last < first:
        raise InvalidInput("stop_age", f"{last} is below start_age {first}")
    inputs: dict[str, Any] = {"age": age, "sex": gender, "start_age": first, "stop_age": last}
    if gender != "female":
        reason = "the USPSTF recommendation covers women (female sex at birth)"
        return not_applicable("uspstf2024_breast", USPSTF_BREAST_2024, reason, inputs)
    if flag("high_risk", high_risk):
        reason = "high risk (mutation, chest radiation, prior breast cancer): not average risk"
        return not_applicable("uspstf2024_breast", USPSTF_BREAST_2024, reason, inputs)
    if first <= years <= last:
        values: dict[str, Any] = {
            "recommended": True,
            "recommendation": "recommended",
            "grade": "B",
            "interval": INTERVAL,
        }
    elif years > last:
        values = {
            "recommended": False,
            "recommendation": "insufficient_evidence",
            "grade": "I",
            "interval": None,
        }
    else:
        values = {
            "recommended": False,
            "recommendation": "not_recommended",
            "grade": None,
            "interval": None,
        }
    return Result("uspstf2024_breast", values, USPSTF_BREAST_2024, inputs=inputs)


RULES = {"uspstf2024_breast": uspstf2024_breast}
