"""ACR Lung-RADS v2022: category and management of a nodule on screening low-dose CT.

American College of Radiology, *Lung CT Screening Reporting & Data System
(Lung-RADS) v2022*, November 2022
(https://www.acr.org/Clinical-Resources/Reporting-and-Data-Systems/Lung-Rads);
Christensen J, Prosper AE, Wu CC, et al. CHEST 2024;165:738-753.
Specification: clinical-rules.md section 4.3.

Scope: screening LDCT only (``screening=False`` returns *not applicable*; use
Fleischner for incidental nodules). Mean diameter is rounded to 0.1 mm first.
Implemented: solid, part-solid and ground-glass nodules at baseline, new,
growing (> 1.5 mm in 12 months, judged by the caller) and stable at follow-up
(a stable category 3 becomes 2, a stable 4A becomes 3); perifissural or
juxtapleural solid nodules < 10 mm with benign morphology (2); benign
calcification or fat (1); no nodule (1); incomplete exam (0); the 4X and S
modifiers. Not implemented: airway nodules, atypical cysts, slow growth over
several exams (the caller should report 4B).
"""

from __future__ import annotations

from typing import Any

from carehub.clinical.inputs import InvalidInput, choice, flag, number
from carehub.clinical.lung.nodule_size import MAX_SIZE_MM, round_tenth_mm
from carehub.clinical.result import Guideline, Result, not_applicable

LUNG_RADS_2022 = Guideline(
    "ACR Lung-RADS",
    "v2022",
    "American College of Radiology, Lung-RADS v2022 (November 2022). "
    "https://www.acr.org/Clinical-Resources/Reporting-and-Data-Systems/Lung-Rads",
)

EXAMS = ("baseline", "follow_up")
NODULE_TYPES = ("solid", "part_solid", "ground_glass", "none")
PRIOR_CATEGORIES = ("1", "2", "3", "4A", "4B", "4X")

MANAGEMENT = {
    "0": "Comparison with prior CT, or LDCT in 1-3 months",
    "1": "12-month LDCT",
    "2": "12-month LDCT",
    "3": "6-month LDCT",
    "4A": "3-month LDCT; PET/CT may be considered if solid nodule/component >=8 mm",
    "4B": "Diagnostic work-up",
    "4X": "Diagnostic work-up",
}
MALIGNANCY_PROBABILITY = {
    "0": "n/a",
    "1": "<1%",
    "2": "<1%",
    "3": "1-2%",
    "4A": "5-15%",
    "4B": ">15%",
    "4X": ">15%",
}


def _solid(size: float, baseline: bool, new: bool, growing: bool) -> str:
    if baseline:
        return "2" if size < 6 else "3" if size < 8 else "4A" if size < 15 else "4B"
    if new:
        return "2" if size < 4 else "3" if size < 6 else "4A" if size < 8 else "4B"
    return "4A" if size < 8 else "4B"  # growing


def _part_solid(size: float, solid: float | None, baseline: bool, new: bool) -> str:
    if baseline and size < 6:
        return "2"
    if new and size < 6:
        return "3"
    if solid is None:
        raise InvalidInput("solid_component_mm", "is required for part-solid nodules >= 6 mm")
    if baseline:
        return "3" if solid < 6 else "4A" if solid < 8 else "4B"
    # new (total >= 6 mm) or growing solid component
    return "4A" if solid < 4 else "4B"


def _stable(prior: str | None) -> str:
    if prior == "3":
        return "2"
    if prior == "4A":
        return "3"
    if prior in ("4B", "4X"):
        return "4B"
    return "2"


def _categorise(
    kind: str,
    size: float,
    solid: float | None,
    baseline: bool,
    new: bool,
    growing: bool,
    benign_perifissural: bool,
    prior: str | None,
) -> str:
    if kind == "ground_glass":
        return "3" if size >= 30 and (baseline or new) else "2"
    if kind == "solid" and benign_perifissural and size < 10 and (baseline or new):
        return "2"
    if not baseline and not new and not growing:
        return _stable(prior)
    if kind == "solid":
        return _solid(size, baseline, new, growing)
    return _part_solid(size, solid, baseline, new)


def lung_rads_v2022(
    exam: str,
    type: str,
    mean_diameter_mm: float | None = None,
    solid_component_mm: float | None = None,
    new: bool = False,
    growing: bool = False,
    perifissural_or_juxtapleural_benign_morphology: bool = False,
    benign_calcification_or_fat: bool = False,
    prior_category: str | None = None,
    suspicious_features: bool = False,
    significant_other_findings: bool = False,
    incomplete: bool = False,
    screening: bool = True,
) -> Result:
    """Lung-RADS v2022 category of the most suspicious nodule on a screening LDCT.

    Args:
        exam: ``baseline`` or ``follow_up``.
        type: ``solid``, ``part_solid``, ``ground_glass``, or ``none`` (no nodule).
        mean_diameter_mm: mean diameter (total, for part-solid), mm; rounded to 0.1.
        solid_component_mm: mean diameter of the solid part (part-solid nodules).
        new: follow-up only: the nodule is new.
        growing: follow-up only: > 1.5 mm growth in 12 months (for part-solid,
            growth of the solid component).
        perifissural_or_juxtapleural_benign_morphology: solid, benign morphology.
        benign_calcification_or_fat: complete/central/popcorn/concentric calcification or fat.
        prior_category: the category at the previous exam (for stable nodules).
        suspicious_features: extra suspicious features (spiculation, lymphadenopathy...):
            a category 3 or 4 becomes 4X.
        significant_other_findings: adds the ``S`` modifier.
        incomplete: prior being located, lungs not evaluable, infection/inflammation: 0.
        screening: false for a non-screening CT (not applicable).

    Returns:
        ``category`` (``0``-``4X`` as text), ``management``,
        ``malignancy_probability``, ``s_modifier`` and ``mean_diameter_mm`` (0.1 mm).

    Raises:
        InvalidInput: unknown codes, a missing or out-of-range size, ``new`` or
            ``growing`` at baseline, or a part-solid nodule without its solid part.

    >>> r = lung_rads_v2022("baseline", "solid", 8.0)
    >>> r["category"], r["malignancy_probability"]
    ('4A', '5-15%')
    >>> lung_rads_v2022("follow_up", "solid", 8.0, new=True)["category"]
    '4B'
    """
    baseline = choice("exam", exam, EXAMS) == "baseline"
    kind = choice("type", type, NODULE_TYPES)
    is_new, is_growing = flag("new", new), flag("growing", growing)
    prior = None if prior_category is None else str(prior_category).upper()
    if prior is not None and prior not in PRIOR_CATEGORIES:
        allowed = ", ".join(PRIOR_CATEGORIES)
        raise InvalidInput("prior_category", f"{prior_category!r} is not one of {allowed}")
    if baseline and (is_new or is_growing):
        raise InvalidInput("new" if is_new else "growing", "applies only to follow-up exams")
    inputs: dict[str, Any] = {"exam": exam, "type": kind, "new": is_new, "growing": is_growing}
    if not flag("screening", screening):
        reason = "Lung-RADS is for screening LDCT; use Fleischner 2017 for incidental nodules"
        return not_applicable("lung_rads_v2022", LUNG_RADS_2022, reason, inputs)
    size: float | None = None
    if flag("incomplete", incomplete):
        category = "0"
    elif kind == "none" or flag("benign_calcification_or_fat", benign_calcification_or_fat):
        category = "1"
    else:
        if mean_diameter_mm is None:
            raise InvalidInput("mean_diameter_mm", "is required")
        size = round_tenth_mm(number("mean_diameter_mm", mean_diameter_mm, 0, MAX_SIZE_MM, "mm"))
        solid = None
        if solid_component_mm is not None:
            solid = round_tenth_mm(
                number("solid_component_mm", solid_component_mm, 0, MAX_SIZE_MM, "mm")
            )
            if solid > size:
                raise InvalidInput("solid_component_mm", "is larger than the mean diameter")
        benign_pf = flag(
            "perifissural_or_juxtapleural_benign_morphology",
            perifissural_or_juxtapleural_benign_morphology,
        )
        category = _categorise(kind, size, solid, baseline, is_new, is_growing, benign_pf, prior)
        if flag("suspicious_features", suspicious_features) and category in ("3", "4A", "4B"):
            category = "4X"
    values = {
        "category": category,
        "management": MANAGEMENT[category],
        "malignancy_probability": MALIGNANCY_PROBABILITY[category],
        "s_modifier": flag("significant_other_findings", significant_other_findings),
        "mean_diameter_mm": size,
    }
    return Result("lung_rads_v2022", values, LUNG_RADS_2022, inputs=inputs)


RULES = {"lung_rads_v2022": lung_rads_v2022}
