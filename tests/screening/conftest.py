"""A synthetic population built into a warehouse, shared by the screening tests.

``screening_world``: 1,500 synthetic patients (seed 5) written as NDJSON,
built into a DuckDB warehouse as of the generator's end date, with the
resources grouped by patient (to build the same snapshots from FHIR) and the
ground-truth rows.
"""

from __future__ import annotations

import csv
import datetime
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from carehub.screening.fhir_snapshot import reference_key
from carehub.synth.config import DEFAULT_END_DATE, SynthConfig
from carehub.synth.generate import generate
from carehub.warehouse.build import build, plan_build
from carehub.warehouse.sources import NdjsonSource
from carehub.warehouse.store import Warehouse

AS_OF: datetime.date = DEFAULT_END_DATE


@dataclass
class World:
    """The synthetic data, its warehouse, its resources by patient and its ground truth."""

    folder: Path
    warehouse: Warehouse
    by_patient: dict[str, list[dict[str, Any]]]
    truth: dict[str, dict[str, str]]
    as_of: datetime.date = AS_OF


@pytest.fixture(scope="session")
def screening_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("screening-world")
    nd = folder / "ndjson"
    generate(SynthConfig(patients=1500, seed=5), nd)
    warehouse = Warehouse(folder / "w.duckdb", folder / "parquet")
    build(plan_build(), NdjsonSource(sorted(nd.glob("*.ndjson"))), warehouse.engine, warehouse,
          as_of=AS_OF)
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in nd.glob("*.ndjson"):
        for line in path.read_text(encoding="utf-8").splitlines():
            resource = json.loads(line)
            if resource["resourceType"] == "Patient":
                by_patient[f"Patient/{resource['id']}"].append(resource)
            else:
                key = reference_key(resource.get("subject"), "Patient")
                if key:
                    by_patient[key].append(resource)
    with (nd / "ground_truth.csv").open(encoding="utf-8") as fh:
        truth = {f"Patient/{row['patient_id']}": row for row in csv.DictReader(fh)}
    return World(folder, warehouse, dict(by_patient), truth)
