"""Cervical cancer screening eligibility: WHO 2021 guideline (HPV-DNA primary screening).

World Health Organization. *WHO guideline for screening and treatment of cervical
pre-cancer lesions for cervical cancer prevention*, 2nd ed. Geneva: WHO; 2021.
ISBN 978-92-4-003082-4. https://www.who.int/publications/i/item/9789240030824.
Specification: clinical-rules.md section 5.2.

* General population of women: from **30** years, HPV-DNA every 5-10 years;
  stop after age 50 once there are two consecutive negative results.
* Women living with HIV: from **25** years, HPV-DNA every 3-5 years (the
  specification gives no stop rule for this group).

The Viet Nam profile (Decision 3792/QĐ-BYT, 2024) is not encoded: its age and
interval table is unverified (medium confidence in the specification).
"""

from __future__ import annotations

from typing import Any

from carehub.clinical.inputs import InvalidInput, flag, number
from carehub.clinical.result import Guideline, Result

WHO_CERVICAL_2021 = Guideline(
    "WHO cervical pre-cancer screening and treatment guideline",
    "2021 (2nd ed.)",
    "WHO 2021, ISBN 978-92-4-003082-4. https://www.who.int/publications/i/item/9789240030824",
)

START_AGE = 30
START_AGE_HIV = 25
STOP_AFTER_AGE = 50
NEGATIVES_TO_STOP = 2


def who2021_cervical_screening(
    age: float, hiv: bool, consecutive_negative_screens_after_50: int = 0
) -> Result:
    """Whether a woman is due for cervical screening under WHO 2021.

    Args:
        age: years.
        hiv: living with HIV.
        consecutive_negative_screens_after_50: consecutive negative screens taken
            after age 50 (must be 0 before 50).

    Returns:
        ``eligible``, ``test`` (``HPV-DNA``), ``interval_years`` (``5-10`` or
        ``3-5``), ``start_age`` and ``status`` (``not_yet``, ``screen`` or
        ``stopped``).

    Raises:
        InvalidInput: an out-of-range input, or negative screens after 50
            reported for a woman under 50, naming the input.

    >>> who2021_cervical_screening(29, False)["eligible"]
    False
    >>> who2021_cervical_screening(25, True)["eligible"]
    True
    >>> who2021_cervical_screening(52, False, 2)["status"]
    'stopped'
    """
    years = number("age", age, 0, 120, "years")
    living_with_hiv = flag("hiv", hiv)
    negatives = number(
        "consecutive_negative_screens_after_50", consecutive_negative_screens_after_50, 0, 50
    )
    if negatives > 0 and years < STOP_AFTER_AGE:
        raise InvalidInput(
            "consecutive_negative_screens_after_50", f"cannot be {negatives:g} at age {years:g}"
        )
    start = START_AGE_HIV if living_with_hiv else START_AGE
    if years < start:
        status = "not_yet"
    elif not living_with_hiv and negatives >= NEGATIVES_TO_STOP:
        status = "stopped"
    else:
        status = "screen"
    values: dict[str, Any] = {
        "eligible": status == "screen",
        "status": status,
        "test": "HPV-DNA",
        "interval_years": "3-5" if living_with_hiv else "5-10",
        "start_age": start,
    }
    inputs = {"age": years, "hiv": living_with_hiv}
    inputs["consecutive_negative_screens_after_50"] = negatives
    return Result("who2021_cervical_screening", values, WHO_CERVICAL_2021, inputs=inputs)


RULES = {"who2021_cervical_screening": who2021_cervical_screening}
