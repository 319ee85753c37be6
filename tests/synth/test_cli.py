"""``carehub synth`` on the command line."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from carehub.cli.main import ERROR_EXIT_CODE, app

runner = CliRunner()


def test_synth_writes_a_population(tmp_path: Path) -> None:
    out = tmp_path / "tmp"
    result = runner.invoke(app, ["synth", "--patients", "50", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "resources" in result.stdout
    patients = (out / "Patient.ndjson").read_bytes().splitlines()
    assert len(patients) == 50
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["extension"]["endDate"] == "2026-06-30"
    assert (out / "ground_truth.csv").read_text(encoding="utf-8").count("\n") == 51


def test_options_are_used(tmp_path: Path) -> None:
    out = tmp_path / "o"
    args = ["synth", "--patients", "5", "--out", str(out), "--years", "1", "--seed", "9"]
    result = runner.invoke(app, [*args, "--end-date", "2025-12-31", "--no-progress"])
    assert result.exit_code == 0, result.output
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["extension"]["startDate"] == "2025-01-01"
    assert manifest["extension"]["seed"] == 9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--patients", "abc"], "--patients must be an integer"),
        (["--patients", "0"], "--patients must be between 1"),
        (["--patients", "5", "--years", "0"], "--years must be between 1 and 30"),
        (["--patients", "5", "--seed", "-1"], "--seed must be between 0"),
        (["--patients", "5", "--end-date", "2025-02-30"], "--end-date must be a date"),
        (["--patients", "5", "--end-date", "1800-01-01"], "--end-date must be between"),
        (["--patients", "5", "--workers", "x"], "--workers must be an integer"),
        (["--out", "OUT"], "--patients N is required"),
        (["--patients", "5"], "--out DIR is required"),
    ],
)
def test_bad_arguments_give_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    if "--patients" in args and "--out" not in args and "required" not in message:
        args = [*args, "--out", "OUT"]
    args = [str(tmp_path / "x") if a == "OUT" else a for a in args]
    result = runner.invoke(app, ["synth", *args])
    assert result.exit_code == ERROR_EXIT_CODE
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("carehub: error: ")
    assert message in lines[0]
    assert not (tmp_path / "x").exists()


def test_out_must_not_be_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = runner.invoke(app, ["synth", "--patients", "3", "--out", str(target)])
    assert result.exit_code == ERROR_EXIT_CODE
    assert "is not a directory" in result.stderr
