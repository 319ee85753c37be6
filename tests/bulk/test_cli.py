"""``carehub import``: summary line, bad lines on stderr, exit statuses, the error file."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from carehub.cli.import_data import FAILED_EXIT_CODE
from carehub.cli.main import ERROR_EXIT_CODE, app
from carehub.storage.base import ResourceStore
from tests.bulk.conftest import FIXTURES, Backend, read_ndjson

runner = CliRunner()
SUMMARY = re.compile(
    r"^loaded (\d+), unchanged (\d+), failed (\d+) from (\d+) files? in [\d.]+ s "
    r"\([\d,]+ resources/s\)\n$"
)


def counts(stdout: str) -> tuple[int, ...]:
    match = SUMMARY.match(stdout)
    assert match, stdout
    return tuple(int(g) for g in match.groups())


def test_bad_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {"CAREHUB_DATA_DIR": str(tmp_path / "data")}
    result = runner.invoke(app, ["import", str(tmp_path / "nowhere")], env=env)
    assert result.exit_code == ERROR_EXIT_CODE
    assert result.stdout == ""
    assert result.stderr == f"carehub: error: no such file or folder: {tmp_path / 'nowhere'}\n"
    assert not (tmp_path / "data").exists()  # nothing opened


def test_wrong_kind_of_file_and_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    result = runner.invoke(app, ["import", str(tmp_path / "notes.txt")])
    assert result.exit_code == ERROR_EXIT_CODE
    assert result.stderr.endswith("notes.txt: not an .ndjson or .json file\n")
    result = runner.invoke(app, ["import", str(tmp_path)])
    assert result.exit_code == ERROR_EXIT_CODE
    assert "no .ndjson or .json files in" in result.stderr


def test_import_then_reimport(backend: Backend, store: ResourceStore, tmp_path: Path) -> None:
    folder = FIXTURES / "roundtrip"
    total = sum(len(read_ndjson(p)) for p in folder.glob("*.ndjson"))
    result = runner.invoke(app, ["import", str(folder)], env=backend.env)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert counts(result.stdout) == (total, 0, 0, 7)
    result = runner.invoke(app, ["import", str(folder), "--batch-size", "3"], env=backend.env)
    assert result.exit_code == 0, result.output
    assert counts(result.stdout) == (0, total, 0, 7)
    with store.session() as s:
        assert s.count_by_type()["Observation"] == 8


def test_bad_lines_exit_1_and_error_file(backend: Backend, tmp_path: Path) -> None:
    errors = tmp_path / "errors.json"
    result = runner.invoke(
        app,
        ["import", str(FIXTURES / "bad"), "--errors", str(errors), "--no-progress"],
        env=backend.env,
    )
    assert result.exit_code == FAILED_EXIT_CODE, result.output
    assert counts(result.stdout) == (5, 0, 8, 2)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("carehub: error: mixed.ndjson line 2: unknown resource type")
    assert lines[1].startswith("carehub: error: Patient.ndjson line 2: not valid JSON")
    assert len(lines) == 8
    outcome = json.loads(errors.read_text())
    assert outcome["resourceType"] == "OperationOutcome"
    assert len(outcome["issue"]) == 8


def test_many_issues_are_cut_short(backend: Backend, tmp_path: Path) -> None:
    path = tmp_path / "Patient.ndjson"
    path.write_text("{\n" * 25)
    result = runner.invoke(app, ["import", str(path)], env=backend.env)
    assert result.exit_code == FAILED_EXIT_CODE
    lines = result.stderr.splitlines()
    assert len(lines) == 21
    assert lines[-1] == "carehub: ... and 5 more issues (--errors FILE writes them all)"


def test_bundles_and_ndjson_together(backend: Backend, tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "bundles", tmp_path / "in")
    shutil.copy(FIXTURES / "roundtrip" / "Organization.ndjson", tmp_path / "in")
    result = runner.invoke(app, ["import", str(tmp_path / "in")], env=backend.env)
    assert result.exit_code == 0, result.output
    assert counts(result.stdout) == (2 + 10, 1, 0, 6)
