"""The two snapshot builders agree: FHIR resources and the warehouse give equal snapshots."""

from __future__ import annotations

import datetime

import pytest

from carehub.errors import Incorrect
from carehub.screening.fhir_snapshot import snapshot_from_resources
from carehub.screening.warehouse_facts import stream_snapshots
from tests.screening.conftest import World


def test_warehouse_and_fhir_snapshots_are_equal(screening_world: World) -> None:
    w = screening_world
    snapshots = list(stream_snapshots(w.warehouse.connection, w.as_of))
    assert len(snapshots) > 1000
    kinds = {f.kind for s in snapshots for f in s.facts}
    assert kinds >= {"condition", "lab", "vital", "social", "study", "nodule", "answer"}
    for snapshot in snapshots:
        from_fhir = snapshot_from_resources(w.by_patient[snapshot.patient_id], w.as_of)
        assert from_fhir == snapshot, snapshot.patient_id


def test_deceased_patients_are_not_screened(screening_world: World) -> None:
    w = screening_world
    dead = {pid for pid, row in w.truth.items() if row["deceased_date"]}
    assert dead, "the synthetic population should include deaths"
    keys = {s.patient_id for s in stream_snapshots(w.warehouse.connection, w.as_of)}
    assert not keys & dead
    assert len(keys) == len(w.truth) - len(dead)


def test_snapshot_drops_facts_after_as_of(screening_world: World) -> None:
    w = screening_world
    pid = next(iter(w.truth))
    early = datetime.date(2024, 1, 1)
    snapshot = snapshot_from_resources(w.by_patient[pid], early)
    assert all(f.date is None or f.date <= early for f in snapshot.facts)


def test_snapshot_needs_exactly_one_patient() -> None:
    with pytest.raises(Incorrect, match="exactly one Patient"):
        snapshot_from_resources([], datetime.date(2024, 1, 1))
