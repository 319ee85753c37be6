"""GOLD 2024/2025 COPD assessment: spirometric obstruction, grade (1-4) and ABE group.

Global Initiative for Chronic Obstructive Lung Disease, *Global Strategy for the
Diagnosis, Management and Prevention of COPD*, 2024 and 2025 reports
(https://goldcopd.org/2025-gold-report/); content unchanged since 2023.
Specification: clinical-rules.md section 2.1.

* Obstruction: post-bronchodilator FEV1/FVC **< 0.70** (strict; 0.70 is not
  obstruction). When a GLI z-score of FEV1/FVC is given, the ATS/ERS 2022 LLN
  criterion (z < −1.645) is reported beside it.
* Grade: post-BD FEV1 % predicted ≥ 80 → 1, [50, 80) → 2, [30, 50) → 3, < 30 → 4;
  only for FEV1/FVC < 0.70.
* ABE: E if ≥ 2 moderate exacerbations or ≥ 1 hospitalised in 12 months; else B
  if mMRC ≥ 2 or CAT ≥ 10 (either suffices, as PySpiro); else A. Without CAT
  and mMRC (and no E criterion) the group is not applicable.
"""

from __future__ import annotations

from typing import Any

from carehub.clinical.inputs import InvalidInput, number
from carehub.clinical.result import Guideline, Result, not_applicable

GOLD = Guideline(
    "GOLD COPD strategy",
    "2025",
    "Global Initiative for Chronic Obstructive Lung Disease, 2025 report. "
    "https://goldcopd.org/2025-gold-report/",
)

FIXED_RATIO = 0.70
LLN_Z = -1.645


def _count(name: str, value: object, high: int = 100) -> int:
    x = number(name, value, 0, high)
    if not x.is_integer():
        raise InvalidInput(name, f"must be a whole number, not {value!r}")
    return int(x)


def _ratio(name: str, value: object) -> float:
    return number(name, value, 0.05, 1.5)


def gold_obstruction(post_bd_fev1_fvc: float, fev1_fvc_z: float | None = None) -> Result:
    """Airflow obstruction by the GOLD fixed ratio (and the LLN, if a z-score is given).

    Args:
        post_bd_fev1_fvc: post-bronchodilator FEV1/FVC as a ratio (0.69, not 69 %).
        fev1_fvc_z: optional GLI z-score of FEV1/FVC.

    Returns:
        ``obstruction`` (FEV1/FVC < 0.70) and, with ``fev1_fvc_z``, ``below_lln``
        (z < −1.645).

    Raises:
        InvalidInput: a ratio outside 0.05-1.5 (a percentage passed by mistake), or a bad z.

    >>> gold_obstruction(0.69)["obstruction"], gold_obstruction(0.70)["obstruction"]
    (True, False)
    """
    ratio = _ratio("post_bd_fev1_fvc", post_bd_fev1_fvc)
    values: dict[str, Any] = {"obstruction": ratio < FIXED_RATIO, "fev1_fvc": ratio}
    inputs: dict[str, Any] = {"post_bd_fev1_fvc": ratio}
    if fev1_fvc_z is not None:
        z = number("fev1_fvc_z", fev1_fvc_z, -10, 10)
        values["below_lln"] = z < LLN_Z
        inputs["fev1_fvc_z"] = z
    return Result("gold_obstruction", values, GOLD, inputs=inputs)


def gold_grade(post_bd_fev1_pct_pred: float, post_bd_fev1_fvc: float | None = None) -> Result:
    """GOLD spirometric grade 1-4 from post-BD FEV1 % predicted.

    Args:
        post_bd_fev1_pct_pred: post-bronchodilator FEV1, % predicted (0-200).
        post_bd_fev1_fvc: optional FEV1/FVC ratio; if given and ≥ 0.70 the grade
            is not applicable (grades apply only to obstruction).

    Raises:
        InvalidInput: a value out of range, naming it.

    >>> [gold_grade(p)["grade"] for p in (80, 79.9, 50, 49.9, 30, 29.9)]
    [1, 2, 2, 3, 3, 4]
    >>> gold_grade(60, post_bd_fev1_fvc=0.72).applicable
    False
    """
    pct = number("post_bd_fev1_pct_pred", post_bd_fev1_pct_pred, 0, 200, "%")
    inputs: dict[str, Any] = {"post_bd_fev1_pct_pred": pct}
    if post_bd_fev1_fvc is not None:
        ratio = _ratio("post_bd_fev1_fvc", post_bd_fev1_fvc)
        inputs["post_bd_fev1_fvc"] = ratio
        if ratio >= FIXED_RATIO:
            reason = f"FEV1/FVC {ratio:g} >= 0.70: no obstruction, GOLD grades do not apply"
            return not_applicable("gold_grade", GOLD, reason, inputs)
    grade = 1 if pct >= 80 else 2 if pct >= 50 else 3 if pct >= 30 else 4
    return Result("gold_grade", {"grade": grade, "label": f"GOLD {grade}"}, GOLD, inputs=inputs)


def gold_abe_group(
    moderate_exacerbations_12m: int,
    hospitalised_exacerbations_12m: int,
    cat: float | None = None,
    mmrc: int | None = None,
) -> Result:
    """GOLD ABE group from exacerbations in the last 12 months and symptoms.

    Args:
        moderate_exacerbations_12m: moderate exacerbations (not hospitalised), whole number.
        hospitalised_exacerbations_12m: exacerbations leading to hospital admission.
        cat: COPD Assessment Test score, 0-40 (optional).
        mmrc: modified MRC dyspnoea grade, 0-4 (optional).

    Returns:
        ``group`` ``A``, ``B`` or ``E``; not applicable if neither ``cat`` nor
        ``mmrc`` is given and the E criteria are not met.

    Raises:
        InvalidInput: a negative or fractional count, CAT outside 0-40, mMRC outside 0-4.

    >>> gold_abe_group(0, 0, cat=9)["group"], gold_abe_group(0, 0, cat=10)["group"]
    ('A', 'B')
    >>> gold_abe_group(2, 0, cat=5)["group"], gold_abe_group(0, 1)["group"]
    ('E', 'E')
    """
    moderate = _count("moderate_exacerbations_12m", moderate_exacerbations_12m)
    hospitalised = _count("hospitalised_exacerbations_12m", hospitalised_exacerbations_12m)
    inputs: dict[str, Any] = {
        "moderate_exacerbations_12m": moderate,
        "hospitalised_exacerbations_12m": hospitalised,
    }
    cat_score = None if cat is None else number("cat", cat, 0, 40)
    mmrc_grade = None if mmrc is None else _count("mmrc", mmrc, 4)
    inputs.update({"cat": cat_score, "mmrc": mmrc_grade})
    if moderate >= 2 or hospitalised >= 1:
        return Result("gold_abe_group", {"group": "E"}, GOLD, inputs=inputs)
    if cat_score is None and mmrc_grade is None:
        reason = "neither CAT nor mMRC given, and no E criterion met"
        return not_applicable("gold_abe_group", GOLD, reason, inputs)
    high_cat = cat_score is not None and cat_score >= 10
    high = high_cat or (mmrc_grade is not None and mmrc_grade >= 2)
    return Result("gold_abe_group", {"group": "B" if high else "A"}, GOLD, inputs=inputs)


RULES = {
    "gold_obstruction": gold_obstruction,
    "gold_grade": gold_grade,
    "gold_abe_group": gold_abe_group,
}
