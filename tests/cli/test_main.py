"""The ``carehub`` command line: help, version, settings, serve wiring, error exit."""

from __future__ import annotations

import subprocess
import sys
import types
from typing import Any

import pytest
from typer.testing import CliRunner

from carehub import __version__
from carehub.cli.main import ERROR_EXIT_CODE, app
from carehub.settings import SETTINGS, Settings

runner = CliRunner()


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    assert "serve" in result.output
    assert "settings" in result.output


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "serve" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"carehub {__version__}\n"


def test_settings_lists_every_setting() -> None:
    result = runner.invoke(app, ["settings"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for setting in SETTINGS:
        assert setting.name in result.stdout


@pytest.mark.parametrize("command", ["settings", "serve"])
def test_carehub_error_is_one_line_and_exit_2(command: str) -> None:
    result = runner.invoke(app, [command], env={"CAREHUB_PORT": "eighty"})
    assert result.exit_code == ERROR_EXIT_CODE
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("carehub: error: ")
    assert "CAREHUB_PORT" in lines[0]
    assert "Traceback" not in result.output


def test_unknown_log_level_is_reported() -> None:
    result = runner.invoke(app, ["serve"], env={"CAREHUB_LOG_LEVEL": "loud"})
    assert result.exit_code == ERROR_EXIT_CODE
    assert "CAREHUB_LOG_LEVEL" in result.stderr


def test_console_script_error_has_no_traceback() -> None:
    code = "import sys; from carehub.cli.main import app; sys.argv[0] = 'carehub'; app()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "settings"],
        env={"CAREHUB_PORT": "x", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == ERROR_EXIT_CODE
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr


class _Recorder:
    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.run_args: dict[str, Any] = {}


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch) -> _Recorder:
    """Replace the app factory and uvicorn so ``serve`` returns at once."""
    import uvicorn

    rec = _Recorder()
    sentinel = object()

    def build_app(settings: Settings) -> object:
        rec.settings = settings
        return sentinel

    def run(api: object, **kwargs: Any) -> None:
        assert api is sentinel
        rec.run_args = kwargs

    wiring = types.ModuleType("carehub.app.wiring")
    wiring.build_app = build_app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "carehub.app.wiring", wiring)
    monkeypatch.setattr(uvicorn, "run", run)
    return rec


def test_serve_uses_settings_defaults(fake_server: _Recorder) -> None:
    result = runner.invoke(app, ["serve"], env={"CAREHUB_PORT": None, "CAREHUB_HOST": None})
    assert result.exit_code == 0, result.output
    assert fake_server.run_args["host"] == "127.0.0.1"
    assert fake_server.run_args["port"] == 8080
    assert "http://127.0.0.1:8080/fhir" in result.stderr


def test_serve_options_override_environment(fake_server: _Recorder) -> None:
    result = runner.invoke(
        app,
        ["serve", "--host", "0.0.0.0", "--port", "9001"],
        env={"CAREHUB_PORT": "not-a-port", "CAREHUB_HOST": "10.0.0.1"},
    )
    assert result.exit_code == 0, result.output
    assert fake_server.run_args["host"] == "0.0.0.0"
    assert fake_server.run_args["port"] == 9001
    assert fake_server.settings is not None
    assert fake_server.settings["CAREHUB_PORT"] == 9001
