"""KDIGO 2024 actions on KFRE risks: nephrology referral, multidisciplinary care, KRT planning.

Source: KDIGO 2024 Clinical Practice Guideline for the Evaluation and
Management of Chronic Kidney Disease, Kidney Int 2024;105(4S):S117-S314,
Recommendation 2.2.1 and Practice Points 2.2.1-2.2.3.
https://doi.org/10.1016/j.kint.2023.10.018 ; NICE NG203 (2021),
https://www.nice.org.uk/guidance/ng203 , for the alternative referral cut-point.

| Trigger | Action |
|---|---|
| 5-year risk in the 3-5 % band (KDIGO PP 2.2.1) | nephrology referral |
| 2-year risk > 10 % (PP 2.2.2) | multidisciplinary care |
| 2-year risk > 40 % (PP 2.2.3) | KRT modality education, vascular access and transplant planning |

The referral cut-point is a profile choice: ``kdigo2024`` (default) refers at a
5-year risk >= 3 %, the lower edge of the KDIGO band; ``nice_ng203`` refers at
> 5 %. ``referral_threshold_pct`` overrides the profile's number (keeping its
operator). Confidence medium: verify against the primary source.
"""

from __future__ import annotations

from carehub.clinical.inputs import InvalidInput, choice, number
from carehub.clinical.result import Guideline, Result

KDIGO_2024_KFRE = Guideline(
    "KDIGO 2024 CKD guideline, KFRE-based actions",
    "2024",
    "KDIGO 2024 CKD guideline, Rec 2.2.1, PP 2.2.1-2.2.3. Kidney Int 2024;105(4S):S117-S314. "
    "doi:10.1016/j.kint.2023.10.018",
)

REFERRAL_PROFILES: dict[str, tuple[float, bool]] = {
    "kdigo2024": (3.0, False),
    "nice_ng203": (5.0, True),
}
"""Profile name -> (5-year referral cut-point %, strict ``>`` when true, else ``>=``)."""

MULTIDISCIPLINARY_2Y_PCT = 10.0
KRT_PLANNING_2Y_PCT = 40.0


def referral_met(risk_5y_pct: float, threshold_pct: float, strict: bool) -> bool:
    """Whether a 5-year risk meets the referral cut-point.

    >>> referral_met(4.0, 3.0, False), referral_met(5.0, 5.0, True), referral_met(3.0, 3.0, False)
    (True, False, True)
    """
    return risk_5y_pct > threshold_pct if strict else risk_5y_pct >= threshold_pct


def kdigo2024_kfre_action(
    *,
    kfre_5y_pct: float | None = None,
    kfre_2y_pct: float | None = None,
    profile: str = "kdigo2024",
    referral_threshold_pct: float | None = None,
) -> Result:
    """Actions that KDIGO 2024 ties to KFRE risks (rule ``kdigo2024_kfre_action``).

    Args:
        kfre_5y_pct: 5-year kidney-failure risk, %.
        kfre_2y_pct: 2-year kidney-failure risk, %.
        profile: ``kdigo2024`` (refer at >= 3 %) or ``nice_ng203`` (refer at > 5 %).
        referral_threshold_pct: overrides the profile's referral cut-point.

    Returns:
        ``nephrology_referral_threshold_met`` (``None`` without a 5-year risk),
        ``multidisciplinary_care`` and ``krt_planning`` (``None`` without a
        2-year risk), and ``actions``, a list of the actions triggered.

    Raises:
        InvalidInput: neither risk given, a risk outside 0-100, an unknown profile.

    >>> kdigo2024_kfre_action(kfre_5y_pct=4.0)["nephrology_referral_threshold_met"]
    True
    >>> nice = kdigo2024_kfre_action(kfre_5y_pct=4.0, profile="nice_ng203")
    >>> nice["nephrology_referral_threshold_met"], nice["referral_rule"]
    (False, '5-year risk > 5 % (nice_ng203)')
    >>> kdigo2024_kfre_action(kfre_2y_pct=45)["actions"]
    ['multidisciplinary_care', 'krt_planning']
    """
    if kfre_5y_pct is None and kfre_2y_pct is None:
        raise InvalidInput("kfre_5y_pct", "is required (or kfre_2y_pct)")
    name = choice("profile", profile, REFERRAL_PROFILES)
    threshold, strict = REFERRAL_PROFILES[name]
    if referral_threshold_pct is not None:
        threshold = number("referral_threshold_pct", referral_threshold_pct, 0, 100, "%")
    five = None if kfre_5y_pct is None else number("kfre_5y_pct", kfre_5y_pct, 0, 100, "%")
    two = None if kfre_2y_pct is None else number("kfre_2y_pct", kfre_2y_pct, 0, 100, "%")
    referral = None if five is None else referral_met(five, threshold, strict)
    multidisciplinary = None if two is None else two > MULTIDISCIPLINARY_2Y_PCT
    krt = None if two is None else two > KRT_PLANNING_2Y_PCT
    actions = [
        action
        for action, met in (
            ("nephrology_referral", referral),
            ("multidisciplinary_care", multidisciplinary),
            ("krt_planning", krt),
        )
        if met
    ]
    operator = ">" if strict else ">="
    return Result(
        "kdigo2024_kfre_action",
        {
            "nephrology_referral_threshold_met": referral,
            "multidisciplinary_care": multidisciplinary,
            "krt_planning": krt,
            "actions": actions,
            "referral_rule": f"5-year risk {operator} {threshold:g} % ({name})",
        },
        KDIGO_2024_KFRE,
        inputs={"kfre_5y_pct": five, "kfre_2y_pct": two, "profile": name},
    )


RULES = {"kdigo2024_kfre_action": kdigo2024_kfre_action}
