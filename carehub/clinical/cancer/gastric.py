"""Gastric cancer screening in East and South-East Asia, by programme profile.

There is no WHO or USPSTF recommendation. Profiles (specification
clinical-rules.md section 5.5):

* ``korea``: Korean National Cancer Screening Programme: upper endoscopy every
  2 years from age 40.
* ``japan``: Japanese guideline: endoscopy or radiography every 2-3 years from
  age 50 (Hamashima C. Jpn J Clin Oncol 2018;48:673-683. doi:10.1093/jjco/hyy077).
* ``asia_pacific``: Asia-Pacific consensus and the Kyoto *H. pylori* consensus
  (Sugano K et al. Gut 2015;64:1353-1367. doi:10.1136/gutjnl-2015-309252):
  endoscopic screening in high-incidence areas from about age 40, with *H. pylori*
  test-and-treat.
* ``viet_nam`` (default): no national gastric programme has been confirmed;
  modelled as opportunistic endoscopy from age 40 with *H. pylori*
  test-and-treat (medium confidence; the result's ``reason`` says so).

No stop age is given by the specification, so none is applied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from carehub.clinical.inputs import choice, number
from carehub.clinical.result import Guideline, Result


@dataclass(frozen=True, slots=True)
class GastricProfile:
    """One programme: who starts when, with which test, how often."""

    start_age: int
    modality: str
    interval: str
    organised: bool
    h_pylori_test_and_treat: bool
    guideline: Guideline
    caveat: str = ""


_KYOTO = Guideline(
    "Kyoto global consensus on H. pylori gastritis / Asia-Pacific gastric cancer consensus",
    "2015",
    "Sugano K et al. Gut 2015;64:1353-1367. doi:10.1136/gutjnl-2015-309252",
)

PROFILES = {
    "korea": GastricProfile(
        40,
        "upper endoscopy",
        "every 2 years",
        True,
        False,
        Guideline(
            "Korean guideline for gastric cancer screening",
            "2015",
            "Park HA et al. J Korean Med Assoc 2015;58:373-384 (National Cancer Screening Program)",
        ),
    ),
    "japan": GastricProfile(
        50,
        "upper endoscopy or barium radiography",
        "every 2-3 years",
        True,
        False,
        Guideline(
            "Japanese guidelines for gastric cancer screening",
            "2018",
            "Hamashima C. Jpn J Clin Oncol 2018;48:673-683. doi:10.1093/jjco/hyy077",
        ),
    ),
    "asia_pacific": GastricProfile(
        40, "upper endoscopy (high-incidence areas)", "every 2-3 years", False, True, _KYOTO
    ),
    "viet_nam": GastricProfile(
        40,
        "opportunistic upper endoscopy",
        "clinician's judgement",
        False,
        True,
        _KYOTO,
        "Viet Nam: no national gastric programme confirmed; opportunistic endoscopy "
        "(medium confidence, clinical-rules.md 5.5)",
    ),
}


def gastric_screening(age: float, profile: str = "viet_nam") -> Result:
    """Gastric cancer screening advice for ``age`` under a programme ``profile``.

    Args:
        age: years (completed years are compared).
        profile: ``viet_nam`` (default), ``korea``, ``japan`` or ``asia_pacific``.

    Returns:
        ``recommended`` (age ≥ the profile's start age), ``organised``,
        ``modality``, ``interval``, ``start_age`` and ``h_pylori_test_and_treat``.

    Raises:
        InvalidInput: a missing or out-of-range age, or an unknown profile.

    >>> r = gastric_screening(45, "korea")
    >>> r["recommended"], r["interval"]
    (True, 'every 2 years')
    >>> gastric_screening(45, "japan")["recommended"]
    False
    """
    years = math.floor(number("age", age, 0, 120, "years"))
    name = choice("profile", profile, tuple(PROFILES))
    p = PROFILES[name]
    due = years >= p.start_age
    values: dict[str, Any] = {
        "recommended": due,
        "organised": p.organised,
        "modality": p.modality if due else None,
        "interval": p.interval if due else None,
        "start_age": p.start_age,
        "h_pylori_test_and_treat": p.h_pylori_test_and_treat,
        "profile": name,
    }
    inputs = {"age": age, "profile": name}
    return Result("gastric_screening", values, p.guideline, reason=p.caveat, inputs=inputs)


RULES = {"gastric_screening": gastric_screening}
