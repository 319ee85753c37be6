"""SQLite-only settings of the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from carehub.app.wiring import open_store
from carehub.errors import Incorrect
from carehub.settings import load_settings
from carehub.storage.sqlite import SqliteStore


def test_the_checkpoint_interval_comes_from_the_settings(tmp_path: Path) -> None:
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path),
                              "CAREHUB_SQLITE_WAL_PAGES": "2500"})
    store = open_store(settings)
    try:
        assert isinstance(store, SqliteStore)
        with store.session() as s:
            row = s.db.fetchone("PRAGMA wal_autocheckpoint")
        assert row == (2500,)
    finally:
        store.close()


def test_a_bad_checkpoint_interval_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Incorrect, match="at least 1"):
        SqliteStore(tmp_path / "fhir.sqlite3", wal_pages=0)
    assert not (tmp_path / "fhir.sqlite3").exists()
