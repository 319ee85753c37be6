"""Overhead of authorization and of the audit trail on the read path.

Usage: ``.venv/bin/python bench/audit.py [--reads 3000]``

Serves the same store three ways, in-process (TestClient): authorization off;
authorization on with the audit writer's ``submit`` replaced by a no-op; and
authorization on with the audit trail (queue + background writer + hash
chain). Reads ``GET /fhir/Patient/{id}`` over 200 patients, in interleaved
rounds, and prints the p50/p95 of each and the audit overhead on read p50
(target: under 10 %).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fastapi.testclient import TestClient  # noqa: E402

from carehub.app.wiring import build_app  # noqa: E402
from carehub.audit.writer import AuditWriter  # noqa: E402
from carehub.security.context import Grant  # noqa: E402
from carehub.security.scopes import ScopeSet  # noqa: E402
from carehub.settings import load_settings  # noqa: E402
from carehub.storage.sqlite import SqliteStore  # noqa: E402

PATIENTS = 200


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=3000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="carehub-bench-audit-"))
    store = SqliteStore(tmp / "fhir.sqlite3")
    with store.session(write=True) as s:
        for i in range(PATIENTS):
            s.put({"resourceType": "Patient", "id": f"p{i}", "name": [{"family": f"N{i}"}]})
    apps: dict[str, Any] = {}
    headers: dict[str, dict[str, str]] = {}
    for name, auth in (("auth off", "off"), ("auth, no audit", "on"), ("auth + audit", "on")):
        data = tmp / name.replace(" ", "-").replace(",", "").replace("+", "and")
        app = build_app(load_settings({"CAREHUB_DATA_DIR": str(data), "CAREHUB_AUTH": auth,
                                       "CAREHUB_RATE_LIMIT": "0"}), store)
        if auth == "on":
            grant = Grant("bench", "bench", ScopeSet.parse("user/*.rs"))
            issued = app.state.auth.tokens.issue(grant, refresh=False)
            headers[name] = {"Authorization": f"Bearer {issued.access_token}"}
        else:
            headers[name] = {}
        apps[name] = app
    original = AuditWriter.submit
    times: dict[str, list[float]] = {name: [] for name in apps}
    clients = {name: TestClient(app) for name, app in apps.items()}
    for c in clients.values():
        c.__enter__()
    try:
        rounds = 10
        per_round = args.reads // rounds
        for _ in range(rounds):
            for name, client in clients.items():
                AuditWriter.submit = (  # type: ignore[method-assign]
                    (lambda self, item: None) if name == "auth, no audit" else original
                )
                for i in range(per_round):
                    url = f"/fhir/Patient/p{i % PATIENTS}"
                    t0 = time.perf_counter()
                    r = client.get(url, headers=headers[name])
                    times[name].append(time.perf_counter() - t0)
                    assert r.status_code == 200, r.text
        AuditWriter.submit = original  # type: ignore[method-assign]
        apps["auth + audit"].state.audit.flush()
        written = apps["auth + audit"].state.audit.trail.verify().entries
    finally:
        for c in clients.values():
            c.__exit__(None, None, None)
        store.close()
    p50 = {n: statistics.median(v) * 1000 for n, v in times.items()}
    for name, values in times.items():
        print(f"{name:<16} p50 {p50[name]:.3f} ms  p95 {percentile(values, 0.95) * 1000:.3f} ms"
              f"  ({len(values)} reads)")
    audit = (p50["auth + audit"] - p50["auth, no audit"]) / p50["auth, no audit"] * 100
    total = (p50["auth + audit"] - p50["auth off"]) / p50["auth off"] * 100
    print(f"audit overhead on read p50: {audit:+.1f} % (target < 10 %); "
          f"{written} AuditEvents written and chain-verified")
    print(f"authorization + audit overhead vs auth off: {total:+.1f} %")


if __name__ == "__main__":
    main()
