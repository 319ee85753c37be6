"""SQLite-only settings of the store."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from carehub.app.wiring import open_store
from carehub.errors import Incorrect
from carehub.settings import load_settings
from carehub.storage.sqlite import SqliteStore


@pytest.mark.parametrize(("background", "pages"), [("false", 2500), ("true", 4 * 2500)])
def test_the_checkpoint_interval_comes_from_the_settings(
    tmp_path: Path, background: str, pages: int
) -> None:
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path),
                              "CAREHUB_SQLITE_WAL_PAGES": "2500",
                              "CAREHUB_SQLITE_BACKGROUND_CHECKPOINTS": background})
    store = open_store(settings)
    try:
        assert isinstance(store, SqliteStore)
        assert (store.checkpointer is not None) == (background == "true")
        with store.session() as s:
            row = s.db.fetchone("PRAGMA wal_autocheckpoint")
        assert row == (pages,), "with a checkpoint thread, writers checkpoint only as a backstop"
    finally:
        store.close()


def test_the_checkpoint_thread_copies_the_log_back_while_writers_go_on(tmp_path: Path) -> None:
    path = tmp_path / "fhir.sqlite3"
    store = SqliteStore(path, background_checkpoints=True)
    checkpointer = store.checkpointer
    assert checkpointer is not None
    try:
        for k in range(20):
            with store.session(write=True) as session:
                session.put({"resourceType": "Patient", "id": f"p{k}", "gender": "female"})
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert checkpointer.checkpoints >= 1, "the thread copied pages back into the file"
        with sqlite3.connect(path) as db:  # a new connection reads what was written
            assert db.execute("SELECT count(*) FROM resources").fetchone() == (20,)
        with store.session() as session:
            assert session.read("Patient", "p19") is not None
    finally:
        store.close()
    assert store.checkpointer is None and not checkpointer._thread.is_alive()


def test_a_bad_checkpoint_interval_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Incorrect, match="at least 1"):
        SqliteStore(tmp_path / "fhir.sqlite3", wal_pages=0)
    assert not (tmp_path / "fhir.sqlite3").exists()
