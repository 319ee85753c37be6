"""Heart failure: ESC 2021 natriuretic-peptide rule-out; H2FPEF score (points and continuous).

Sources:

* McDonagh TA, Metra M, Adamo M, et al. 2021 ESC Guidelines for the diagnosis
  and treatment of acute and chronic heart failure. Eur Heart J
  2021;42:3599-3726. https://doi.org/10.1093/eurheartj/ehab368
* Reddy YNV, Carter RE, Obokata M, Redfield MM, Borlaug BA. A Simple,
  Evidence-Based Approach to Help Guide Diagnosis of Heart Failure With
  Preserved Ejection Fraction. Circulation 2018;138:861-870.
  https://doi.org/10.1161/CIRCULATIONAHA.118.034646

ESC 2021: heart failure is unlikely when the peptide is strictly *below* the
threshold (non-acute NT-proBNP < 125 pg/mL, BNP < 35 pg/mL; acute NT-proBNP
< 300 pg/mL, BNP < 100 pg/mL, MR-proANP < 120 pmol/L); at or above it the next
step is echocardiography. H2FPEF items use strict ``>`` (BMI > 30, PASP > 35,
age > 60, E/e' > 9); "hypertensive" (>= 2 antihypertensives) scores 1.
"""

from __future__ import annotations

import math

from carehub.clinical.inputs import InvalidInput, choice, flag, number
from carehub.clinical.result import Guideline, Result

ESC_2021_HF = Guideline(
    "ESC heart failure guideline, natriuretic-peptide rule-out",
    "2021",
    "McDonagh TA et al. Eur Heart J 2021;42:3599-3726. doi:10.1093/eurheartj/ehab368",
)
H2FPEF = Guideline(
    "H2FPEF score",
    "2018",
    "Reddy YNV et al. Circulation 2018;138:861-870. doi:10.1161/CIRCULATIONAHA.118.034646",
)
H2FPEF_CONTINUOUS = Guideline(
    "H2FPEF continuous model",
    "2018",
    "Reddy YNV et al. Circulation 2018;138:861-870 (continuous model as implemented by MDCalc)",
)

RULE_OUT_THRESHOLDS: dict[str, dict[str, float]] = {
    "non_acute": {"nt_probnp_pg_ml": 125.0, "bnp_pg_ml": 35.0},
    "acute": {"nt_probnp_pg_ml": 300.0, "bnp_pg_ml": 100.0, "mr_proanp_pmol_l": 120.0},
}
"""Setting -> peptide input -> rule-out threshold (HF unlikely strictly below)."""

NP_CAVEAT = (
    "Natriuretic peptides run higher with atrial fibrillation, older age and CKD, and lower "
    "with obesity."
)


def esc2021_natriuretic_rule_out(
    *,
    setting: str,
    nt_probnp_pg_ml: float | None = None,
    bnp_pg_ml: float | None = None,
    mr_proanp_pmol_l: float | None = None,
) -> Result:
    """Whether natriuretic peptides make HF unlikely (rule ``esc2021_natriuretic_rule_out``).

    Args:
        setting: ``non_acute`` (chronic suspicion) or ``acute``.
        nt_probnp_pg_ml: NT-proBNP, pg/mL.
        bnp_pg_ml: BNP, pg/mL.
        mr_proanp_pmol_l: MR-proANP, pmol/L (acute setting only).

    Returns:
        ``hf_unlikely`` (true only when every peptide given is below its
        threshold), ``next`` (``echocardiography`` or ``consider_other_diagnoses``),
        ``thresholds`` used and the interpretation ``caveat``.

    Raises:
        InvalidInput: no peptide given, a negative or absurd value, an unknown
            setting, or MR-proANP in the non-acute setting.

    >>> esc2021_natriuretic_rule_out(setting="non_acute", nt_probnp_pg_ml=124.9)["hf_unlikely"]
    True
    >>> r = esc2021_natriuretic_rule_out(setting="non_acute", bnp_pg_ml=35)
    >>> r["hf_unlikely"], r["next"]
    (False, 'echocardiography')
    """
    key = setting.replace("-", "_").replace(" ", "_") if isinstance(setting, str) else setting
    if key == "chronic":
        key = "non_acute"
    which = choice("setting", key, RULE_OUT_THRESHOLDS)
    thresholds = RULE_OUT_THRESHOLDS[which]
    given = {
        name: value
        for name, value in (
            ("nt_probnp_pg_ml", nt_probnp_pg_ml),
            ("bnp_pg_ml", bnp_pg_ml),
            ("mr_proanp_pmol_l", mr_proanp_pmol_l),
        )
        if value is not None
    }
    if not given:
        raise InvalidInput("nt_probnp_pg_ml", "is required (or bnp_pg_ml / mr_proanp_pmol_l)")
    values: dict[str, float] = {}
    for name, value in given.items():
        if name not in thresholds:
            raise InvalidInput(name, f"has no ESC 2021 rule-out threshold in the {which} setting")
        values[name] = number(name, value, 0, 1_000_000)
    unlikely = all(values[name] < thresholds[name] for name in values)
    return Result(
        "esc2021_natriuretic_rule_out",
        {
            "hf_unlikely": unlikely,
            "next": "consider_other_diagnoses" if unlikely else "echocardiography",
            "thresholds": {name: thresholds[name] for name in values},
            "caveat": NP_CAVEAT,
        },
        ESC_2021_HF,
        reason=NP_CAVEAT,
        inputs={"setting": which, **values},
    )


def _h2fpef_inputs(
    age: object, bmi: object, e_e_prime: object, pasp_mmHg: object, af: object
) -> dict[str, float | bool]:
    return {
        "age": number("age", age, 18, 120, "years"),
        "bmi": number("bmi", bmi, 10, 90, "kg/m2"),
        "e_e_prime": number("e_e_prime", e_e_prime, 0, 60),
        "pasp_mmHg": number("pasp_mmHg", pasp_mmHg, 0, 200, "mmHg"),
        "af": flag("af", af),
    }


def h2fpef_points(
    *,
    bmi: float,
    n_antihypertensives: int,
    af: bool,
    pasp_mmHg: float,
    age: float,
    e_e_prime: float,
) -> Result:
    """H2FPEF points score 0-9 (rule ``h2fpef_points``).

    Args:
        bmi: kg/m² (> 30 scores 2).
        n_antihypertensives: number of antihypertensive medicines (>= 2 scores 1).
        af: paroxysmal or persistent atrial fibrillation (scores 3).
        pasp_mmHg: echo pulmonary artery systolic pressure (> 35 scores 1).
        age: years (> 60 scores 1).
        e_e_prime: echo E/e' (> 9 scores 1).

    Returns:
        ``score``, ``probability`` (``low`` 0-1, ``intermediate`` 2-5, ``high``
        6-9) and ``points`` by item.

    Raises:
        InvalidInput: a missing or out-of-range input (a non-integer medicine count).

    >>> h2fpef_points(bmi=30, n_antihypertensives=3, af=True, pasp_mmHg=35, age=60,
    ...               e_e_prime=9.5)["score"]
    5
    """
    x = _h2fpef_inputs(age, bmi, e_e_prime, pasp_mmHg, af)
    drugs = number("n_antihypertensives", n_antihypertensives, 0, 20)
    if not drugs.is_integer():
        raise InvalidInput("n_antihypertensives", f"must be a whole number, not {drugs:g}")
    points = {
        "heavy": 2 if x["bmi"] > 30 else 0,
        "hypertensive": 1 if drugs >= 2 else 0,
        "atrial_fibrillation": 3 if x["af"] else 0,
        "pulmonary_hypertension": 1 if x["pasp_mmHg"] > 35 else 0,
        "elder": 1 if x["age"] > 60 else 0,
        "filling_pressure": 1 if x["e_e_prime"] > 9 else 0,
    }
    score = sum(points.values())
    probability = "low" if score <= 1 else "intermediate" if score <= 5 else "high"
    return Result(
        "h2fpef_points",
        {"score": score, "probability": probability, "points": points},
        H2FPEF,
        inputs={**x, "n_antihypertensives": int(drugs)},
    )


def h2fpef_continuous_probability(
    *,
    age: float,
    bmi: float,
    e_e_prime: float,
    pasp_mmHg: float,
    af: bool,
) -> Result:
    """HFpEF probability, continuous H2FPEF model (rule ``h2fpef_continuous_probability``).

    ``y = -9.1917 + 0.0451 age + 0.1307 BMI + 0.0859 E/e' + 0.0520 PASP + 1.6997 AF``,
    ``p = e^y / (1 + e^y)``.

    Returns:
        ``probability_pct`` (1 dp).

    Raises:
        InvalidInput: a missing or out-of-range input, named.

    >>> h2fpef_continuous_probability(age=65, bmi=32, e_e_prime=10, pasp_mmHg=40,
    ...                               af=True)["probability_pct"]
    92.8
    """
    x = _h2fpef_inputs(age, bmi, e_e_prime, pasp_mmHg, af)
    y = (
        -9.1917
        + 0.0451 * x["age"]
        + 0.1307 * x["bmi"]
        + 0.0859 * x["e_e_prime"]
        + 0.0520 * x["pasp_mmHg"]
        + 1.6997 * float(x["af"])
    )
    p = 1.0 / (1.0 + math.exp(-y))
    return Result(
        "h2fpef_continuous_probability",
        {"probability_pct": round(100 * p, 1)},
        H2FPEF_CONTINUOUS,
        inputs=x,
    )


RULES = {
    "esc2021_natriuretic_rule_out": esc2021_natriuretic_rule_out,
    "h2fpef_points": h2fpef_points,
    "h2fpef_continuous_probability": h2fpef_continuous_probability,
}
