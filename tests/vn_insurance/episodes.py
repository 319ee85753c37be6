"""Test episodes: a small synthetic population plus the insurance resources synth lacks."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from carehub.synth import systems
from carehub.synth.block import Context, build_patient
from carehub.synth.config import SynthConfig
from carehub.synth.facility import facility_resources
from carehub.vn_insurance.context import ExportContext
from carehub.vn_insurance.episode import COVERAGE_CLASS, identifier
from carehub.vn_insurance.tariff import load_tariff

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "vn_insurance"
PATIENTS = 124
"""Enough for admissions (p0000087, p0000096, p0000118 who dies, p0000123)."""


def coverage(patient: dict[str, Any]) -> dict[str, Any]:
    """The BHYT Coverage of a synthetic patient (card valid for 2025-2026)."""
    card = identifier(patient, systems.BHYT)
    return {
        "resourceType": "Coverage",
        "id": f"{patient['id']}-bhyt",
        "status": "active",
        "identifier": [{"system": systems.BHYT, "value": card}],
        "beneficiary": {"reference": f"Patient/{patient['id']}"},
        "payor": [{"display": "Bảo hiểm xã hội Việt Nam"}],
        "period": {"start": "2025-01-01", "end": "2026-12-31"},
        "class": [{"type": {"coding": [{"system": COVERAGE_CLASS, "code": "dkbd"}]},
                   "value": "01013"}],
    }


@functools.cache
def population() -> tuple[dict[str, Any], ...]:
    """Resources of :data:`PATIENTS` synthetic patients, their Coverage and the facility."""
    cfg = SynthConfig(patients=PATIENTS, years=1)
    ctx = Context.build(cfg)
    out: list[dict[str, Any]] = []
    for index in range(PATIENTS):
        rec, _ = build_patient(ctx, index)
        for resources in rec.resources.values():
            out.extend(resources)
        out.append(coverage(rec.resources["Patient"][0]))
    out.extend(facility_resources(cfg.seed, {}, cfg.end_date.year))
    return tuple(out)


def export_context() -> ExportContext:
    """The exporting facility of the tests, with the fixture tariff."""
    return ExportContext("01001", "0123456789", load_tariff(FIXTURES / "tariff.csv"),
                         "202607011200")
