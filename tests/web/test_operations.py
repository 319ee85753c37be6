"""The operations dashboard: background forecasts, reorder list, roster view, access."""

from __future__ import annotations

import datetime
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from fastapi.testclient import TestClient

from carehub.web.screens.operations import BANDS
from carehub.web.screens.operations_forecast import (
    DashboardForecast,
    ForecastJobs,
    ForecastPlan,
)
from tests.web.conftest import ACCOUNTS, RunningServer, axe_check, shot
from tests.web.manager_fixtures import HTML, signed_in, stock_ledger

AS_OF = datetime.date(2026, 6, 30)


def _fake(gate: threading.Event, calls: list[str]) -> Any:
    def run(path: Path, plan: ForecastPlan, tell: Any) -> DashboardForecast:
        calls.append(path.name)
        tell("backtest h=7 (1 windows, 1 models)")
        gate.wait(5)
        if path.read_text() == "broken":
            raise ValueError("the warehouse has no encounters")
        return DashboardForecast(["visits"], [], object(), None, 0.1)
    return run


def _settle(jobs: ForecastJobs) -> str:
    for _ in range(100):
        state = jobs.state().state
        if state != "running":
            return state
        time.sleep(0.02)
    return "running"


def test_forecasts_run_in_the_background_once_per_warehouse_build(tmp_path: Path) -> None:
    wh = tmp_path / "warehouse.duckdb"
    wh.write_text("build 1")
    gate, calls = threading.Event(), list[str]()
    jobs = ForecastJobs(wh, run=_fake(gate, calls))
    assert jobs.state(start=False).state == "idle"
    first = jobs.state()
    assert first.state == "running"
    for _ in range(50):
        if first.step.startswith("backtest"):
            break
        time.sleep(0.02)
    assert first.step.startswith("backtest")
    gate.set()
    assert _settle(jobs) == "ready"
    jobs.state()
    assert calls == ["warehouse.duckdb"]  # cached for the same build
    wh.write_text("broken")  # a rebuild changes size and time
    assert jobs.state().state in ("running", "failed")
    assert _settle(jobs) == "failed"
    assert "no encounters" in jobs.state().error
    assert len(calls) == 2
    assert ForecastJobs(tmp_path / "missing.duckdb").state().state == "failed"


def test_the_dashboard_answers_at_once_then_shows_forecasts(client: TestClient) -> None:
    stocked = stock_ledger(client, AS_OF)
    started = time.perf_counter()
    first = client.get("/app/ops?lang=en")
    assert first.status_code == 200 and time.perf_counter() - started < 5
    assert 'id="forecast-status"' in first.text
    deadline = time.monotonic() + 120
    status = client.get("/app/ops/forecast-status?lang=en").json()
    while status["state"] == "running" and time.monotonic() < deadline:
        assert status["message"].startswith("Computing the forecasts")
        time.sleep(0.5)
        status = client.get("/app/ops/forecast-status?lang=en").json()
    assert status["state"] == "ready", status
    page = client.get("/app/ops?lang=en")
    html = page.text
    assert html.count('class="chart"') >= 4
    assert "Hospital daily visits" in html and "80 % interval" in html
    assert "Capacity" in html  # census against the ward's beds
    assert "Nurses needed" in html
    if stocked:
        assert 'id="reorder-table"' in html
        assert any(f'band-{band}"' in html for band in BANDS)


def test_the_reorder_list_matches_the_operations_api(client: TestClient) -> None:
    stock_ledger(client, AS_OF)
    api = client.get("/ops/supply/reorder", params={"as_of": AS_OF.isoformat(),
                                                      "forecast": "false"}).json()
    page = client.get("/app/ops?lang=en").text
    assert api["lines"]
    for line in api["lines"]:
        assert line["item"] in page
    understock = sum(1 for ln in api["lines"] if ln["status"] == "understock")
    assert f'band-understock">Understock</span> {understock}<' in page


def test_only_managers_and_admins_see_the_dashboard(auth_server: RunningServer,
                                                     client: TestClient) -> None:
    stock_ledger(client, AS_OF)
    manager = signed_in(auth_server.url, "quan.ly", ACCOUNTS["quan.ly"][1])
    try:
        r = manager.get("/app/ops?lang=en")
        assert r.status_code == 200 and 'id="reorder-table"' in r.text  # the API saw the token
        status = manager.get("/app/ops/forecast-status", headers={"Accept": "application/json"})
        assert status.status_code == 200 and orjson.loads(status.content)["state"]
        assert manager.get("/app/").headers["location"] == "/app/ops"
    finally:
        manager.close()
    clinician = signed_in(auth_server.url, "bac.si", ACCOUNTS["bac.si"][1])
    try:
        assert clinician.get("/app/ops").status_code == 403
    finally:
        clinician.close()
    anonymous = httpx.get(f"{auth_server.url}/app/ops/forecast-status")
    assert anonymous.status_code == 401
    assert httpx.get(f"{auth_server.url}/app/ops", headers=HTML).status_code == 303


def test_dashboard_in_the_browser(page_vi: Any, client: TestClient) -> None:
    stock_ledger(client, AS_OF)
    page = page_vi
    page.goto("/app/ops")
    page.wait_for_selector("div.chart[data-rendered='true']", timeout=120_000)
    assert page.locator("div.chart[data-rendered='true']").count() >= 4
    assert page.locator("#reorder-table tbody tr").count() > 0
    assert page.locator("h1").inner_text() == "Bảng điều hành"
    axe_check(page)
    shot(page, "operations")
    assert not page.errors
