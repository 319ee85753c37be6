"""Same seed, same bytes: whatever the block size, the worker count or the hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from carehub.synth import SynthConfig, generate

PATIENTS = 150


def _files(folder: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted(folder.iterdir())}


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    generate(SynthConfig(patients=PATIENTS, seed=3), tmp_path / "a")
    generate(SynthConfig(patients=PATIENTS, seed=3), tmp_path / "b")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first.keys() == second.keys()
    assert len(first) == 15
    for name in first:
        assert first[name] == second[name], name


def test_block_size_and_workers_do_not_change_the_output(tmp_path: Path) -> None:
    generate(SynthConfig(patients=PATIENTS, seed=3, block_size=200, workers=1), tmp_path / "a")
    generate(SynthConfig(patients=PATIENTS, seed=3, block_size=7, workers=2), tmp_path / "b")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    generate(SynthConfig(patients=PATIENTS, seed=3), tmp_path / "a")
    generate(SynthConfig(patients=PATIENTS, seed=4), tmp_path / "b")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    for name in ("Patient.ndjson", "Encounter.ndjson", "Observation.ndjson", "ground_truth.csv"):
        assert first[name] != second[name], name


def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from carehub.synth import SynthConfig, generate;"
        " generate(SynthConfig(patients=60, seed=5), Path(sys.argv[1]))"
    )
    for name, hash_seed in (("a", "1"), ("b", "987")):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], env=env, check=True)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_a_patient_does_not_depend_on_the_population_size(tmp_path: Path) -> None:
    generate(SynthConfig(patients=20, seed=3), tmp_path / "a")
    generate(SynthConfig(patients=40, seed=3), tmp_path / "b")
    small = (tmp_path / "a" / "Patient.ndjson").read_bytes().splitlines()
    large = (tmp_path / "b" / "Patient.ndjson").read_bytes().splitlines()
    assert large[:20] == small
