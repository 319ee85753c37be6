"""Unit conversion to the canonical units of the clinical specification.

Canonical units: serum creatinine mg/dL (µmol/L ÷ 88.4), cystatin C mg/L,
urine ACR mg/g (mg/mmol × 8.84), cholesterol mmol/L (mg/dL ÷ 38.67). Unit
strings are UCUM codes or their common spellings; an unknown unit raises
:class:`~carehub.clinical.inputs.InvalidInput` naming the input.
"""

from __future__ import annotations

from carehub.clinical.inputs import InvalidInput

CREATININE_UMOL_PER_MG_DL = 88.4
ACR_MG_G_PER_MG_MMOL = 8.84
CHOLESTEROL_MG_DL_PER_MMOL_L = 38.67

_ALIASES = {
    "umol/l": "umol/L",
    "µmol/l": "umol/L",
    "μmol/l": "umol/L",
    "mg/dl": "mg/dL",
    "mg/l": "mg/L",
    "mg/g": "mg/g",
    "mg/g{creat}": "mg/g",
    "mg/mmol": "mg/mmol",
    "mg/mmol{creat}": "mg/mmol",
    "mmol/l": "mmol/L",
}


def canonical_unit(name: str, unit: str) -> str:
    """The canonical spelling of ``unit``.

    >>> canonical_unit("scr", "µmol/L")
    'umol/L'
    """
    key = unit.strip().lower()
    if key not in _ALIASES:
        raise InvalidInput(name, f"unknown unit {unit!r}")
    return _ALIASES[key]


def creatinine_mg_dl(value: float, unit: str = "mg/dL", name: str = "scr") -> float:
    """Serum creatinine in mg/dL.

    >>> round(creatinine_mg_dl(120, "umol/L"), 4)
    1.3575
    >>> creatinine_mg_dl(1.2, "mg/g")
    Traceback (most recent call last):
    carehub.clinical.inputs.InvalidInput: scr: unit mg/g is not a creatinine unit
    """
    u = canonical_unit(name, unit)
    if u == "mg/dL":
        return value
    if u == "umol/L":
        return value / CREATININE_UMOL_PER_MG_DL
    raise InvalidInput(name, f"unit {unit} is not a creatinine unit")


def acr_mg_g(value: float, unit: str = "mg/g", name: str = "acr") -> float:
    """Urine albumin-to-creatinine ratio in mg/g.

    >>> round(acr_mg_g(3, "mg/mmol"), 2)
    26.52
    """
    u = canonical_unit(name, unit)
    if u == "mg/g":
        return value
    if u == "mg/mmol":
        return value * ACR_MG_G_PER_MG_MMOL
    raise InvalidInput(name, f"unit {unit} is not an albumin-to-creatinine unit")


def cholesterol_mmol_l(value: float, unit: str = "mmol/L", name: str = "cholesterol") -> float:
    """Cholesterol in mmol/L.

    >>> round(cholesterol_mmol_l(200, "mg/dL"), 3)
    5.172
    """
    u = canonical_unit(name, unit)
    if u == "mmol/L":
        return value
    if u == "mg/dL":
        return value / CHOLESTEROL_MG_DL_PER_MMOL_L
    raise InvalidInput(name, f"unit {unit} is not a cholesterol unit")
