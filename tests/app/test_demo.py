"""The demo's first and second runs."""

from __future__ import annotations

import datetime
from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient

from carehub.app.demo import MARKER, prepare_analytics, prepare_demo
from carehub.app.wiring import build_app, build_hub
from carehub.settings import load_settings
from carehub.storage.base import ResourceStore
from carehub.synth import SynthConfig


def test_first_run_loads_and_second_run_reuses(tmp_path: Path) -> None:
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path)})
    hub = build_hub(settings)
    steps: list[str] = []
    try:
        first = prepare_demo(
            hub, tmp_path, SynthConfig(patients=20, years=1), lambda s, d, t: steps.append(s)
        )
        assert first.created and first.failed == 0
        assert first.counts["Patient"] == 20
        assert {"generate", "import"} <= set(steps)
        assert (tmp_path / MARKER).exists()
        second = prepare_demo(hub, tmp_path, SynthConfig(patients=20, years=1))
        assert not second.created
        assert second.counts == first.counts
    finally:
        hub.store.close()


def test_interrupted_first_run_is_redone(tmp_path: Path) -> None:
    """Without the marker (an import that did not finish) the data is loaded again, safely."""
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path)})
    hub = build_hub(settings)
    try:
        first = prepare_demo(hub, tmp_path, SynthConfig(patients=10, years=1))
        (tmp_path / MARKER).unlink()
        again = prepare_demo(hub, tmp_path, SynthConfig(patients=10, years=1))
        assert again.created
        assert again.counts == first.counts
    finally:
        hub.store.close()


def test_analytics_are_built_once_with_screening_written_back(tmp_path: Path) -> None:
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path)})
    hub = build_hub(settings)
    try:
        config = SynthConfig(patients=150, years=2)
        prepare_demo(hub, tmp_path, config)
        first = prepare_analytics(hub.store, settings, config.end_date)
        assert first.built and first.patients_screened > 100 and first.worklist > 0
        with hub.store.session() as session:
            counts = session.count_by_type()
        assert counts.get("Task", 0) > 0 and counts.get("RiskAssessment", 0) > 0
        assert (tmp_path / "screening" / "care-gaps.csv").exists()
        second = prepare_analytics(hub.store, settings, config.end_date)
        assert not second.built and second.worklist == first.worklist
        assert first.inventory_items > 0 and second.inventory_items == 0  # seeded once
        _reorder_list_has_every_band(tmp_path, hub.store, config.end_date)
    finally:
        hub.store.close()


def _reorder_list_has_every_band(data_dir: Path, store: ResourceStore,
                                 as_of: datetime.date) -> None:
    """The dashboard's reorder list (the operations API) shows the seeded drugs in all bands."""
    settings = load_settings({"CAREHUB_DATA_DIR": str(data_dir), "CAREHUB_AUTH": "off"})
    with TestClient(build_app(settings, store)) as client:
        body = client.get("/ops/supply/reorder", params={
            "as_of": as_of.isoformat(), "forecast": "false", "format": "json"}).json()
    bands = Counter(line["status"] for line in body["lines"])
    assert all(bands[band] > 0 for band in ("understock", "adequate", "overstock")), bands
    assert all(line["name"] for line in body["lines"])  # names from the dispenses
