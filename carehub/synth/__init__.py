"""Synthetic Vietnamese hospital population as FHIR R4 Bulk Data NDJSON.

``carehub synth`` (:mod:`carehub.cli.synth`) and :func:`generate` write, for
a seeded population, one NDJSON file per resource type, a ground-truth CSV
of what was planted in each patient, and a manifest. See
:mod:`carehub.synth.generate` for the pipeline, :mod:`carehub.synth.clinical`
for the risk model and :mod:`carehub.synth.activity` for hospital activity.
"""

from carehub.synth.config import SynthConfig
from carehub.synth.generate import SynthSummary, generate
from carehub.synth.record import ALL_TYPES

__all__ = ["ALL_TYPES", "SynthConfig", "SynthSummary", "generate"]
