"""KDIGO CKD classification: GFR and albuminuria categories, risk heat map, monitoring frequency.

Sources:

* KDIGO 2012 Clinical Practice Guideline for the Evaluation and Management of
  Chronic Kidney Disease. Kidney Int Suppl 2013;3:1-150.
  https://kdigo.org/guidelines/ckd-evaluation-and-management/
* KDIGO 2024 Clinical Practice Guideline for the Evaluation and Management of
  Chronic Kidney Disease. Kidney Int 2024;105(4S):S117-S314.
  https://doi.org/10.1016/j.kint.2023.10.018

Categories use half-open intervals on the continuous value (clinical
specification section 1.3): G1 >= 90, G2 [60, 90), G3a [45, 60), G3b [30, 45),
G4 [15, 30), G5 < 15; A1 < 30 mg/g (< 3 mg/mmol), A2 [30, 300) mg/g, A3 >= 300
mg/g (>= 30 mg/mmol), the KDIGO 2024 / NKF / kidney.epi convention (KDIGO 2012
printed A3 as "> 300"). An ACR in mg/mmol is classified on the mg/mmol
thresholds, not after conversion (30 mg/mmol x 8.84 = 265 mg/g would be A2).

The monitoring frequencies (KDIGO 2012 Fig 21) are of medium confidence: the
cell numbers are not yet checked against the primary figure.
"""

from __future__ import annotations

from carehub.clinical.inputs import InvalidInput, choice, flag, number
from carehub.clinical.result import Guideline, Result
from carehub.clinical.units import ACR_MG_G_PER_MG_MMOL, canonical_unit

KDIGO_2024 = Guideline(
    "KDIGO CKD evaluation and management",
    "2024",
    "KDIGO 2024 CKD guideline. Kidney Int 2024;105(4S):S117-S314. doi:10.1016/j.kint.2023.10.018",
)
KDIGO_2012_MONITORING = Guideline(
    "KDIGO CKD monitoring frequency (Fig 21)",
    "2012",
    "KDIGO 2012 CKD guideline. Kidney Int Suppl 2013;3:1-150 (Fig 21); "
    "confidence medium, verify against the primary figure",
)

GFR_CATEGORIES = ("G1", "G2", "G3a", "G3b", "G4", "G5")
ALBUMINURIA_CATEGORIES = ("A1", "A2", "A3")

_GFR_LOWER = ((90.0, "G1"), (60.0, "G2"), (45.0, "G3a"), (30.0, "G3b"), (15.0, "G4"))
_GFR_TERMS = {
    "G1": "Normal or high",
    "G2": "Mildly decreased",
    "G3a": "Mildly to moderately decreased",
    "G3b": "Moderately to severely decreased",
    "G4": "Severely decreased",
    "G5": "Kidney failure",
}
_ACR_TERMS = {
    "A1": "Normal to mildly increased",
    "A2": "Moderately increased",
    "A3": "Severely increased",
}
_ACR_BOUNDS = {"mg/g": (30.0, 300.0), "mg/mmol": (3.0, 30.0)}
_COLOURS = {"low": "green", "moderate": "yellow", "high": "orange", "very_high": "red"}

# rows G1..G5, columns A1, A2, A3
_HEAT: dict[str, tuple[str, str, str]] = {
    "G1": ("low", "moderate", "high"),
    "G2": ("low", "moderate", "high"),
    "G3a": ("moderate", "high", "very_high"),
    "G3b": ("high", "very_high", "very_high"),
    "G4": ("very_high", "very_high", "very_high"),
    "G5": ("very_high", "very_high", "very_high"),
}
_MONITORING: dict[str, tuple[str, str, str]] = {
    "G1": ("1 if CKD", "1", "2"),
    "G2": ("1 if CKD", "1", "2"),
    "G3a": ("1", "2", "3"),
    "G3b": ("2", "3", "3"),
    "G4": ("3", "3", "4+"),
    "G5": ("4+", "4+", "4+"),
}


def gfr_category(egfr: float) -> str:
    """The KDIGO GFR category of a checked eGFR (mL/min/1.73 m²).

    >>> gfr_category(90), gfr_category(89.99), gfr_category(60), gfr_category(14.9)
    ('G1', 'G2', 'G2', 'G5')
    """
    for lower, category in _GFR_LOWER:
        if egfr >= lower:
            return category
    return "G5"


def albuminuria_category(acr: float, unit: str = "mg/g") -> str:
    """The KDIGO albuminuria category of a checked ACR in ``unit`` (``mg/g`` or ``mg/mmol``).

    >>> albuminuria_category(29.9), albuminuria_category(300), albuminuria_category(30, "mg/mmol")
    ('A1', 'A3', 'A3')
    """
    u = canonical_unit("unit", unit)
    if u not in _ACR_BOUNDS:
        raise InvalidInput("unit", f"unit {unit} is not an albumin-to-creatinine unit")
    a2, a3 = _ACR_BOUNDS[u]
    if acr >= a3:
        return "A3"
    return "A2" if acr >= a2 else "A1"


def _category(name: str, value: object, allowed: tuple[str, ...]) -> str:
    picked = choice(name, value, tuple(c.lower() for c in allowed))
    return allowed[[c.lower() for c in allowed].index(picked)]


def kdigo_gfr_category(*, egfr: float) -> Result:
    """KDIGO GFR category G1-G5 (rule ``kdigo_gfr_category``).

    Returns:
        ``category`` (``G1``...``G5``) and its ``term``.

    Raises:
        InvalidInput: ``egfr`` missing, not a number or outside 0-300.

    >>> kdigo_gfr_category(egfr=25)["category"]
    'G4'
    """
    value = number("egfr", egfr, 0, 300, "mL/min/1.73m2")
    category = gfr_category(value)
    return Result(
        "kdigo_gfr_category",
        {"category": category, "term": _GFR_TERMS[category]},
        KDIGO_2024,
        inputs={"egfr": value},
    )


def kdigo_albuminuria_category(*, acr: float, unit: str = "mg/g") -> Result:
    """KDIGO albuminuria category A1-A3 from urine ACR (rule ``kdigo_albuminuria_category``).

    Args:
        acr: urine albumin-to-creatinine ratio.
        unit: ``mg/g`` (default) or ``mg/mmol``; each is classified on its own thresholds.

    Returns:
        ``category``, its ``term`` and ``acr_mg_g`` (the value in mg/g).

    Raises:
        InvalidInput: ``acr`` missing or out of range, or an unknown ``unit``.

    >>> kdigo_albuminuria_category(acr=300, unit="mg/g")["category"]
    'A3'
    >>> kdigo_albuminuria_category(acr=3, unit="mg/mmol")["category"]
    'A2'
    """
    u = canonical_unit("unit", unit)
    if u not in _ACR_BOUNDS:
        raise InvalidInput("unit", f"unit {unit} is not an albumin-to-creatinine unit")
    high = 100_000.0 if u == "mg/g" else 100_000.0 / ACR_MG_G_PER_MG_MMOL
    value = number("acr", acr, 0, high, u)
    category = albuminuria_category(value, u)
    mg_g = value if u == "mg/g" else value * ACR_MG_G_PER_MG_MMOL
    return Result(
        "kdigo_albuminuria_category",
        {"category": category, "term": _ACR_TERMS[category], "acr_mg_g": round(mg_g, 2)},
        KDIGO_2024,
        inputs={"acr": value, "unit": u},
    )


def risk(gfr_cat: str, albuminuria_cat: str) -> str:
    """The heat-map risk (``low``, ``moderate``, ``high``, ``very_high``) of a G/A cell.

    >>> risk("G2", "A3"), risk("G3b", "A1")
    ('high', 'high')
    """
    return _HEAT[gfr_cat][ALBUMINURIA_CATEGORIES.index(albuminuria_cat)]


def monitoring_per_year(gfr_cat: str, albuminuria_cat: str) -> str:
    """KDIGO 2012 Fig 21 monitoring times per year: ``1 if CKD``, ``1``, ``2``, ``3`` or ``4+``.

    >>> monitoring_per_year("G3a", "A1"), monitoring_per_year("G4", "A3")
    ('1', '4+')
    """
    return _MONITORING[gfr_cat][ALBUMINURIA_CATEGORIES.index(albuminuria_cat)]


def kdigo_risk_heatmap(*, gfr_category: str, albuminuria_category: str) -> Result:
    """KDIGO heat-map risk of progression and adverse outcome (rule ``kdigo_risk_heatmap``).

    G1/G2 with A1 is reported as ``low``/``green`` (it is not CKD without
    another damage marker; see :func:`ckd_stage`).

    Returns:
        ``risk`` and ``colour`` (``green``, ``yellow``, ``orange``, ``red``).

    Raises:
        InvalidInput: a category that is not one of G1...G5 / A1...A3.

    >>> r = kdigo_risk_heatmap(gfr_category="G3a", albuminuria_category="A2")
    >>> r["risk"], r["colour"]
    ('high', 'orange')
    """
    g = _category("gfr_category", gfr_category, GFR_CATEGORIES)
    a = _category("albuminuria_category", albuminuria_category, ALBUMINURIA_CATEGORIES)
    level = risk(g, a)
    return Result(
        "kdigo_risk_heatmap",
        {"risk": level, "colour": _COLOURS[level]},
        KDIGO_2024,
        inputs={"gfr_category": g, "albuminuria_category": a},
    )


def kdigo_monitoring_frequency_per_year(*, gfr_category: str, albuminuria_category: str) -> Result:
    """How many times a year to measure eGFR and ACR (rule ``kdigo_monitoring_frequency_per_year``).

    Medium confidence (KDIGO 2012 Fig 21, not yet checked against the primary figure).

    Returns:
        ``times_per_year``: ``"1 if CKD"``, ``"1"``, ``"2"``, ``"3"`` or ``"4+"``.

    Raises:
        InvalidInput: a category that is not one of G1...G5 / A1...A3.

    >>> r = kdigo_monitoring_frequency_per_year(gfr_category="G3b", albuminuria_category="A1")
    >>> r["times_per_year"]
    '2'
    """
    g = _category("gfr_category", gfr_category, GFR_CATEGORIES)
    a = _category("albuminuria_category", albuminuria_category, ALBUMINURIA_CATEGORIES)
    return Result(
        "kdigo_monitoring_frequency_per_year",
        {"times_per_year": monitoring_per_year(g, a)},
        KDIGO_2012_MONITORING,
        reason="medium confidence: verify the cell numbers against the KDIGO figure",
        inputs={"gfr_category": g, "albuminuria_category": a},
    )


def ckd_stage(egfr: float, acr_mg_g: float, other_damage_marker: bool = False) -> Result:
    """CKD definition, G and A categories, heat-map risk and monitoring in one result.

    CKD (KDIGO) is eGFR < 60, or ACR >= 30 mg/g, or another marker of kidney
    damage (structure, sediment, histology...), persisting > 3 months; the
    caller confirms chronicity. G1/G2 with A1 and no other marker is not CKD.

    Returns:
        ``ckd`` (bool), ``gfr_category``, ``albuminuria_category``, ``stage``
        (e.g. ``G3aA2``), ``risk``, ``colour`` and ``times_per_year`` (``None``
        when not CKD).

    Raises:
        InvalidInput: ``egfr`` or ``acr_mg_g`` missing or out of range, or a
            non-boolean ``other_damage_marker``.

    >>> r = ckd_stage(52, 45)
    >>> r["ckd"], r["stage"], r["risk"], r["times_per_year"]
    (True, 'G3aA2', 'high', '2')
    >>> ckd_stage(95, 10)["ckd"], ckd_stage(95, 10, other_damage_marker=True)["times_per_year"]
    (False, '1')
    """
    e = number("egfr", egfr, 0, 300, "mL/min/1.73m2")
    acr = number("acr_mg_g", acr_mg_g, 0, 100_000, "mg/g")
    marker = flag("other_damage_marker", other_damage_marker)
    g, a = gfr_category(e), albuminuria_category(acr, "mg/g")
    ckd = e < 60 or acr >= 30 or marker
    level = risk(g, a)
    times = monitoring_per_year(g, a)
    if times == "1 if CKD":
        times = "1"
    return Result(
        "kdigo_ckd_stage",
        {
            "ckd": ckd,
            "gfr_category": g,
            "albuminuria_category": a,
            "stage": f"{g}{a}",
            "risk": level,
            "colour": _COLOURS[level],
            "times_per_year": times if ckd else None,
        },
        KDIGO_2024,
        reason="" if ckd else "not CKD: eGFR >= 60, ACR < 30 mg/g and no other damage marker",
        inputs={"egfr": e, "acr_mg_g": acr, "other_damage_marker": marker},
    )


RULES = {
    "kdigo_gfr_category": kdigo_gfr_category,
    "kdigo_albuminuria_category": kdigo_albuminuria_category,
    "kdigo_risk_heatmap": kdigo_risk_heatmap,
    "kdigo_monitoring_frequency_per_year": kdigo_monitoring_frequency_per_year,
}
