"""Equations linking the planted physiology to the reported values.

* CKD-EPI 2021 creatinine equation (Inker et al., NEJM 2021;385:1737-49),
  race-free, and its inverse: the generator picks a true eGFR, derives the
  creatinine that gives it, rounds the creatinine as a laboratory reports it
  (whole µmol/L) and reports the eGFR recomputed from that rounded value, so
  the two observations always agree.
* KDIGO GFR and albuminuria categories (half-open intervals, A3 from 300 mg/g).
* Spirometry predicted values from the GLI-2012 South-East Asian LMS
  coefficients *without* the age splines (a synthetic approximation within a
  few per cent of the full equations, not a clinical reference).
"""

from __future__ import annotations

import math

UMOL_PER_MG_DL = 88.4
"""µmol/L per mg/dL of creatinine."""


def ckd_epi_2021(scr_mg_dl: float, age: float, female: bool) -> float:
    """eGFR (mL/min/1.73 m²) by CKD-EPI 2021 from serum creatinine, rounded to 2 dp.

    Age is capped at 100.

    Raises:
        ValueError: creatinine is not positive.

    >>> ckd_epi_2021(1.4, 60, False)
    57.54
    >>> ckd_epi_2021(0.7, 50, True)
    105.3
    """
    if scr_mg_dl <= 0:
        raise ValueError("creatinine must be positive")
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = scr_mg_dl / kappa
    value = 142 * float(min(ratio, 1.0) ** alpha) * float(max(ratio, 1.0) ** -1.200)
    value *= float(0.9938 ** min(age, 100)) * (1.012 if female else 1.0)
    return round(value, 2)


def egfr_from_umol(scr_umol: float, age: float, female: bool) -> float:
    """eGFR from creatinine in µmol/L (÷ 88.4 to mg/dL).

    >>> egfr_from_umol(120, 60, False)
    59.71
    """
    return ckd_epi_2021(scr_umol / UMOL_PER_MG_DL, age, female)


def creatinine_for_egfr(egfr: float, age: float, female: bool) -> float:
    """The creatinine (mg/dL) at which CKD-EPI 2021 gives ``egfr`` (the exact inverse).

    >>> round(ckd_epi_2021(creatinine_for_egfr(42.0, 70, True), 70, True), 2)
    42.0
    """
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    scale = 142 * 0.9938 ** min(age, 100) * (1.012 if female else 1.0)
    k = egfr / scale
    if k >= 1.0:
        return float(kappa * k ** (1 / alpha))
    return float(kappa * k ** (1 / -1.200))


def gfr_category(egfr: float) -> str:
    """KDIGO GFR category.

    >>> [gfr_category(v) for v in (90, 89.99, 59.9, 45, 30, 29.99, 14.9)]
    ['G1', 'G2', 'G3a', 'G3a', 'G3b', 'G4', 'G5']
    """
    for limit, name in ((90, "G1"), (60, "G2"), (45, "G3a"), (30, "G3b"), (15, "G4")):
        if egfr >= limit:
            return name
    return "G5"


def albuminuria_category(acr_mg_g: float) -> str:
    """KDIGO albuminuria category (2024 convention: 300 mg/g is A3).

    >>> [albuminuria_category(v) for v in (29.9, 30, 299.9, 300)]
    ['A1', 'A2', 'A2', 'A3']
    """
    if acr_mg_g < 30:
        return "A1"
    return "A2" if acr_mg_g < 300 else "A3"


_GLI_SEA = {
    # (female, measure): (a0, a1 ln height, a2 ln age, a5 South-East Asian)
    (False, "fev1"): (-10.342, 2.2196, 0.0574, -0.0881),
    (False, "fvc"): (-11.2281, 2.4135, 0.0865, -0.1177),
    (True, "fev1"): (-9.6987, 2.1211, -0.027, -0.1208),
    (True, "fvc"): (-10.403, 2.2633, 0.0234, -0.1516),
}


def predicted_spirometry(age: float, height_cm: float, female: bool) -> tuple[float, float]:
    """Predicted ``(FEV1, FVC)`` in litres (GLI-2012 South-East Asian, no splines).

    >>> fev1, fvc = predicted_spirometry(50, 165, False)
    >>> round(fev1, 2), 0.75 < fev1 / fvc < 0.9
    (3.09, True)
    """
    out = []
    for measure in ("fev1", "fvc"):
        a0, a1, a2, a5 = _GLI_SEA[female, measure]
        out.append(math.exp(a0 + a1 * math.log(height_cm) + a2 * math.log(age) + a5))
    return out[0], out[1]


def ldl_friedewald(total: float, hdl: float, triglycerides: float) -> float:
    """LDL cholesterol (mmol/L) by the Friedewald equation.

    >>> ldl_friedewald(5.2, 1.2, 1.1)
    3.5
    """
    return round(total - hdl - triglycerides / 2.2, 2)
