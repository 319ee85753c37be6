"""Lung-cancer screening eligibility: USPSTF 2021 (annual low-dose CT, grade B).

US Preventive Services Task Force; Krist AH, Davidson KW, Mangione CM, et al.
*Screening for Lung Cancer: US Preventive Services Task Force Recommendation
Statement.* JAMA 2021;325:962-970. doi:10.1001/jama.2021.1117.
Specification: clinical-rules.md section 4.1.

Annual LDCT when **all** hold: 50 ≤ age ≤ 80 (completed years, inclusive at both
ends); ≥ 20 pack-years; currently smokes, or quit ≤ 15 years ago. Reading
"within the past 15 years" as inclusive at exactly 15 is *medium confidence*.
Screening stops once the person has not smoked for 15 years, or when a health
problem substantially limits life expectancy or the ability or willingness to
have curative lung surgery.
"""

from __future__ import annotations

import math
from typing import Any

from carehub.clinical.inputs import InvalidInput, choice, flag, number
from carehub.clinical.result import Guideline, Result

USPSTF_LUNG_2021 = Guideline(
    "USPSTF lung cancer screening",
    "2021",
    "Krist AH et al. JAMA 2021;325:962-970. doi:10.1001/jama.2021.1117",
)

SMOKING_STATUSES = ("current", "former", "never")
MIN_AGE, MAX_AGE = 50, 80
MIN_PACK_YEARS = 20.0
MAX_YEARS_SINCE_QUIT = 15.0


def uspstf2021_lung_screening_eligible(
    age: float,
    pack_years: float,
    smoking_status: str,
    years_since_quit: float | None = None,
    limited_life_expectancy: bool = False,
) -> Result:
    """Whether annual LDCT lung-cancer screening is recommended (USPSTF 2021).

    Args:
        age: years (completed years are used: 80.9 counts as 80).
        pack_years: lifetime cigarette pack-years.
        smoking_status: ``current``, ``former`` or ``never``.
        years_since_quit: required for ``former`` smokers.
        limited_life_expectancy: a health problem substantially limiting life
            expectancy, or the ability or willingness to have curative surgery.

    Returns:
        ``eligible``, ``recommendation`` (``annual LDCT`` or empty) and
        ``unmet`` (the criteria not met, as short codes).

    Raises:
        InvalidInput: out-of-range numbers, an unknown status, or a missing
            ``years_since_quit`` for a former smoker, naming the input.

    >>> uspstf2021_lung_screening_eligible(55, 20, "current")["eligible"]
    True
    >>> uspstf2021_lung_screening_eligible(50, 20, "former", years_since_quit=16)["unmet"]
    ['quit_more_than_15_years']
    """
    years = math.floor(number("age", age, 0, 120, "years"))
    packs = number("pack_years", pack_years, 0, 300)
    status = choice("smoking_status", smoking_status, SMOKING_STATUSES)
    limited = flag("limited_life_expectancy", limited_life_expectancy)
    inputs: dict[str, Any] = {"age": age, "pack_years": packs, "smoking_status": status}
    unmet: list[str] = []
    if not MIN_AGE <= years <= MAX_AGE:
        unmet.append("age_outside_50_80")
    if packs < MIN_PACK_YEARS:
        unmet.append("under_20_pack_years")
    if status == "never":
        unmet.append("never_smoked")
    elif status == "former":
        if years_since_quit is None:
            raise InvalidInput("years_since_quit", "is required for former smokers")
        quit_years = number("years_since_quit", years_since_quit, 0, 120, "years")
        inputs["years_since_quit"] = quit_years
        if quit_years > MAX_YEARS_SINCE_QUIT:
            unmet.append("quit_more_than_15_years")
    if limited:
        unmet.append("limited_life_expectancy")
    eligible = not unmet
    values = {
        "eligible": eligible,
        "recommendation": "annual LDCT" if eligible else "",
        "unmet": unmet,
    }
    reason = "years since quitting = 15 read as within 15 years (medium confidence)"
    return Result(
        "uspstf2021_lung_screening_eligible",
        values,
        USPSTF_LUNG_2021,
        reason=reason if status == "former" and eligible else "",
        inputs=inputs,
    )


RULES = {"uspstf2021_lung_screening_eligible": uspstf2021_lung_screening_eligible}
