"""A cohort as a FHIR Group (``actual``, one member per patient), so Bulk ``Group/$export`` works.

https://hl7.org/fhir/R4/group.html and https://hl7.org/fhir/uv/bulkdata/STU2/export.html

:func:`to_group` reads the cohort's ``patient_id`` and ``index_date`` from
the engine (the only patient data that reaches Python: keys and dates) and
writes each as a member whose ``period.start`` is the index date;
:func:`store_group` puts the Group into the FHIR store (a new version of
``Group/cohort-<name>`` on each run, so the Group's history keeps every run).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any

from carehub.errors import Incorrect
from carehub.research.cohort.run import CohortResult, fetch
from carehub.storage.base import ResourceStore

COHORT_SYSTEM = "urn:carehub:research:cohort"
"""Identifier system of the Groups made from cohorts (value: the cohort's name)."""

_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def group_id(name: str) -> str:
    """The Group id of cohort ``name``.

    >>> group_id("t2dm_adults")
    'cohort-t2dm-adults'
    """
    return "cohort-" + name.replace("_", "-")


def group_resource(
    name: str,
    title: str,
    members: Iterable[tuple[str, Any]],
    *,
    id: str | None = None,
) -> dict[str, Any]:
    """An actual person Group of ``members`` (``(Patient/<id> key, index date)`` pairs).

    Raises:
        Incorrect: ``id`` is not a valid FHIR id, or a key is not a Patient reference.

    >>> g = group_resource("htn", "Hypertension", [("Patient/p1", datetime.date(2024, 5, 1))])
    >>> g["id"], g["quantity"], g["member"][0]
    ('cohort-htn', 1, {'entity': {'reference': 'Patient/p1'}, 'period': {'start': '2024-05-01'}})
    """
    rid = id or group_id(name)
    if not _ID.match(rid):
        raise Incorrect(f"'{rid}' is not a valid FHIR id for the cohort's Group")
    member: list[dict[str, Any]] = []
    for key, index_date in members:
        if not key.startswith("Patient/") or len(key) <= len("Patient/"):
            raise Incorrect(f"cohort member '{key}' is not a Patient key")
        entry: dict[str, Any] = {"entity": {"reference": key}}
        if isinstance(index_date, datetime.date):
            entry["period"] = {"start": index_date.isoformat()}
        elif index_date:
            entry["period"] = {"start": str(index_date)[:10]}
        member.append(entry)
    return {
        "resourceType": "Group",
        "id": rid,
        "identifier": [{"system": COHORT_SYSTEM, "value": name}],
        "active": True,
        "type": "person",
        "actual": True,
        "name": title,
        "quantity": len(member),
        "member": member,
    }


def to_group(result: CohortResult, name: str | None = None) -> dict[str, Any]:
    """The Group of a cohort result (named ``name``, default the cohort's title)."""
    rows = fetch(
        result.engine,
        f"SELECT patient_id, index_date FROM {result.table} ORDER BY patient_id",
    )
    definition = result.definition
    return group_resource(
        definition.name, name or definition.title, ((str(r[0]), r[1]) for r in rows)
    )


def store_group(store: ResourceStore, group: dict[str, Any]) -> str:
    """Put ``group`` into the store (new version if it exists); returns ``Group/<id>/_history/<v>``.

    Raises:
        Incorrect: ``group`` is not a Group with an id.
    """
    if group.get("resourceType") != "Group" or not group.get("id"):
        raise Incorrect("only a Group with an id can be stored as a cohort")
    with store.session(write=True) as session:
        stored = session.put(group)
    return f"Group/{group['id']}/_history/{stored.version}"
