"""Concurrent writes through the REST API: If-Match races, versioning, conditional races.

https://hl7.org/fhir/R4/http.html#concurrency

Every thread has its own TestClient on one app, so the requests run at the same
time in the server's worker threads, each on its own database connection (a
per-thread SQLite connection, or one from the PostgreSQL pool). A barrier makes
the threads of a round send their writes together.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient

from carehub.app.wiring import build_app
from carehub.settings import load_settings
from carehub.storage.base import ResourceStore
from tests.fhir_api.conftest import FHIR, assert_outcome

T = TypeVar("T")
THREADS = 8
ROUNDS = 6


@pytest.fixture
def clients(store: ResourceStore, tmp_path: Path) -> Iterator[list[TestClient]]:
    """One client per thread, all on the same app and store."""
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path), "CAREHUB_AUTH": "off"})
    app = build_app(settings, store)
    with ExitStack() as stack:
        yield [
            stack.enter_context(TestClient(app, raise_server_exceptions=False))
            for _ in range(THREADS)
        ]


def together(fn: Callable[[int, threading.Barrier], T]) -> list[T]:
    """Run ``fn(i, barrier)`` in THREADS threads at once; results in thread order."""
    barrier = threading.Barrier(THREADS, timeout=60)
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda i: fn(i, barrier), range(THREADS)))


def patient(family: str, given: str = "seed", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "name": [{"family": family, "given": [given]}], **extra}


def history_versions(client: TestClient, url: str) -> list[int]:
    r = client.get(f"{url}/_history?_count=1000")
    assert r.status_code == 200, r.text
    return [int(e["response"]["etag"][3:-1]) for e in r.json()["entry"]]


def test_if_match_race_has_exactly_one_winner_per_round(clients: list[TestClient]) -> None:
    url = "/fhir/Patient/race"
    seed = clients[0].put(url, json={**patient("race"), "id": "race"}, headers=FHIR)
    assert seed.status_code == 201, seed.text
    spans: list[tuple[float, float]] = []

    for rnd in range(1, ROUNDS + 1):

        def attempt(i: int, barrier: threading.Barrier, rnd: int = rnd) -> tuple[str, Any]:
            c = clients[i]
            current = c.get(url)
            assert current.status_code == 200, current.text
            body = {**current.json(), "name": [{"family": "race", "given": [f"r{rnd}t{i}"]}]}
            barrier.wait()  # every thread has read the same version before anyone writes
            t0 = time.perf_counter()
            r = c.put(url, json=body, headers={**FHIR, "If-Match": current.headers["etag"]})
            spans.append((t0, time.perf_counter()))
            return current.headers["etag"], r

        results = together(attempt)
        assert {etag for etag, _ in results} == {f'W/"{rnd}"'}
        statuses = [r.status_code for _, r in results]
        assert sorted(statuses) == [200] + [412] * (THREADS - 1), statuses
        winner = statuses.index(200)
        assert results[winner][1].json()["meta"]["versionId"] == str(rnd + 1)
        for _, r in results:
            if r.status_code == 412:
                assert_outcome(r, 412, "conflict")
        stored = clients[0].get(f"{url}/_history/{rnd + 1}").json()
        assert stored["name"][0]["given"] == [f"r{rnd}t{winner}"]

    final = clients[0].get(url)
    assert final.headers["etag"] == f'W/"{ROUNDS + 1}"'
    assert history_versions(clients[0], url) == list(range(ROUNDS + 1, 0, -1))
    # the writes really overlapped: some PUT started before another one had finished
    spans.sort()
    assert any(b0 < a1 for (_, a1), (b0, _) in itertools.pairwise(spans))


def test_concurrent_updates_get_distinct_consecutive_versions(
    clients: list[TestClient],
) -> None:
    url = "/fhir/Patient/busy"
    assert clients[0].put(url, json={**patient("busy"), "id": "busy"}, headers=FHIR).is_success
    per_thread = 4

    def writer(i: int, barrier: threading.Barrier) -> list[int]:
        barrier.wait()
        versions = []
        for j in range(per_thread):
            body = {**patient("busy", f"t{i}w{j}"), "id": "busy"}
            r = clients[i].put(url, json=body, headers=FHIR)
            assert r.status_code == 200, r.text
            versions.append(int(r.json()["meta"]["versionId"]))
        return versions

    versions = [v for vs in together(writer) for v in vs]
    total = 1 + THREADS * per_thread
    assert sorted(versions) == list(range(2, total + 1))
    assert history_versions(clients[0], url) == list(range(total, 0, -1))
    givens = Counter(
        clients[0].get(f"{url}/_history/{v}").json()["name"][0]["given"][0]
        for v in range(2, total + 1)
    )
    assert givens == Counter(f"t{i}w{j}" for i in range(THREADS) for j in range(per_thread))


def test_conditional_create_race_creates_once(clients: list[TestClient]) -> None:
    ident = {"system": "urn:carehub:test", "value": "race-1"}
    cond = {"If-None-Exist": "identifier=urn:carehub:test|race-1"}

    def create(i: int, barrier: threading.Barrier) -> Any:
        barrier.wait()
        return clients[i].post(
            "/fhir/Patient", json=patient("cond", f"t{i}", identifier=[ident]),
            headers={**FHIR, **cond},
        )

    results = together(create)
    assert sorted(r.status_code for r in results) == [200] * (THREADS - 1) + [201]
    assert len({r.json()["id"] for r in results}) == 1
    r = clients[0].get("/fhir/Patient?identifier=urn:carehub:test|race-1&_summary=count")
    assert r.json()["total"] == 1


def test_create_on_update_race_writes_one_first_version(clients: list[TestClient]) -> None:
    url = "/fhir/Patient/fresh"

    def put(i: int, barrier: threading.Barrier) -> Any:
        barrier.wait()
        return clients[i].put(url, json={**patient("fresh", f"t{i}"), "id": "fresh"}, headers=FHIR)

    results = together(put)
    statuses = Counter(r.status_code for r in results)
    # one create; later writers update it, or (PostgreSQL, first insert race) get a 409
    assert statuses[201] == 1 and set(statuses) <= {200, 201, 409}, statuses
    for r in results:
        if r.status_code == 409:
            assert_outcome(r, 409, "conflict")
    written = statuses[200] + statuses[201]
    assert clients[0].get(url).headers["etag"] == f'W/"{written}"'
    assert history_versions(clients[0], url) == list(range(written, 0, -1))
