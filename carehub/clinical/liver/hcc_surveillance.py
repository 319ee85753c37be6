"""HCC surveillance in chronic hepatitis B: AASLD 2018 criteria.

Terrault NA, Lok ASF, McMahon BJ, et al. *Update on prevention, diagnosis, and
treatment of chronic hepatitis B: AASLD 2018 hepatitis B guidance.* Hepatology
2018;67:1560-1599. doi:10.1002/hep.29800 (summary: PMC9185215, Table 4).
Specification: clinical-rules.md section 5.1.

Surveillance (ultrasound ± AFP every 6 months; AFP alone if ultrasound is not
available) for HBsAg-positive adults with **any** of: cirrhosis; Asian or
Black/African-ancestry man aged **> 40**; Asian woman aged **> 50**; a
first-degree relative with HCC; HDV co-infection. Children and adolescents
qualify with advanced fibrosis (F3) or cirrhosis **plus** a family history of
HCC. The age comparison is strict by default (AASLD); many local programmes use
≥ 40, so ``age_operator="inclusive"`` switches both age criteria to ≥. Ages
are completed years. HBsAg-negative people are outside the rule's scope.
"""

from __future__ import annotations

import math
from typing import Any

from carehub.clinical.inputs import choice, flag, number
from carehub.clinical.inputs import sex as check_sex
from carehub.clinical.result import Guideline, Result, not_applicable

AASLD_HBV_2018 = Guideline(
    "AASLD hepatitis B guidance (HCC surveillance)",
    "2018",
    "Terrault NA et al. Hepatology 2018;67:1560-1599. doi:10.1002/hep.29800",
)

ANCESTRIES = ("asian", "black", "african", "white", "hispanic", "other")
"""``black`` and ``african`` both mean Black / African ancestry."""
AGE_OPERATORS = ("strict", "inclusive")
MODALITY = "ultrasound +/- AFP every 6 months"
MODALITY_NO_ULTRASOUND = "AFP every 6 months"
MALE_AGE, FEMALE_AGE = 40, 50


def _older(years: int, limit: int, inclusive: bool) -> bool:
    return years >= limit if inclusive else years > limit


def aasld2018_hbv_hcc_surveillance(
    hbsag: bool,
    cirrhosis: bool,
    sex: str,
    ancestry: str,
    age: float,
    hdv: bool = False,
    family_history_hcc: bool = False,
    advanced_fibrosis: bool = False,
    age_operator: str = "strict",
    ultrasound_available: bool = True,
) -> Result:
    """Whether an HBsAg-positive person should have HCC surveillance (AASLD 2018).

    Args:
        hbsag: HBsAg positive; if false the rule is not applicable.
        cirrhosis: cirrhosis.
        sex: ``male`` or ``female``.
        ancestry: one of :data:`ANCESTRIES`.
        age: years (completed years are compared).
        hdv: hepatitis D co-infection.
        family_history_hcc: a first-degree relative with HCC.
        advanced_fibrosis: F3 fibrosis (used for children and adolescents).
        age_operator: ``strict`` (> 40 / > 50, AASLD) or ``inclusive`` (≥).
        ultrasound_available: if false, the modality is AFP alone.

    Returns:
        ``surveillance``, ``modality`` (None when no surveillance) and
        ``criteria`` (the criteria met, as short codes).

    Raises:
        InvalidInput: a missing or invalid input, naming it.

    >>> aasld2018_hbv_hcc_surveillance(True, False, "male", "asian", 41)["surveillance"]
    True
    >>> aasld2018_hbv_hcc_surveillance(True, False, "male", "asian", 40)["surveillance"]
    False
    """
    positive = flag("hbsag", hbsag)
    has_cirrhosis = flag("cirrhosis", cirrhosis)
    gender = check_sex(sex)
    origin = choice("ancestry", ancestry, ANCESTRIES)
    years = math.floor(number("age", age, 0, 120, "years"))
    inclusive = choice("age_operator", age_operator, AGE_OPERATORS) == "inclusive"
    family = flag("family_history_hcc", family_history_hcc)
    inputs: dict[str, Any] = {
        "hbsag": positive,
        "cirrhosis": has_cirrhosis,
        "sex": gender,
        "ancestry": origin,
        "age": age,
        "age_operator": "inclusive" if inclusive else "strict",
    }
    if not positive:
        reason = "HBsAg negative: AASLD HBV surveillance criteria do not apply"
        return not_applicable("aasld2018_hbv_hcc_surveillance", AASLD_HBV_2018, reason, inputs)
    criteria: list[str] = []
    if years < 18:
        fibrosis = has_cirrhosis or flag("advanced_fibrosis", advanced_fibrosis)
        if fibrosis and family:
            criteria.append("child_f3_or_cirrhosis_with_family_history")
    else:
        if has_cirrhosis:
            criteria.append("cirrhosis")
        if (
            gender == "male"
            and origin in ("asian", "black", "african")
            and _older(years, MALE_AGE, inclusive)
        ):
            criteria.append("male_asian_or_african_ancestry_over_40")
        if gender == "female" and origin == "asian" and _older(years, FEMALE_AGE, inclusive):
            criteria.append("female_asian_over_50")
        if family:
            criteria.append("family_history_hcc")
        if flag("hdv", hdv):
            criteria.append("hdv_coinfection")
    surveillance = bool(criteria)
    modality = MODALITY if flag("ultrasound_available", ultrasound_available) else (
        MODALITY_NO_ULTRASOUND
    )
    values = {
        "surveillance": surveillance,
        "modality": modality if surveillance else None,
        "criteria": criteria,
    }
    return Result("aasld2018_hbv_hcc_surveillance", values, AASLD_HBV_2018, inputs=inputs)


RULES = {"aasld2018_hbv_hcc_surveillance": aasld2018_hbv_hcc_surveillance}
