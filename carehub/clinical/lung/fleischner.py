"""Fleischner Society 2017 guidelines for incidental pulmonary nodules on CT.

MacMahon H, Naidich DP, Goo JM, et al. *Guidelines for Management of Incidental
Pulmonary Nodules Detected on CT Images: From the Fleischner Society 2017.*
Radiology 2017;284:228-243. doi:10.1148/radiol.2017161659.
Specification: clinical-rules.md section 4.2.

Scope: incidental nodules in adults ≥ 35 years. Not for lung-cancer screening
(use Lung-RADS), immunocompromised patients or patients with known cancer:
those return *not applicable*. Size is the mean of the long and short axes
rounded to the nearest mm; solid classes < 6, 6-8, > 8 mm; subsolid < 6, ≥ 6 mm.
The result carries a structured action (``action``, ``interval_months``) and the
display text of the guideline tables (``recommendation``).
"""

from __future__ import annotations

from typing import Any

from carehub.clinical.inputs import InvalidInput, choice, flag, number
from carehub.clinical.lung.nodule_size import mean_diameter, round_nearest_mm
from carehub.clinical.result import Guideline, Result, not_applicable

FLEISCHNER_2017 = Guideline(
    "Fleischner Society incidental pulmonary nodules",
    "2017",
    "MacMahon H et al. Radiology 2017;284:228-243. doi:10.1148/radiol.2017161659",
)

NODULE_TYPES = ("solid", "ground_glass", "part_solid")
MULTIPLICITIES = ("single", "multiple")
RISKS = ("low", "high")
MIN_AGE = 35

# (display text, action, first interval in months or None)
Advice = tuple[str, str, tuple[int, int] | None]

NO_FOLLOW_UP: Advice = ("No routine follow-up", "none", None)
_SOLID: dict[tuple[str, str, str], Advice] = {
    ("single", "small", "low"): NO_FOLLOW_UP,
    ("single", "small", "high"): ("Optional CT at 12 months", "optional_ct", (12, 12)),
    ("single", "medium", "low"): (
        "CT at 6-12 months, then consider CT at 18-24 months", "ct", (6, 12)
    ),
    ("single", "medium", "high"): ("CT at 6-12 months, then CT at 18-24 months", "ct", (6, 12)),
    ("multiple", "small", "low"): NO_FOLLOW_UP,
    ("multiple", "small", "high"): ("Optional CT at 12 months", "optional_ct", (12, 12)),
    ("multiple", "medium", "low"): (
        "CT at 3-6 months, then consider CT at 18-24 months", "ct", (3, 6)
    ),
    ("multiple", "medium", "high"): ("CT at 3-6 months, then CT at 18-24 months", "ct", (3, 6)),
    ("multiple", "large", "low"): (
        "CT at 3-6 months, then consider CT at 18-24 months", "ct", (3, 6)
    ),
    ("multiple", "large", "high"): ("CT at 3-6 months, then CT at 18-24 months", "ct", (3, 6)),
}
_SOLID_SINGLE_LARGE: Advice = (
    "Consider CT at 3 months, PET/CT, or tissue sampling", "ct_pet_or_tissue_sampling", (3, 3)
)
GGN_SINGLE_LARGE: Advice = (
    "CT at 6-12 months to confirm persistence, then CT every 2 years until 5 years",
    "ct",
    (6, 12),
)
PART_SOLID_SINGLE_LARGE: Advice = (
    "CT at 3-6 months to confirm persistence; if unchanged and solid component remains <6 mm, "
    "annual CT for 5 years",
    "ct",
    (3, 6),
)
PART_SOLID_SUSPICIOUS: Advice = (
    "CT at 3-6 months to confirm persistence; a solid component >=6 mm is highly suspicious",
    "ct_highly_suspicious",
    (3, 6),
)
SUBSOLID_MULTIPLE_SMALL: Advice = (
    "CT at 3-6 months; if stable, consider CT at 2 and 4 years", "ct", (3, 6)
)
SUBSOLID_MULTIPLE_LARGE: Advice = (
    "CT at 3-6 months; further management based on the most suspicious nodule(s)", "ct", (3, 6)
)

ADVICE_TEXTS: tuple[str, ...] = tuple(dict.fromkeys(
    advice[0] for advice in (
        NO_FOLLOW_UP, *_SOLID.values(), _SOLID_SINGLE_LARGE, GGN_SINGLE_LARGE,
        PART_SOLID_SINGLE_LARGE, PART_SOLID_SUSPICIOUS, SUBSOLID_MULTIPLE_SMALL,
        SUBSOLID_MULTIPLE_LARGE,
    )
))
"""Every ``recommendation`` text the rule can give (for translation catalogues)."""


def _size_class(size: int) -> str:
    return "small" if size < 6 else "medium" if size <= 8 else "large"


def _subsolid(kind: str, multiple: bool, size: int, solid_mm: float | None) -> Advice:
    if multiple:
        return SUBSOLID_MULTIPLE_SMALL if size < 6 else SUBSOLID_MULTIPLE_LARGE
    if size < 6:
        return NO_FOLLOW_UP
    if kind == "ground_glass":
        return GGN_SINGLE_LARGE
    if solid_mm is not None and round_nearest_mm(solid_mm) >= 6:
        return PART_SOLID_SUSPICIOUS
    return PART_SOLID_SINGLE_LARGE


def _out_of_scope(
    age: float | None, screening: bool, immunocompromised: bool, known_cancer: bool
) -> str:
    if flag("screening", screening):
        return "lung-cancer screening CT: use Lung-RADS, not Fleischner"
    if flag("immunocompromised", immunocompromised):
        return "immunocompromised patient: Fleischner does not apply"
    if flag("known_cancer", known_cancer):
        return "known cancer: Fleischner does not apply"
    if age is not None and number("age", age, 0, 120, "years") < MIN_AGE:
        return "age < 35: Fleischner does not apply"
    return ""


def fleischner2017(
    type: str,
    multiplicity: str,
    size_mm: float | None = None,
    risk: str | None = None,
    solid_component_mm: float | None = None,
    age: float | None = None,
    screening: bool = False,
    immunocompromised: bool = False,
    known_cancer: bool = False,
    long_axis_mm: float | None = None,
    short_axis_mm: float | None = None,
) -> Result:
    """Fleischner 2017 follow-up for an incidental pulmonary nodule.

    Args:
        type: ``solid``, ``ground_glass`` or ``part_solid``.
        multiplicity: ``single`` or ``multiple`` (for multiple, give the most suspicious).
        size_mm: mean diameter (mm); or give ``long_axis_mm`` and ``short_axis_mm``.
        risk: ``low`` or ``high`` patient risk; required for solid nodules.
        solid_component_mm: solid part of a part-solid nodule (mm), if measured.
        age: years, if known; under 35 the rule does not apply.
        screening, immunocompromised, known_cancer: scope guards (not applicable).

    Returns:
        ``recommendation`` (display text), ``action``, ``interval_months``
        (first follow-up, (low, high), or None) and ``size_mm`` (rounded).

    Raises:
        InvalidInput: an unknown code, a missing or out-of-range size, or a
            missing ``risk`` for a solid nodule, naming the input.

    >>> fleischner2017("solid", "single", 7, "high")["recommendation"]
    'CT at 6-12 months, then CT at 18-24 months'
    >>> fleischner2017("solid", "single", 7, "high", screening=True).applicable
    False
    """
    kind = choice("type", type, NODULE_TYPES)
    multiple = choice("multiplicity", multiplicity, MULTIPLICITIES) == "multiple"
    size = round_nearest_mm(mean_diameter(size_mm, long_axis_mm, short_axis_mm))
    inputs: dict[str, Any] = {"type": kind, "multiplicity": multiplicity, "size_mm": size}
    reason = _out_of_scope(age, screening, immunocompromised, known_cancer)
    if reason:
        return not_applicable("fleischner2017", FLEISCHNER_2017, reason, inputs)
    if kind == "solid":
        if risk is None:
            raise InvalidInput("risk", "is required for solid nodules (low or high)")
        level = choice("risk", risk, RISKS)
        inputs["risk"] = level
        size_class = _size_class(size)
        if size_class == "large" and not multiple:
            advice = _SOLID_SINGLE_LARGE
        else:
            advice = _SOLID[("multiple" if multiple else "single", size_class, level)]
    else:
        solid = None
        if solid_component_mm is not None:
            solid = number("solid_component_mm", solid_component_mm, 0, size + 0.5, "mm")
            inputs["solid_component_mm"] = solid
        advice = _subsolid(kind, multiple, size, solid)
    text, action, interval = advice
    values: dict[str, Any] = {"recommendation": text, "action": action}
    values["interval_months"] = interval
    values["size_mm"] = size
    return Result("fleischner2017", values, FLEISCHNER_2017, inputs=inputs)


RULES = {"fleischner2017": fleischner2017}
