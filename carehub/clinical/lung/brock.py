"""Brock University (PanCan) probability that a lung nodule is malignant: full models 2a/2b.

McWilliams A, Tammemagi MC, Mayo JR, et al. *Probability of cancer in pulmonary
nodules detected on first screening CT.* N Engl J Med 2013;369:910-919.
doi:10.1056/NEJMoa1214726. Specification: clinical-rules.md section 4.4.

Full model, with (2b) or without (2a) spiculation::

    logit = b0 + b_age·(age − 62) + b_f·female + b_fh·family history + b_e·emphysema
            + b_size·[(size_mm/10)^−0.5 − 1.58113883] + b_type[nodule type]
            + b_ul·upper lobe + b_n·(nodule count − 4) [+ b_s·spiculation]
    P = 1 / (1 + e^−logit)

Use 2a when spiculation has not been assessed. These are *not* the Mayo
coefficients (−6.8272, 0.0391·age...) that some calculators mislabel as Brock
(pitfall 3). The parsimonious models 1a/1b are not implemented (unverified).
Downstream (BTS 2015): P < 10 % → CT surveillance; ≥ 10 % → PET-CT / Herder model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from carehub.clinical.inputs import InvalidInput, flag, number
from carehub.clinical.result import Guideline, Result

BROCK_2013 = Guideline(
    "Brock University (PanCan) nodule malignancy model",
    "2013",
    "McWilliams A et al. N Engl J Med 2013;369:910-919. doi:10.1056/NEJMoa1214726",
)

SIZE_CENTRE = 1.58113883
"""(4 mm / 10)^−0.5, the centring constant of the size transform."""

BTS_PET_THRESHOLD_PCT = 10.0

_NODULE_TYPES = {
    "solid": "solid",
    "partsolid": "part_solid",
    "part_solid": "part_solid",
    "nonsolid": "ground_glass",
    "ground_glass": "ground_glass",
}


@dataclass(frozen=True, slots=True)
class BrockCoefficients:
    """Coefficients of one full Brock model."""

    intercept: float
    age: float
    female: float
    family_history: float
    emphysema: float
    size: float
    ground_glass: float
    part_solid: float
    upper_lobe: float
    nodule_count: float
    spiculation: float


MODEL_2B = BrockCoefficients(
    -6.7892, 0.0287, 0.6011, 0.2961, 0.2953, -5.3854, -0.1276, 0.377, 0.6581, -0.0824, 0.7729
)
"""Full model with spiculation (McWilliams 2013, model 2b)."""

MODEL_2A = BrockCoefficients(
    -6.8071, 0.0321, 0.5635, 0.3013, 0.3462, -5.6693, -0.3005, 0.3395, 0.7116, -0.0803, 0.0
)
"""Full model without spiculation (McWilliams 2013, model 2a)."""


def brock_probability(
    model: BrockCoefficients,
    age: float,
    female: bool,
    family_history: bool,
    emphysema: bool,
    size_mm: float,
    nodule_type: str,
    upper_lobe: bool,
    nodule_count: int,
    spiculation: bool = False,
) -> float:
    """Probability (0-1) of malignancy under ``model``; inputs already checked.

    ``nodule_type`` is ``solid``, ``part_solid`` or ``ground_glass``.

    >>> round(100 * brock_probability(MODEL_2B, 62, False, False, False, 10, "solid", False, 4), 2)
    2.51
    """
    logit = (
        model.intercept
        + model.age * (age - 62)
        + model.female * female
        + model.family_history * family_history
        + model.emphysema * emphysema
        + model.size * ((size_mm / 10) ** -0.5 - SIZE_CENTRE)
        + (model.ground_glass if nodule_type == "ground_glass" else 0.0)
        + (model.part_solid if nodule_type == "part_solid" else 0.0)
        + model.upper_lobe * upper_lobe
        + model.nodule_count * (nodule_count - 4)
        + model.spiculation * spiculation
    )
    return 1 / (1 + math.exp(-logit))


def _brock(rule: str, model: BrockCoefficients, inputs: dict[str, Any]) -> Result:
    kind = inputs["nodule_type"]
    key = kind.strip().lower().replace("-", "_") if isinstance(kind, str) else None
    if key not in _NODULE_TYPES:
        raise InvalidInput("nodule_type", f"{kind!r} is not one of solid, partsolid, nonsolid")
    count = number("nodule_count", inputs["nodule_count"], 1, 100)
    if not count.is_integer():
        raise InvalidInput("nodule_count", f"must be a whole number, not {count:g}")
    checked: dict[str, Any] = {
        "age": number("age", inputs["age"], 18, 120, "years"),
        "female": flag("female", inputs["female"]),
        "family_history": flag("family_history_lung_ca", inputs["family_history_lung_ca"]),
        "emphysema": flag("emphysema", inputs["emphysema"]),
        "size_mm": number("size_mm", inputs["size_mm"], 1, 100, "mm"),
        "nodule_type": _NODULE_TYPES[key],
        "upper_lobe": flag("upper_lobe", inputs["upper_lobe"]),
        "nodule_count": int(count),
    }
    if "spiculation" in inputs:
        checked["spiculation"] = flag("spiculation", inputs["spiculation"])
    p = brock_probability(model, **checked)
    pct = 100 * p
    values = {
        "probability": p,
        "probability_pct": round(pct, 2),
        "bts2015_next_step": (
            "CT surveillance" if pct < BTS_PET_THRESHOLD_PCT else "PET-CT and Herder model"
        ),
    }
    return Result(rule, values, BROCK_2013, inputs=checked)


def brock_full_with_spiculation(
    age: float,
    female: bool,
    family_history_lung_ca: bool,
    emphysema: bool,
    size_mm: float,
    nodule_type: str,
    upper_lobe: bool,
    nodule_count: int,
    spiculation: bool,
) -> Result:
    """Brock full model 2b: probability of malignancy (%) with spiculation.

    Args:
        age: years (18-120).
        female: female sex.
        family_history_lung_ca: first-degree family history of lung cancer.
        emphysema: emphysema on CT.
        size_mm: nodule diameter, 1-100 mm.
        nodule_type: ``solid``, ``partsolid`` (``part_solid``) or ``nonsolid`` (``ground_glass``).
        upper_lobe: nodule in an upper lobe.
        nodule_count: number of nodules on the scan (whole number ≥ 1).
        spiculation: spiculated margin.

    Returns:
        ``probability`` (0-1), ``probability_pct`` (2 dp) and ``bts2015_next_step``.

    Raises:
        InvalidInput: an input missing or out of range, naming it.

    >>> r = brock_full_with_spiculation(70, True, False, True, 20, "solid", True, 1, True)
    >>> r["probability_pct"], r["bts2015_next_step"]
    (67.3, 'PET-CT and Herder model')
    """
    return _brock("brock_full_with_spiculation", MODEL_2B, dict(locals()))


def brock_full_without_spiculation(
    age: float,
    female: bool,
    family_history_lung_ca: bool,
    emphysema: bool,
    size_mm: float,
    nodule_type: str,
    upper_lobe: bool,
    nodule_count: int,
) -> Result:
    """Brock full model 2a (spiculation not assessed); arguments as model 2b.

    >>> r = brock_full_without_spiculation(65, True, True, True, 12, "partsolid", True, 1)
    >>> r["probability_pct"]
    39.67
    """
    return _brock("brock_full_without_spiculation", MODEL_2A, dict(locals()))


RULES = {
    "brock_full_with_spiculation": brock_full_with_spiculation,
    "brock_full_without_spiculation": brock_full_without_spiculation,
}
