"""Telemedicine fixtures: a fresh SQLite store with two patients and three clinicians,
a fake notifier, and clocks.

``Patient/p1`` prefers SMS and Vietnamese, ``Patient/p2`` e-mail and English;
``Practitioner/dr1``, ``dr2`` and ``dr3`` are clinicians (``dr3`` at a partner hospital).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from carehub.app.wiring import build_app
from carehub.errors import Busy
from carehub.fhir_model.definitions import definitions
from carehub.search.parse import SearchParser
from carehub.settings import load_settings
from carehub.storage.sqlite import SqliteStore
from carehub.telemed.notify import Message
from carehub.telemed.records import Records

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

WORLD: list[dict[str, Any]] = [
    {"resourceType": "Patient", "id": "p1", "name": [{"family": "Nguyễn", "given": ["Thị Lan"]}],
     "birthDate": "1956-04-01", "gender": "female",
     "telecom": [{"system": "phone", "value": "0901234567", "rank": 1}],
     "communication": [{"language": {"coding": [{"code": "vi"}]}, "preferred": True}]},
    {"resourceType": "Patient", "id": "p2", "name": [{"family": "Smith", "given": ["Ann"]}],
     "telecom": [{"system": "email", "value": "ann@example.org"}],
     "communication": [{"language": {"coding": [{"code": "en"}]}, "preferred": True}]},
    {"resourceType": "Practitioner", "id": "dr1", "name": [{"family": "Trần", "given": ["An"]}]},
    {"resourceType": "Practitioner", "id": "dr2", "name": [{"family": "Lê", "given": ["Bình"]}]},
    {"resourceType": "Practitioner", "id": "dr3", "name": [{"family": "Hoàng", "given": ["Chi"]}]},
]


@dataclass
class FakeNotifier:
    """Keeps what it is asked to send; fails for addresses in ``failing``."""

    sent: list[Message] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    def send(self, message: Message) -> str:
        if message.to in self.failing:
            raise Busy("gateway down")
        self.sent.append(message)
        return f"m{len(self.sent)}"


def world_store(path: Path) -> SqliteStore:
    """A SQLite store under ``path`` holding :data:`WORLD`."""
    store = SqliteStore(path / "fhir.sqlite3")
    with store.session(write=True) as s:
        for resource in WORLD:
            s.put(dict(resource))
    return store


def make_records(path: Path) -> tuple[Records, SqliteStore]:
    store = world_store(path)
    return Records(store, SearchParser(definitions())), store


@contextmanager
def world_app(path: Path, **env: str) -> Iterator[FastAPI]:
    """The whole CareHub app over :func:`world_store` (authorization and validation off).

    ``env`` adds settings; the store is closed on exit.
    """
    store = world_store(path)
    try:
        yield build_app(load_settings({"CAREHUB_DATA_DIR": str(path / "data"),
                                       "CAREHUB_AUTH": "off", "CAREHUB_VALIDATE": "false",
                                       **env}), store)
    finally:
        store.close()


@pytest.fixture
def records(tmp_path: Path) -> Iterator[Records]:
    rec, store = make_records(tmp_path)
    yield rec
    store.close()


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


def later(hours: float) -> datetime:
    """``NOW`` plus ``hours``."""
    return NOW + timedelta(hours=hours)
