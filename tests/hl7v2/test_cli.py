"""``carehub hl7``: import, dead-letters, send, listen."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from carehub.cli.main import app
from carehub.hl7v2.listener import Listener
from tests.hl7v2.conftest import FIXTURES, Env

runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {"CAREHUB_DATA_DIR": str(tmp_path / "data"), "CAREHUB_STORAGE": "sqlite",
            "CAREHUB_SQLITE_PATH": ""}


def test_import_files_and_list_dead_letters(tmp_path: Path) -> None:
    env = _env(tmp_path)
    files = [str(FIXTURES / "batch.hl7"), str(FIXTURES / "adt_a01.hl7")]
    result = runner.invoke(app, ["hl7", "import", *files], env=env)
    assert result.exit_code == 1, result.output
    assert result.stdout.strip().startswith("4 messages: 3 accepted, 0 duplicates, 1 rejected")
    assert "batch.hl7 message 3 (ADT^A28 BAT0003): AE 103 at PID-3.4" in result.stderr

    again = runner.invoke(app, ["hl7", "import", *files], env=env)
    assert again.stdout.strip().startswith("4 messages: 0 accepted, 3 duplicates, 1 rejected")

    listed = runner.invoke(app, ["hl7", "dead-letters", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    (entry,) = orjson.loads(listed.stdout)
    assert (entry["controlId"], entry["errorCode"], entry["attempts"]) == ("BAT0003", "103", 2)
    assert entry["source"].startswith("file://") and entry["source"].endswith("batch.hl7")

    shown = runner.invoke(app, ["hl7", "dead-letters", "--show", str(entry["id"])], env=env)
    assert shown.stdout.startswith("MSH|^~\\&|HIS|BVBM|CAREHUB|BVBM|20240301080200+0700")
    assert "Võ^Khoa^Đăng" in shown.stdout

    table = runner.invoke(app, ["hl7", "dead-letters"], env=env)
    assert "ADT^A28\tBAT0003\tAE 103 at PID-3.4" in table.stdout
    assert table.stdout.strip().endswith("1 dead letters")


def test_import_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("adt_a01.hl7", "oru_r01.hl7", "adt_a08.hl7"):
        (folder / name).write_bytes((FIXTURES / name).read_bytes())
    result = runner.invoke(app, ["hl7", "import", str(folder)], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("3 messages: 3 accepted")


def test_import_of_a_missing_file_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["hl7", "import", str(tmp_path / "nope.hl7")],
                           env=_env(tmp_path))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


@pytest.fixture
def running_listener(sqlite_env: Env) -> Iterator[int]:
    """A listener on a free port, served by a thread's event loop."""
    loop = asyncio.new_event_loop()
    listener = Listener(sqlite_env.ingestor, "127.0.0.1", 0, parse_workers=0)
    loop.run_until_complete(listener.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield listener.port
    finally:
        asyncio.run_coroutine_threadsafe(listener.close(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_send_files(running_listener: int, tmp_path: Path) -> None:
    files = [str(FIXTURES / "adt_a01.hl7"), str(FIXTURES / "malformed" / "unknown_sex.hl7")]
    result = runner.invoke(app, ["hl7", "send", *files, "--port", str(running_listener),
                                 "--timeout", "10"], env=_env(tmp_path))
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "AA ADT0001"
    assert lines[1].startswith("AE BAD0009 [103 at PID^1^8^1^1:")


def test_listen_help() -> None:
    result = runner.invoke(app, ["hl7", "listen", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--port", "--host", "--max-batch", "--parse-workers"):
        assert option in result.stdout
