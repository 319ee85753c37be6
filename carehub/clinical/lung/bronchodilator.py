"""Bronchodilator responsiveness: ERS/ATS 2022 and GINA 2024 (adults and adolescents).

* ERS/ATS 2022: Stanojevic S, Kaminsky DA, Miller MR, et al. *ERS/ATS technical
  standard on interpretive strategies for routine lung function tests.* Eur Respir J
  2022;60:2101499. doi:10.1183/13993003.01499-2021. Change as % of the *predicted*
  value, positive if **> 10 %** for FEV1 or FVC (strict; exactly 10 % is negative).
* GINA 2024 (https://ginasthma.org/2024-report/, Box 1-2; as ATS/ERS 2005): adults
  and adolescents (≥ 12 y), positive if ΔFEV1 **> 12 %** of baseline **and
  > 200 mL**; ``high_confidence`` if > 15 % and > 400 mL.

Specification: clinical-rules.md section 2.2. Comparisons are made on values
rounded to 6 decimals so that floating-point noise (2.3 − 2.0 = 0.2999…) never
moves a result across a strict threshold.
"""

from __future__ import annotations

from typing import Any

from carehub.clinical.inputs import InvalidInput, number
from carehub.clinical.result import Guideline, Result, not_applicable

ERS_ATS_2022 = Guideline(
    "ERS/ATS interpretive strategies (bronchodilator responsiveness)",
    "2022",
    "Stanojevic S et al. Eur Respir J 2022;60:2101499. doi:10.1183/13993003.01499-2021",
)
GINA_2024 = Guideline(
    "GINA asthma strategy (bronchodilator reversibility)",
    "2024",
    "Global Initiative for Asthma, 2024 report, Box 1-2. https://ginasthma.org/2024-report/",
)

_VOLUME_L = (0.05, 15.0)


def _litres(name: str, value: object) -> float:
    return number(name, value, *_VOLUME_L, "L")


def _change_pct_pred(index: str, pre: object, post: object, pred: object) -> float | None:
    given = {f"pre_{index}": pre, f"post_{index}": post, f"pred_{index}": pred}
    if all(v is None for v in given.values()):
        return None
    for name, value in given.items():
        if value is None:
            raise InvalidInput(name, f"is required with the other {index.upper()} values")
    pre_l = _litres(f"pre_{index}", pre)
    post_l = _litres(f"post_{index}", post)
    pred_l = _litres(f"pred_{index}", pred)
    return round((post_l - pre_l) / pred_l * 100, 6)


def bdr_ers_ats_2022(
    pre_fev1: float | None = None,
    post_fev1: float | None = None,
    pred_fev1: float | None = None,
    pre_fvc: float | None = None,
    post_fvc: float | None = None,
    pred_fvc: float | None = None,
) -> Result:
    """ERS/ATS 2022 bronchodilator responsiveness (change as % of predicted, > 10 %).

    Give the FEV1 triple (pre, post, predicted; litres), the FVC triple, or both.

    Returns:
        ``positive``; ``change_pct_pred`` (2 dp; the larger of the indices given);
        ``change_pct_pred_fev1`` / ``change_pct_pred_fvc`` for each index given.

    Raises:
        InvalidInput: no triple at all (names ``pre_fev1``), a partial triple
            (names the missing value), or a volume outside 0.05-15 L.

    >>> r = bdr_ers_ats_2022(pre_fev1=2.0, post_fev1=2.35, pred_fev1=3.0)
    >>> r["positive"], r["change_pct_pred"]
    (True, 11.67)
    >>> bdr_ers_ats_2022(pre_fev1=2.0, post_fev1=2.3, pred_fev1=3.0)["positive"]
    False
    """
    changes = {
        "fev1": _change_pct_pred("fev1", pre_fev1, post_fev1, pred_fev1),
        "fvc": _change_pct_pred("fvc", pre_fvc, post_fvc, pred_fvc),
    }
    given = {k: v for k, v in changes.items() if v is not None}
    if not given:
        raise InvalidInput("pre_fev1", "is required (or pre_fvc, post_fvc and pred_fvc)")
    values: dict[str, Any] = {f"change_pct_pred_{k}": round(v, 2) for k, v in given.items()}
    best = max(given.values())
    values["change_pct_pred"] = round(best, 2)
    values["positive"] = any(v > 10 for v in given.values())
    inputs = {
        k: v
        for k, v in {
            "pre_fev1": pre_fev1,
            "post_fev1": post_fev1,
            "pred_fev1": pred_fev1,
            "pre_fvc": pre_fvc,
            "post_fvc": post_fvc,
            "pred_fvc": pred_fvc,
        }.items()
        if v is not None
    }
    return Result("bdr_ers_ats_2022", values, ERS_ATS_2022, inputs=inputs)


def bdr_gina_adult(pre_fev1_l: float, post_fev1_l: float, age: float | None = None) -> Result:
    """GINA 2024 bronchodilator reversibility in adults and adolescents.

    Args:
        pre_fev1_l: FEV1 before the bronchodilator (L).
        post_fev1_l: FEV1 after (L).
        age: optional, years; under 12 the rule is not applicable (children use
            > 12 % of *predicted*).

    Returns:
        ``delta_ml`` (whole mL), ``delta_pct`` (2 dp, of baseline), ``positive``
        (> 12 % and > 200 mL), ``high_confidence`` (> 15 % and > 400 mL).

    Raises:
        InvalidInput: a volume outside 0.05-15 L or an age outside 0-120, naming it.

    >>> r = bdr_gina_adult(2.0, 2.3)
    >>> r["delta_ml"], r["delta_pct"], r["positive"], r["high_confidence"]
    (300, 15.0, True, False)
    >>> bdr_gina_adult(1.5, 1.7)["positive"]  # +200 mL is not > 200 mL
    False
    """
    pre = _litres("pre_fev1_l", pre_fev1_l)
    post = _litres("post_fev1_l", post_fev1_l)
    inputs: dict[str, Any] = {"pre_fev1_l": pre, "post_fev1_l": post}
    if age is not None:
        years = number("age", age, 0, 120, "years")
        inputs["age"] = years
        if years < 12:
            reason = "age < 12: GINA uses ΔFEV1 > 12 % of predicted in children"
            return not_applicable("bdr_gina_adult", GINA_2024, reason, inputs)
    delta_ml = round((post - pre) * 1000, 6)
    delta_pct = round((post - pre) / pre * 100, 6)
    values = {
        "delta_ml": round(delta_ml),
        "delta_pct": round(delta_pct, 2),
        "positive": delta_pct > 12 and delta_ml > 200,
        "high_confidence": delta_pct > 15 and delta_ml > 400,
    }
    return Result("bdr_gina_adult", values, GINA_2024, inputs=inputs)


RULES = {
    "bdr_ers_ats_2022": bdr_ers_ats_2022,
    "bdr_gina_adult": bdr_gina_adult,
}
