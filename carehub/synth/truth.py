"""The ground truth: what was planted in each patient, as ``ground_truth.csv``.

Not FHIR: one CSV row per patient with the facts a screening engine should
rediscover from the FHIR data, so its results can be scored. Conditions are
``1``/``0`` columns (``<condition>`` true state, ``<condition>_diagnosed``
whether a Condition resource records it); levels are the true values on the
end date (reported observations scatter around them); ages are on the end
date. :data:`COLUMNS` lists the columns in order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from carehub.synth.clinical import Health
from carehub.synth.population import Person

COLUMNS = (
    "patient_id", "sex", "birth_date", "age", "residence_province", "cccd_province",
    "deceased_date", "smoking_status", "pack_years", "years_since_quit", "bmi",
    "hypertension", "hypertension_diagnosed", "diabetes", "diabetes_diagnosed", "prediabetes",
    "hba1c", "ckd", "ckd_diagnosed", "egfr", "gfr_category", "acr", "albuminuria_category",
    "copd", "copd_diagnosed", "gold_grade", "fev1_fvc_post", "asthma", "asthma_diagnosed",
    "heart_failure", "heart_failure_diagnosed", "ntprobnp", "hbv", "hbv_diagnosed",
    "hbv_treated", "hcv", "hcv_diagnosed", "cirrhosis", "hiv", "dyslipidaemia", "platelets",
    "ldct_scans", "chest_ct_scans", "nodule_max_mm",
)  # fmt: skip


def header() -> bytes:
    """The CSV header line.

    >>> header().startswith(b"patient_id,sex,birth_date,age,")
    True
    """
    return (",".join(COLUMNS) + "\n").encode()


def _flag(value: bool) -> str:
    return "1" if value else "0"


def row(
    person: Person,
    health: Health,
    deceased: str | None,
    ldct_scans: int,
    chest_ct_scans: int,
    nodule_max_mm: float | None,
) -> list[str]:
    """The ground-truth row of one patient, as strings in :data:`COLUMNS` order."""
    h = health
    status, pack_years, quit = h.smoking_at(person.age_exact)
    has, dx = h.conditions, h.diagnosed
    adult = person.age >= 18
    ratio = h.fev1_post / h.fvc_post if h.fvc_post else 0.0
    return [
        person.id,
        person.gender,
        person.birth_date.isoformat(),
        str(person.age),
        person.residence.code,
        person.birth_province.code,
        deceased[:10] if deceased else "",
        status,
        f"{pack_years:.1f}",
        f"{quit:.1f}" if status == "former" else "",
        f"{h.bmi:.1f}",
        _flag("hypertension" in has),
        _flag("hypertension" in dx),
        _flag("diabetes" in has),
        _flag("diabetes" in dx),
        _flag("prediabetes" in has),
        f"{h.hba1c:.1f}",
        _flag("ckd" in has),
        _flag("ckd" in dx),
        f"{h.egfr:.1f}" if adult else "",
        h.gfr_category if adult else "",
        f"{h.acr:.1f}",
        h.albuminuria_category,
        _flag("copd" in has),
        _flag("copd" in dx),
        str(h.gold_grade) if h.gold_grade else "",
        f"{ratio:.3f}" if ratio else "",
        _flag("asthma" in has),
        _flag("asthma" in dx),
        _flag("heart_failure" in has),
        _flag("heart_failure" in dx),
        f"{h.ntprobnp:.0f}",
        _flag("hbv" in has),
        _flag("hbv" in dx),
        _flag(h.hbv_treated),
        _flag("hcv" in has),
        _flag("hcv" in dx),
        _flag("cirrhosis" in has),
        _flag("hiv" in has),
        _flag("dyslipidaemia" in has),
        f"{h.platelets:.0f}",
        str(ldct_scans),
        str(chest_ct_scans),
        f"{nodule_max_mm:.1f}" if nodule_max_mm is not None else "",
    ]


def to_csv(rows: Iterable[list[str]]) -> bytes:
    """CSV lines (no header) for ``rows``.

    >>> to_csv([["a", "b"], ["c", "d"]])
    b'a,b\\nc,d\\n'
    """
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()
