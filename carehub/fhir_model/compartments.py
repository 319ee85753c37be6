"""The R4 patient compartment: which reference parameters tie a resource to a patient.

https://hl7.org/fhir/R4/compartmentdefinition-patient.html
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def patient_compartment() -> dict[str, tuple[str, ...]]:
    """Resource type → the search parameters that place it in a patient's compartment.

    >>> patient_compartment()["Observation"]
    ('subject', 'performer')
    """
    text = resources.files("carehub.fhir_model").joinpath("data/compartments.json").read_text()
    data: dict[str, dict[str, list[str]]] = json.loads(text)
    return {t: tuple(ps) for t, ps in data["Patient"].items()}
