"""Benchmark of the web application: server time of the patient summary and worklist pages.

The pages are requested in-process through the ASGI app (``TestClient``),
with authorization on by default (a clinician's token, so the storage guard
and the audit trail are in the path, as in production). For each page kind,
``--requests`` requests after 10 warm-up ones, on patients / worklist pages
drawn at random (fixed seed); printed: p50, p95 and max of

* ``server``: the page's own ``Server-Timing`` (building the page), and
* ``asgi``: wall time around the whole ASGI call (middleware, rendering,
  transfer through the in-process transport).

Data: ``--data-dir`` (a ``carehub demo`` data folder: store, warehouse and
screening run); without it, ``./carehub-data`` when it holds a demo, else a
population of ``--patients`` (default 2,000) generated once under
``--workdir`` and said so. The patient summary reads each patient's own
resources with indexed searches, so its time follows the size of the
patient's record, not of the store.

Usage::

    .venv/bin/python bench/web.py [--data-dir carehub-data] [--patients 2000] [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient

from carehub.app.demo import MARKER, prepare_analytics, prepare_demo
from carehub.app.wiring import build_app, build_hub, open_store
from carehub.security.context import Grant
from carehub.security.scopes import ScopeSet
from carehub.settings import Settings, load_settings
from carehub.synth import SynthConfig
from carehub.web.session import STAFF_SCOPES


def data_folder(args: argparse.Namespace) -> Path:
    """The demo data folder to measure, generated when none is given or found."""
    if args.data_dir is not None:
        if not (Path(args.data_dir) / MARKER).is_file():
            sys.exit(f"bench/web.py: {args.data_dir} holds no demo data ({MARKER} missing)")
        given: Path = args.data_dir
        return given
    default = Path("carehub-data")
    if (default / MARKER).is_file():
        return default
    folder = Path(args.workdir) / f"p{args.patients}"
    print(f"bench/web.py: no demo data found; using a generated population of "
          f"{args.patients:,} patients in {folder}", file=sys.stderr)
    settings = load_settings({"CAREHUB_DATA_DIR": str(folder)})
    folder.mkdir(parents=True, exist_ok=True)
    hub = build_hub(settings)
    try:
        config = SynthConfig(patients=args.patients, years=3, seed=1)
        prepare_demo(hub, folder, config)
        prepare_analytics(hub.store, settings, config.end_date)
    finally:
        hub.store.close()
    return folder


def patient_ids(settings: Settings) -> list[str]:
    """Every Patient id of the store."""
    store = open_store(settings)
    ids: list[str] = []
    try:
        with store.session() as session:
            after = 0
            while True:
                chunk = session.scan("Patient", after=after, limit=10_000)
                if not chunk:
                    break
                ids += [str(orjson.loads(body)["id"]) for _, body in chunk]
                after = chunk[-1][0]
    finally:
        store.close()
    return ids


def stats(values: list[float]) -> dict[str, float]:
    """p50, p95 and max of ``values`` in milliseconds, rounded."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1),
            "max": round(ordered[-1], 1)}


def measure(client: TestClient, urls: list[str], headers: dict[str, str]) -> dict[str, Any]:
    """Server and ASGI times of ``urls`` (the first 10 are warm-up)."""
    server: list[float] = []
    asgi: list[float] = []
    for i, url in enumerate(urls):
        start = time.perf_counter()
        r = client.get(url, headers=headers)
        spent = (time.perf_counter() - start) * 1000
        if r.status_code != 200:
            sys.exit(f"bench/web.py: {url} answered {r.status_code}")
        if i < 10:
            continue
        asgi.append(spent)
        timing = r.headers.get("server-timing", "")
        if "dur=" in timing:
            server.append(float(timing.split("dur=")[1].split(",")[0]))
    out: dict[str, Any] = {"requests": len(asgi), "asgi_ms": stats(asgi)}
    if server:
        out["server_ms"] = stats(server)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--workdir", type=Path, default=Path("bench/out/web"))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--auth", choices=("on", "off"), default="on")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    folder = data_folder(args)
    settings = load_settings({"CAREHUB_DATA_DIR": str(folder), "CAREHUB_AUTH": args.auth,
                              "CAREHUB_RATE_LIMIT": "0"})
    app = build_app(settings)
    rng = random.Random(7)
    with TestClient(app) as client:
        headers = {"Accept": "text/html"}
        if args.auth == "on":
            grant = Grant("bench.clinician", "carehub-web", ScopeSet.parse(STAFF_SCOPES),
                          role="clinician")
            token = app.state.auth.tokens.issue(grant, refresh=False).access_token
            headers["Authorization"] = f"Bearer {token}"
        ids = patient_ids(settings)
        patients = len(ids)
        n = args.requests + 10
        summary = measure(client, [f"/app/patients/{rng.choice(ids)}" for _ in range(n)],
                          headers)
        programmes = ["cancer", "cardiovascular", "lung_cancer", "kidney"]
        sorts = ["due", "age", "department", "status"]
        worklist = measure(client, [
            f"/app/worklists/{rng.choice(programmes)}?sort={rng.choice(sorts)}"
            f"&page={rng.randint(1, 5)}" for _ in range(n)], headers)
        names = ["nguyen", "tran van", "le thi", "pham"]
        search = measure(client, [f"/app/patients?q={rng.choice(names)}" for _ in range(n)],
                         headers)
    result = {"data_dir": str(folder), "patients": patients, "auth": args.auth,
              "patient_summary": summary, "worklist": worklist, "patient_search": search}
    for name in ("patient_summary", "worklist", "patient_search"):
        row = result[name]
        assert isinstance(row, dict)
        server = row.get("server_ms")
        asgi = row["asgi_ms"]
        line = f"{name:16} asgi p50 {asgi['p50']:7.1f} ms  p95 {asgi['p95']:7.1f}"
        if server:
            line += f"   server p50 {server['p50']:7.1f} ms  p95 {server['p95']:7.1f}"
        print(line)
    print(f"({patients:,} patients in {folder}, authorization {args.auth})")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
