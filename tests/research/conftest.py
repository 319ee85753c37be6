"""Shared fixtures of the research tests: a synthetic population with planted identifiers.

``research_population`` (session-scoped, under a tmp dir) runs the real path:
``carehub synth`` writes a small population, every direct identifier of it
is collected and more are planted (an e-mail per patient, free-text notes
naming the patient in lab results), research Consents are added, then
``carehub import`` loads it into a SQLite FHIR store and ``carehub warehouse
build`` builds the warehouse from the store. The fixture says what was
planted (:class:`Planted`) and which patients opted out.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from carehub.cli.main import app
from carehub.security.consent import CONSENT_SCOPE
from carehub.warehouse.store import Warehouse

PATIENTS = 240
END_DATE = "2025-12-31"
AS_OF = datetime.date(2025, 12, 31)


@dataclass
class Planted:
    """Every direct identifier of the population, by kind (strings to search extracts for)."""

    by_kind: dict[str, set[str]] = field(default_factory=dict)

    def add(self, kind: str, value: Any) -> None:
        if isinstance(value, str) and value.strip():
            self.by_kind.setdefault(kind, set()).add(value)

    def all(self) -> set[str]:
        return {v for values in self.by_kind.values() for v in values}


@dataclass(frozen=True)
class ResearchPopulation:
    """The built population: folders, planted identifiers, consent outcomes."""

    root: Path
    ndjson: Path
    data_dir: Path
    warehouse_path: Path
    planted: Planted
    opted_out: frozenset[str]
    opted_back_in: frozenset[str]
    inactive_deny: frozenset[str]

    def warehouse(self) -> Warehouse:
        """A new handle on the warehouse file (close it after use)."""
        return Warehouse(self.warehouse_path, threads=2)


def _read(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _write(path: Path, resources: list[dict[str, Any]]) -> None:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in resources))


def _collect_patient(planted: Planted, patient: dict[str, Any], index: int) -> str:
    planted.add("patient_id", patient["id"])
    for identifier in patient.get("identifier", []):
        planted.add(f"identifier:{identifier.get('type', {}).get('coding', [{}])[0].get('code')}",
                    identifier.get("value"))
    for name in patient.get("name", []):
        planted.add("name", name.get("text"))
        given = " ".join(name.get("given", []))
        planted.add("name", f"{name.get('family', '')} {given}".strip())
        planted.add("name", f"{given} {name.get('family', '')}".strip())
    email = f"nguoibenh.{index:05d}@thu.example.vn"
    patient.setdefault("telecom", []).append({"system": "email", "value": email})
    for telecom in patient.get("telecom", []):
        planted.add(f"telecom:{telecom['system']}", telecom.get("value"))
    for address in patient.get("address", []):
        planted.add("address", address.get("text"))
        for line in address.get("line", []):
            planted.add("address_line", line)
    return str(patient["id"])


def _consent(
    cid: str, patient: str, kind: str, when: str, status: str = "active"
) -> dict[str, Any]:
    return {
        "resourceType": "Consent", "id": cid, "status": status, "dateTime": when,
        "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "research"}]},
        "category": [{"text": "research"}], "patient": {"reference": f"Patient/{patient}"},
        "provision": {"type": kind},
    }


def _plant(folder: Path) -> tuple[Planted, set[str], set[str], set[str]]:
    planted = Planted()
    patients = _read(folder / "Patient.ndjson")
    ids = [_collect_patient(planted, p, i) for i, p in enumerate(patients)]
    _write(folder / "Patient.ndjson", patients)
    names = {p["id"]: p["name"][0].get("text", "") for p in patients}
    phones = {p["id"]: next((t["value"] for t in p["telecom"] if t["system"] == "phone"), "")
              for p in patients}
    observations = _read(folder / "Observation.ndjson")
    noted: set[str] = set()
    for obs in observations:
        pid = obs.get("subject", {}).get("reference", "").removeprefix("Patient/")
        is_lab = any(c.get("code") == "laboratory" for cat in obs.get("category", [])
                     for c in cat.get("coding", []))
        if is_lab and pid in names and pid not in noted and "valueQuantity" in obs:
            del obs["valueQuantity"]
            note = f"Ghi chú tự do {len(noted)}: BN {names[pid]} gọi {phones[pid]}"
            obs["valueString"] = note
            planted.add("free_text", note)
            noted.add(pid)
    assert len(noted) > 20, "too few lab results to plant free text in"
    _write(folder / "Observation.ndjson", observations)
    opted_out = set(ids[0:60:4])
    back_in = set(ids[1:40:8])
    inactive = set(ids[2:40:8])
    consents = [_consent(f"c-out-{p}", p, "deny", "2025-01-01") for p in opted_out]
    consents += [_consent(f"c-in1-{p}", p, "deny", "2024-01-01") for p in back_in]
    consents += [_consent(f"c-in2-{p}", p, "permit", "2025-02-01") for p in back_in]
    consents += [_consent(f"c-ina-{p}", p, "deny", "2025-01-01", "inactive") for p in inactive]
    _write(folder / "Consent.ndjson", consents)
    return planted, opted_out, back_in, inactive


def _invoke(args: list[str], env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, f"carehub {' '.join(args)} failed: {result.output}"


@pytest.fixture(scope="session")
def research_population(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResearchPopulation]:
    """The synthetic population, imported and built (see the module docstring)."""
    root = tmp_path_factory.mktemp("research-population")
    ndjson, data_dir = root / "ndjson", root / "data"
    env = {
        "CAREHUB_DATA_DIR": str(data_dir),
        "CAREHUB_STORAGE": "sqlite",
        "CAREHUB_WAREHOUSE_ENGINE": "duckdb",
        "CAREHUB_AUTH": "off",
    }
    _invoke(["synth", "--patients", str(PATIENTS), "--years", "1", "--end-date", END_DATE,
             "--seed", "11", "--workers", "1", "--out", str(ndjson), "--no-progress"], env)
    (ndjson / "manifest.json").unlink()
    (ndjson / "ground_truth.csv").unlink()
    planted, opted_out, back_in, inactive = _plant(ndjson)
    _invoke(["import", str(ndjson), "--no-progress"], env)
    _invoke(["warehouse", "build", "--as-of", AS_OF.isoformat()], env)
    yield ResearchPopulation(
        root=root,
        ndjson=ndjson,
        data_dir=data_dir,
        warehouse_path=data_dir / "warehouse" / "warehouse.duckdb",
        planted=planted,
        opted_out=frozenset(f"Patient/{p}" for p in opted_out),
        opted_back_in=frozenset(f"Patient/{p}" for p in back_in),
        inactive_deny=frozenset(f"Patient/{p}" for p in inactive),
    )
