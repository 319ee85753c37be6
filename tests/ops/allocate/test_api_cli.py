"""``allocate_router`` (JSON API) and ``carehub ops roster`` (CLI)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from typer.testing import CliRunner

from carehub.cli.main import ERROR_EXIT_CODE, app
from carehub.fhir_api.errors import install_error_handlers
from carehub.ops.allocate.coverage import SkillMix, coverage_from_census
from carehub.ops_api.allocate import allocate_router


def call(api: FastAPI, url: str, body: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(url, json=body)

    return asyncio.run(go())


def _api() -> FastAPI:
    api = FastAPI()
    install_error_handlers(api)
    api.include_router(allocate_router(time_limit=3, max_time_limit=5))
    return api


def test_roster_route_and_infeasible_422(fixtures: Path) -> None:
    body = json.loads((fixtures / "roster_problem.json").read_text())
    r = call(_api(), "/ops/allocate/roster", body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["problem"] == "ward-nhi-week" and out["assignments"]
    assert out["objective"] == sum(out["breakdown"].values())
    body["leave"] += [{"nurse": n, "day": 0} for n in ("pr-nhi-013", "pr-nhi-014", "pr-nhi-015",
                                                        "pr-nhi-016", "pr-nhi-017", "pr-nhi-018")]
    r = call(_api(), "/ops/allocate/roster", body)
    assert r.status_code == 422, r.text
    assert "infeasible" in r.text and "approved leave" in r.text and "minimum coverage" in r.text


def test_beds_route(fixtures: Path) -> None:
    body = {"layout": json.loads((fixtures / "beds_layout.json").read_text()),
            "admissions": [{"id": "a", "specialty": "ho-hap", "sex": "male", "admit_day": 0,
                            "los": 2}]}
    r = call(_api(), "/ops/allocate/beds", body)
    assert r.status_code == 200, r.text
    assert r.json()["assignments"][0]["ward"] == "ho-hap"
    r = call(_api(), "/ops/allocate/beds", {"layout": {}, "admissions": []})
    assert r.status_code == 400


def test_cli_roster_inrc2_and_json(tmp_path: Path, fixtures: Path) -> None:
    runner = CliRunner()
    args = ["ops", "roster", "--inrc2", str(fixtures / "t003w1"), "--weeks", "0",
            "--time-limit", "3", "--out", str(tmp_path / "a")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "validator: valid (H1-H4)" in result.output
    saved = json.loads((tmp_path / "a" / "roster.json").read_text())
    assert saved["validator"]["objective"] == saved["objective"]
    assert (tmp_path / "a" / "roster.csv").read_text().startswith("nurse,day,weekday,shift,skill")
    args = ["ops", "roster", "--problem", str(fixtures / "roster_problem.json"),
            "--time-limit", "3", "--out", str(tmp_path / "b")]
    assert runner.invoke(app, args).exit_code == 0
    both = runner.invoke(app, ["ops", "roster", "--time-limit", "3"])
    assert both.exit_code == ERROR_EXIT_CODE


def test_forecast_census_to_demand_feeds_solver() -> None:
    demand = coverage_from_census([14.0, 9.0], {"Early": 5, "Night": 9},
                                  [SkillMix("Nurse", 1.0, 1)], minimum_share=0.6)
    assert [(d.day, d.shift, d.minimum, d.optimal) for d in demand] == [
        (0, "Early", 2, 3), (0, "Night", 2, 2), (1, "Early", 2, 2), (1, "Night", 1, 1)]
