"""Fixtures of the HL7 v2 ingest suite.

``env`` is an :class:`Env`: a fresh store (parametrised over ``sqlite``, a
file in the test's temporary folder, and ``postgres``), its hub, and an
:class:`~carehub.hl7v2.ingest.Ingestor` whose ledger and dead letters live in
the test's data folder. ``sqlite_env`` is the SQLite one only. Messages come
from ``tests/fixtures/hl7v2`` (hand-written; ``malformed/`` holds the bad ones).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from carehub.app.wiring import build_hub
from carehub.fhir_api.hub import Hub
from carehub.hl7v2.dead_letter import DeadLetters
from carehub.hl7v2.files import split_messages
from carehub.hl7v2.ingest import Ingestor, Result
from carehub.hl7v2.ledger import STATE_FILE, Ledger
from carehub.settings import load_settings
from carehub.storage.base import HistoryQuery, ResourceStore
from tests.fhir_api.conftest import BACKENDS, make_store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hl7v2"
Resource = dict[str, Any]


def messages(name: str) -> list[bytes]:
    """The messages of a fixture file."""
    return split_messages((FIXTURES / name).read_bytes())


def message(name: str) -> bytes:
    """The one message of a fixture file."""
    found = messages(name)
    assert len(found) == 1, name
    return found[0]


def with_control_id(raw: bytes, control_id: str) -> bytes:
    """``raw`` with another ``MSH-10`` (to send the same content as a new message)."""
    head, sep, rest = raw.partition(b"\r")
    fields = head.split(b"|")
    fields[9] = control_id.encode()
    return b"|".join(fields) + sep + rest


@dataclass
class Env:
    """A store, its hub, and an ingestor with its state files."""

    hub: Hub
    ingestor: Ingestor
    data_dir: Path

    @property
    def state(self) -> Path:
        """The ledger/dead-letter SQLite file."""
        return self.data_dir / "hl7v2" / STATE_FILE

    def ingest(self, item: str | bytes) -> Result:
        """Ingest one message (a fixture name or the bytes)."""
        return self.ingestor.ingest(message(item) if isinstance(item, str) else item)

    def accept(self, *names: str) -> list[Result]:
        """Ingest fixture messages, asserting each is accepted."""
        out = []
        for name in names:
            for raw in messages(name):
                result = self.ingestor.ingest(raw)
                assert result.code == "AA", (name, result.error)
                out.append(result)
        return out

    def all(self, rtype: str) -> list[Resource]:
        """Every current resource of ``rtype``."""
        with self.hub.store.session() as session:
            page = session.search(self.hub.parser.parse(rtype, [("_count", "1000")]))
        return [orjson.loads(m.body) for m in page.matches if m.body is not None]

    def one(self, rtype: str) -> Resource:
        """The only resource of ``rtype``."""
        found = self.all(rtype)
        assert len(found) == 1, [r["id"] for r in found]
        return found[0]

    def get(self, reference: str) -> Resource:
        """The resource ``Type/id``."""
        rtype, rid = reference.split("/", 1)
        with self.hub.store.session() as session:
            stored = session.read(rtype, rid)
        assert stored is not None and stored.body is not None, reference
        result: Resource = orjson.loads(stored.body)
        return result

    def counts(self) -> dict[str, int]:
        """Current resources per type."""
        with self.hub.store.session() as session:
            return session.count_by_type()

    def history_size(self) -> int:
        """Number of versions in the whole store."""
        with self.hub.store.session() as session:
            page = session.history(HistoryQuery(count=10_000))
        return len(page.versions)

    def by_identifier(self, rtype: str, system: str, value: str) -> list[Resource]:
        """Resources of ``rtype`` having the identifier."""
        return [
            r for r in self.all(rtype)
            if any(i.get("system") == system and i.get("value") == value
                   for i in r.get("identifier", ()))
        ]


def make_env(store: ResourceStore, data_dir: Path) -> Env:
    """An :class:`Env` over ``store``."""
    settings = load_settings({"CAREHUB_DATA_DIR": str(data_dir)})
    hub = build_hub(settings, store)
    state = data_dir / "hl7v2" / STATE_FILE
    return Env(hub, Ingestor(hub, Ledger(state), DeadLetters(state)), data_dir)


def close_env(env: Env) -> None:
    """Close the ingestor's files and the store."""
    env.ingestor.ledger.close()
    env.ingestor.dead_letters.close()
    env.hub.store.close()


@pytest.fixture(params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    """An ingest environment on each store back-end."""
    e = make_env(make_store(request.param, tmp_path, request), tmp_path / "data")
    try:
        yield e
    finally:
        close_env(e)


@pytest.fixture
def sqlite_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    """An ingest environment on a SQLite store."""
    e = make_env(make_store("sqlite", tmp_path, request), tmp_path / "data")
    try:
        yield e
    finally:
        close_env(e)
