"""Fuzzing: the OpenAPI description with schemathesis, and malformed FHIR JSON with hypothesis.

Bounded (a few hundred examples, well under a minute): no request may get a
500, and a rejected write must leave nothing in the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.conftest import FHIR, make_app, token

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    app, store = make_app(tmp_path_factory.mktemp("fuzz"), CAREHUB_RATE_LIMIT="0")
    yield app, token(app, "user/*.cruds system/*.rs carehub.ops carehub.cds carehub.audit")
    store.close()


def stored_count(client: TestClient, headers: dict[str, str]) -> int:
    total = 0
    for rtype in ("Patient", "Observation", "Encounter", "Basic", "Bundle"):
        r = client.get(f"/fhir/{rtype}?_total=accurate&_count=0", headers=headers)
        total += int(r.json().get("total", 0))
    return total


def test_openapi_fuzz_has_no_server_errors(world: tuple[FastAPI, dict[str, str]]) -> None:
    app, headers = world
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    seen: list[int] = []
    failures: list[str] = []
    with TestClient(app, raise_server_exceptions=False):
        for result in schema.get_all_operations():
            operation = result.ok()
            strategy = operation.as_strategy()

            @settings(max_examples=5, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def run(case: Any) -> None:
                response = case.call(headers=headers)
                seen.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

            run()
    assert len(seen) >= 100
    assert not failures, failures[:10]


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=3),
    max_leaves=8,
)
FIELDS = st.sampled_from(["resourceType", "id", "name", "subject", "entry", "type", "meta",
                          "birthDate", "status", "code", "request"])
RESOURCEISH = st.dictionaries(FIELDS, JSONISH | st.sampled_from(
    ["Patient", "Bundle", "Observation", "transaction", "batch"]), max_size=5)


def test_malformed_fhir_json_is_rejected_cleanly(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, CAREHUB_RATE_LIMIT="0", CAREHUB_VALIDATE="true")
    headers = token(app, "user/*.cruds")
    with TestClient(app, raise_server_exceptions=False) as client:
        before = stored_count(client, headers)
        assert before == 6  # the counting works
        accepted = [0]

        @settings(max_examples=150, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(body=RESOURCEISH | JSONISH, target=st.sampled_from(
            ["/fhir/Patient", "/fhir/Observation", "/fhir", "/fhir/Patient/p1"]),
            raw=st.booleans())
        def run(body: Any, target: str, raw: bool) -> None:
            content = json.dumps(body).encode()
            if raw:
                content = content[: max(1, len(content) // 2)]  # truncated JSON
            method = "PUT" if target.endswith("/p1") else "POST"
            r = client.request(method, target, headers={**headers, **FHIR}, content=content)
            assert r.status_code < 500, (target, content[:200], r.text[:300])
            if r.status_code < 300:
                accepted[0] += 1
            else:
                assert r.json()["resourceType"] == "OperationOutcome"

        run()
        after = stored_count(client, headers)
        assert after - before <= accepted[0]
    store.close()
