"""Colorectal cancer screening: USPSTF 2021 (ages 45-75, selectively 76-85).

US Preventive Services Task Force; Davidson KW, Barry MJ, Mangione CM, et al.
*Screening for Colorectal Cancer: US Preventive Services Task Force
Recommendation Statement.* JAMA 2021;325:1965-1977. doi:10.1001/jama.2021.6238.
Specification: clinical-rules.md section 5.4.

Adults at average risk, by completed years: 45-49 recommended (grade B); 50-75
recommended (grade A); 76-85 ``selective`` (grade C). Younger than 45 and older
than 85 are not addressed by the recommendation (``recommended`` false).
People at high risk (hereditary syndromes, inflammatory bowel disease, prior
colorectal cancer or adenomas, strong family history) are outside its scope.
The Asia Pacific Consensus (start at 50, APCS score) is not encoded: its
score details are unverified.
"""

from __future__ import annotations

import math
from typing import Any

from carehub.clinical.inputs import flag, number
from carehub.clinical.result import Guideline, Result, not_applicable

USPSTF_CRC_2021 = Guideline(
    "USPSTF colorectal cancer screening",
    "2021",
    "Davidson KW et al. JAMA 2021;325:1965-1977. doi:10.1001/jama.2021.6238",
)

TEST_INTERVALS = {
    "fit": "yearly",
    "sdna_fit": "every 1-3 years",
    "colonoscopy": "every 10 years",
    "ct_colonography": "every 5 years",
    "flexible_sigmoidoscopy": "every 5 years, or every 10 years with yearly FIT",
}
"""Screening tests and their intervals (USPSTF 2021)."""


def uspstf2021_colorectal(age: float, high_risk: bool = False) -> Result:
    """USPSTF 2021 colorectal screening recommendation by age.

    Args:
        age: years (completed years are compared).
        high_risk: not at average risk (see the module docstring): not applicable.

    Returns:
        ``recommended`` (true for 45-75), ``recommendation`` (``recommended``,
        ``selective`` or ``not_addressed``), ``grade`` (``A``, ``B``, ``C`` or
        None) and ``tests`` (test → interval when there is a grade; empty otherwise).

    Raises:
        InvalidInput: a missing or out-of-range age, naming it.

    >>> r = uspstf2021_colorectal(45)
    >>> r["recommended"], r["grade"]
    (True, 'B')
    >>> uspstf2021_colorectal(76)["recommendation"], uspstf2021_colorectal(86)["recommendation"]
    ('selective', 'not_addressed')
    """
    years = math.floor(number("age", age, 0, 120, "years"))
    inputs: dict[str, Any] = {"age": age}
    if flag("high_risk", high_risk):
        reason = "high risk: USPSTF 2021 covers adults at average risk"
        return not_applicable("uspstf2021_colorectal", USPSTF_CRC_2021, reason, inputs)
    if 45 <= years <= 49:
        recommendation, grade = "recommended", "B"
    elif 50 <= years <= 75:
        recommendation, grade = "recommended", "A"
    elif 76 <= years <= 85:
        recommendation, grade = "selective", "C"
    else:
        recommendation, grade = "not_addressed", None
    values = {
        "recommended": recommendation == "recommended",
        "recommendation": recommendation,
        "grade": grade,
        "tests": dict(TEST_INTERVALS) if grade is not None else {},
    }
    return Result("uspstf2021_colorectal", values, USPSTF_CRC_2021, inputs=inputs)


RULES = {"uspstf2021_colorectal": uspstf2021_colorectal}
