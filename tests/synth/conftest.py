"""Populations shared by the synth tests, generated once per session.

* ``population``: 3,000 patients (seed 7), for frequencies, prevalences and
  the screening coverage checks.
* ``small_population``: 200 patients (seed 11), for validation and
  reference integrity.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson
import pytest

from carehub.synth import SynthConfig, generate


@dataclass
class Population:
    """An output folder with lazy, cached readers."""

    path: Path
    _cache: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def resources(self, resource_type: str) -> list[dict[str, Any]]:
        """Every resource of ``resource_type`` (parsed once)."""
        if resource_type not in self._cache:
            lines = (self.path / f"{resource_type}.ndjson").read_bytes().splitlines()
            self._cache[resource_type] = [orjson.loads(line) for line in lines]
        return self._cache[resource_type]

    def all_resources(self) -> Iterator[dict[str, Any]]:
        """Every resource of every NDJSON file."""
        for file in sorted(self.path.glob("*.ndjson")):
            yield from self.resources(file.stem)

    @cached_property
    def truth(self) -> list[dict[str, str]]:
        """The ground-truth rows."""
        with (self.path / "ground_truth.csv").open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    @cached_property
    def truth_by_id(self) -> dict[str, dict[str, str]]:
        """Ground-truth rows by patient id."""
        return {row["patient_id"]: row for row in self.truth}

    @cached_property
    def patients(self) -> dict[str, dict[str, Any]]:
        """Patient resources by id."""
        return {p["id"]: p for p in self.resources("Patient")}

    def observations(self, code: str) -> list[dict[str, Any]]:
        """Observations whose first coding has ``code``."""
        return [o for o in self.resources("Observation") if o["code"]["coding"][0]["code"] == code]


@pytest.fixture(scope="session")
def population(tmp_path_factory: pytest.TempPathFactory) -> Population:
    out = tmp_path_factory.mktemp("synth-3000")
    generate(SynthConfig(patients=3000, seed=7), out)
    return Population(out)


@pytest.fixture(scope="session")
def small_population(tmp_path_factory: pytest.TempPathFactory) -> Population:
    out = tmp_path_factory.mktemp("synth-200")
    generate(SynthConfig(patients=200, seed=11), out)
    return Population(out)
