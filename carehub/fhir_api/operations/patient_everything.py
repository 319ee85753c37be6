"""``Patient/{id}/$everything``: a patient and everything in its compartment.

https://hl7.org/fhir/R4/patient-operation-everything.html

Returns the Patient, every resource in the R4 patient compartment, and the
resources those refer to (practitioners, organizations, medications...),
paged with ``_count``; ``_since`` and ``_type`` filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carehub.errors import Incorrect
from carehub.fhir_api.bundles import searchset
from carehub.fhir_api.hub import Hub
from carehub.fhir_api.interactions.read import read
from carehub.fhir_model.values import date_range
from carehub.storage.base import EverythingQuery, StoreSession


def patient_everything(
    hub: Hub,
    session: StoreSession,
    patient_id: str,
    items: Sequence[tuple[str, str]],
    base: str,
    max_count: int = 1000,
) -> dict[str, Any]:
    """The ``searchset`` Bundle of ``$everything``.

    Raises:
        NotFound/Gone: no such patient. Incorrect: bad ``_since``/``_type``/``_count``.
    """
    read(hub, session, "Patient", patient_id)
    since = cursor = None
    types: tuple[str, ...] = ()
    count = 100
    params: list[tuple[str, str]] = []
    for key, value in items:
        if key == "_since":
            since = date_range(value)[0]
        elif key == "_type":
            types = tuple(t.strip() for t in value.split(",") if t.strip())
            for t in types:
                hub.check_type(t)
        elif key == "_count":
            if not value.isdigit() or int(value) == 0:
                raise Incorrect(f"_count must be a positive whole number, not '{value}'")
            count = min(int(value), max_count)
        elif key == "_cursor":
            cursor = value
            continue
        elif key not in ("_format", "_pretty"):
            raise Incorrect(f"$everything does not understand parameter '{key}'")
        params.append((key, value))
    page = session.everything(EverythingQuery(patient_id, since, types, count, cursor))
    return searchset(page, base, f"Patient/{patient_id}/$everything", params)
