"""Estimated GFR: CKD-EPI creatinine 2021, creatinine-cystatin 2021 and cystatin 2012 (race-free).

Sources:

* Inker LA, Eneanya ND, Coresh J, et al. New Creatinine- and Cystatin C-Based
  Equations to Estimate GFR without Race. N Engl J Med 2021;385:1737-49.
  https://doi.org/10.1056/NEJMoa2102953
* Inker LA, Schmid CH, Tighiouart H, et al. Estimating Glomerular Filtration Rate
  from Serum Creatinine and Cystatin C. N Engl J Med 2012;367:20-29.
  https://doi.org/10.1056/NEJMoa1114248

Conventions of the clinical specification (section 1.1-1.2): creatinine in
mg/dL (µmol/L ÷ 88.4), cystatin C in mg/L, adults only (age < 18 is not
applicable), age capped at 100 and the result rounded to 2 dp, as the R package
kidney.epi does. Results are in mL/min/1.73 m².
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from carehub.clinical.inputs import InvalidInput, number
from carehub.clinical.inputs import sex as checked_sex
from carehub.clinical.result import Guideline, Result, not_applicable
from carehub.clinical.units import CREATININE_UMOL_PER_MG_DL, canonical_unit

CKD_EPI_2021_CR = Guideline(
    "CKD-EPI creatinine (race-free)",
    "2021",
    "Inker LA et al. N Engl J Med 2021;385:1737-49. doi:10.1056/NEJMoa2102953",
)
CKD_EPI_2021_CR_CYS = Guideline(
    "CKD-EPI creatinine-cystatin C (race-free)",
    "2021",
    "Inker LA et al. N Engl J Med 2021;385:1737-49. doi:10.1056/NEJMoa2102953",
)
CKD_EPI_2012_CYS = Guideline(
    "CKD-EPI cystatin C",
    "2012",
    "Inker LA et al. N Engl J Med 2012;367:20-29. doi:10.1056/NEJMoa1114248",
)

MIN_AGE = 18.0
"""The equations are for adults; younger patients are out of scope."""
ADULTS_ONLY = "CKD-EPI is for adults (age >= 18)"
AGE_CAP = 100.0
"""Ages above this are computed as this age (as kidney.epi does)."""

_SCR_RANGE = {"mg/dL": (0.1, 40.0), "umol/L": (5.0, 3500.0)}
_SCYS_RANGE = (0.1, 15.0)


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def creatinine_input(
    scr_mg_dl: float | None = None,
    scr_umol_l: float | None = None,
    scr: float | None = None,
    scr_unit: str = "mg/dL",
    conversion: str | None = None,
) -> float:
    """Serum creatinine in mg/dL, from exactly one of the three ways of giving it.

    Args:
        scr_mg_dl: creatinine in mg/dL.
        scr_umol_l: creatinine in µmol/L (divided by 88.4).
        scr: creatinine in ``scr_unit`` (``mg/dL`` or ``µmol/L``).
        scr_unit: the unit of ``scr``.
        conversion: optional statement of the µmol/L conversion the caller
            expects (e.g. ``"mg/dL = umol/L / 88.4"``); it must name 88.4.

    Raises:
        InvalidInput: none or several values given, a value out of range, an
            unknown unit, or a ``conversion`` with another factor.

    >>> creatinine_input(scr_umol_l=88.4)
    1.0
    >>> creatinine_input(scr_mg_dl=1.0, scr_umol_l=88.4)
    Traceback (most recent call last):
    carehub.clinical.inputs.InvalidInput: scr_umol_l: creatinine given twice: scr_mg_dl, scr_umol_l
    """
    given = [
        (name, value, unit)
        for name, value, unit in (
            ("scr_mg_dl", scr_mg_dl, "mg/dL"),
            ("scr_umol_l", scr_umol_l, "umol/L"),
            ("scr", scr, scr_unit),
        )
        if value is not None
    ]
    if not given:
        raise InvalidInput("scr_mg_dl", "is required (or scr_umol_l, or scr with scr_unit)")
    if len(given) > 1:
        names = ", ".join(name for name, _, _ in given)
        raise InvalidInput(given[1][0], f"creatinine given twice: {names}")
    name, value, unit = given[0]
    canonical = canonical_unit("scr_unit" if name == "scr" else name, unit)
    if canonical not in _SCR_RANGE:
        raise InvalidInput("scr_unit", f"unit {unit} is not a creatinine unit")
    low, high = _SCR_RANGE[canonical]
    x = number(name, value, low, high, canonical)
    if canonical == "mg/dL":
        return x
    if conversion is not None:
        factors = [float(f) for f in re.findall(r"\d+(?:\.\d+)?", str(conversion))]
        if CREATININE_UMOL_PER_MG_DL not in factors:
            raise InvalidInput(
                "conversion",
                f"CareHub converts creatinine as mg/dL = µmol/L ÷ {CREATININE_UMOL_PER_MG_DL:g} "
                f"(KDIGO); {conversion!r} asks for another factor",
            )
    return x / CREATININE_UMOL_PER_MG_DL


def _age(age: object) -> float:
    return min(number("age", age, 0, 130, "years"), AGE_CAP)


def _adult_result(
    rule: str, guideline: Guideline, inputs: dict[str, object], egfr: Callable[[], float]
) -> Result:
    """The eGFR result of ``rule``, or not applicable under :data:`MIN_AGE` (``inputs["age"]``)."""
    age = inputs["age"]
    assert isinstance(age, float | int)
    if age < MIN_AGE:
        return not_applicable(rule, guideline, ADULTS_ONLY, inputs)
    return _result(rule, guideline, egfr(), inputs)


def _result(rule: str, guideline: Guideline, egfr: float, inputs: dict[str, object]) -> Result:
    value = round(egfr, 2)
    return Result(
        rule,
        {"egfr": value, "egfr_rounded_int": _round_half_up(egfr), "unit": "mL/min/1.73m2"},
        guideline,
        inputs=inputs,
    )


def egfr_creatinine_2021(scr_mg_dl: float, age: float, sex: str) -> float:
    """Unrounded CKD-EPI 2021 creatinine eGFR (mL/min/1.73 m²); inputs already checked.

    >>> round(egfr_creatinine_2021(1.4, 60, "male"), 4)
    57.5394
    """
    female = sex == "female"
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = scr_mg_dl / kappa
    return float(
        142.0
        * min(ratio, 1.0) ** alpha
        * max(ratio, 1.0) ** -1.200
        * 0.9938**age
        * (1.012 if female else 1.0)
    )


def egfr_creatinine_cystatin_2021(
    scr_mg_dl: float, scys_mg_l: float, age: float, sex: str
) -> float:
    """Unrounded CKD-EPI 2021 creatinine-cystatin C eGFR; inputs already checked.

    >>> round(egfr_creatinine_cystatin_2021(1.4, 0.8, 60, "male"), 2)
    83.97
    """
    female = sex == "female"
    kappa, alpha = (0.7, -0.219) if female else (0.9, -0.144)
    ratio = scr_mg_dl / kappa
    cys = scys_mg_l / 0.8
    return float(
        135.0
        * min(ratio, 1.0) ** alpha
        * max(ratio, 1.0) ** -0.544
        * min(cys, 1.0) ** -0.323
        * max(cys, 1.0) ** -0.778
        * 0.9961**age
        * (0.963 if female else 1.0)
    )


def egfr_cystatin_2012(scys_mg_l: float, age: float, sex: str) -> float:
    """Unrounded CKD-EPI 2012 cystatin C eGFR; inputs already checked.

    >>> round(egfr_cystatin_2012(1.0, 50, "male"), 2)
    80.93
    """
    cys = scys_mg_l / 0.8
    return float(
        133.0
        * min(cys, 1.0) ** -0.499
        * max(cys, 1.0) ** -1.328
        * 0.996**age
        * (0.932 if sex == "female" else 1.0)
    )


def ckd_epi_2021_creatinine(
    *,
    age: float,
    sex: str,
    scr_mg_dl: float | None = None,
    scr_umol_l: float | None = None,
    scr: float | None = None,
    scr_unit: str = "mg/dL",
    conversion: str | None = None,
) -> Result:
    """CKD-EPI 2021 race-free creatinine eGFR (rule ``ckd_epi_2021_creatinine``).

    Give creatinine once: ``scr_mg_dl``, ``scr_umol_l`` or ``scr`` with ``scr_unit``.

    Returns:
        ``egfr`` (mL/min/1.73 m², 2 dp) and ``egfr_rounded_int``; not applicable
        under 18 years.

    Raises:
        InvalidInput: a missing or out-of-range input (named), an unknown unit.

    >>> ckd_epi_2021_creatinine(scr_mg_dl=1.4, age=60, sex="male")["egfr"]
    57.54
    >>> ckd_epi_2021_creatinine(scr_umol_l=120, age=60, sex="male")["egfr"]
    59.71
    >>> ckd_epi_2021_creatinine(scr_mg_dl=0.5, age=12, sex="female").applicable
    False
    """
    scr_value = creatinine_input(scr_mg_dl, scr_umol_l, scr, scr_unit, conversion)
    years = _age(age)
    s = checked_sex(sex)
    inputs: dict[str, object] = {"scr_mg_dl": scr_value, "age": years, "sex": s}
    return _adult_result(
        "ckd_epi_2021_creatinine", CKD_EPI_2021_CR, inputs,
        lambda: egfr_creatinine_2021(scr_value, years, s),
    )


def _cystatin(scys_mg_l: object) -> float:
    if scys_mg_l is None:
        raise InvalidInput("scys_mg_l", "is required")
    return number("scys_mg_l", scys_mg_l, *_SCYS_RANGE, "mg/L")


def ckd_epi_2021_creatinine_cystatin(
    *,
    age: float,
    sex: str,
    scys_mg_l: float,
    scr_mg_dl: float | None = None,
    scr_umol_l: float | None = None,
    scr: float | None = None,
    scr_unit: str = "mg/dL",
    conversion: str | None = None,
) -> Result:
    """CKD-EPI 2021 race-free creatinine-cystatin C eGFR (``ckd_epi_2021_creatinine_cystatin``).

    Cystatin C in mg/L; creatinine as for :func:`ckd_epi_2021_creatinine`.

    Raises:
        InvalidInput: a missing or out-of-range input (named), an unknown unit.

    >>> ckd_epi_2021_creatinine_cystatin(scr_mg_dl=0.8, scys_mg_l=1.2, age=50, sex="female")["egfr"]
    72.54
    """
    scr_value = creatinine_input(scr_mg_dl, scr_umol_l, scr, scr_unit, conversion)
    cys = _cystatin(scys_mg_l)
    years = _age(age)
    s = checked_sex(sex)
    inputs: dict[str, object] = {"scr_mg_dl": scr_value, "scys_mg_l": cys, "age": years, "sex": s}
    return _adult_result(
        "ckd_epi_2021_creatinine_cystatin", CKD_EPI_2021_CR_CYS, inputs,
        lambda: egfr_creatinine_cystatin_2021(scr_value, cys, years, s),
    )


def ckd_epi_2012_cystatin(*, age: float, sex: str, scys_mg_l: float) -> Result:
    """CKD-EPI 2012 cystatin C eGFR (rule ``ckd_epi_2012_cystatin``); never had a race term.

    Raises:
        InvalidInput: a missing or out-of-range input (named).

    >>> ckd_epi_2012_cystatin(scys_mg_l=1.0, age=50, sex="male")["egfr"]
    80.93
    """
    cys = _cystatin(scys_mg_l)
    years = _age(age)
    s = checked_sex(sex)
    inputs: dict[str, object] = {"scys_mg_l": cys, "age": years, "sex": s}
    return _adult_result(
        "ckd_epi_2012_cystatin", CKD_EPI_2012_CYS, inputs,
        lambda: egfr_cystatin_2012(cys, years, s),
    )


RULES = {
    "ckd_epi_2021_creatinine": ckd_epi_2021_creatinine,
    "ckd_epi_2021_creatinine_cystatin": ckd_epi_2021_creatinine_cystatin,
    "ckd_epi_2012_cystatin": ckd_epi_2012_cystatin,
}
