"""``carehub ops forecast`` and ``forecast_router``: files, charts, JSON, one-line errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from carehub.cli.main import app
from carehub.fhir_api.errors import install_error_handlers
from carehub.ops_api.forecast import forecast_router

runner = CliRunner()


@pytest.fixture(scope="module")
def small(demand: pd.DataFrame) -> pd.DataFrame:
    keep = demand["unique_id"].isin(["visits/dept-01", "visits/dept-02", "visits/emergency"])
    return demand[keep & (demand["ds"] >= demand["ds"].max() - pd.Timedelta(days=119))]


def test_cli_writes_forecasts_report_and_charts(small: pd.DataFrame, tmp_path: Path) -> None:
    csv = tmp_path / "demand.csv"
    small.to_csv(csv, index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, [
        "ops", "forecast", "--csv", str(csv), "--out", str(out), "--horizon", "7",
        "--model", "AutoETS", "--windows", "1", "--backtest-horizon", "7", "--chart-format", "png",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "| visits/dept-01 | 7 |" in result.stdout
    for name in ("forecasts.csv", "forecasts.json", "accuracy.csv", "accuracy.md"):
        assert (out / name).is_file()
    payload = json.loads((out / "forecasts.json").read_text())
    assert set(payload["chosen"]) == {"visits/dept-01", "visits/dept-02", "visits/emergency"}
    assert {"lo-80", "hi-95", "role"} <= set(payload["forecasts"][0])
    assert (out / "charts" / "visits__dept-01.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_unknown_series_is_one_line(small: pd.DataFrame, tmp_path: Path) -> None:
    csv = tmp_path / "demand.csv"
    small.to_csv(csv, index=False)
    result = runner.invoke(app, ["ops", "forecast", "--csv", str(csv), "--series", "visits/dept-1"])
    assert result.exit_code == 2
    assert "unknown series 'visits/dept-1'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def _call(api: FastAPI, url: str, **kw: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(url, **kw)

    return asyncio.run(go())


def test_api_series_forecast_chart_and_errors(small: pd.DataFrame) -> None:
    api = FastAPI()
    install_error_handlers(api)
    api.include_router(forecast_router(lambda: small))
    assert _call(api, "/ops/forecast/series").json()["series"][0] == "visits/dept-01"
    params = {"series": "visits/emergency", "horizon": 7, "windows": 1, "model": "AutoETS"}
    got = _call(api, "/ops/forecast", params=params)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["frequency"] == "D" and len(body["forecasts"]) == 14
    assert {r["model"] for r in body["accuracy"]} >= {"SeasonalNaive"}
    chart = _call(api, "/ops/forecast/chart", params={"series": "visits/emergency", "windows": 1})
    assert chart.headers["content-type"] == "image/svg+xml" and b"<svg" in chart.content
    capped = _call(api, "/ops/forecast/chart",
                   params={"series": "visits/emergency", "windows": 1, "capacity": 1})
    assert capped.status_code == 200 and b"capacity 1" in capped.content
    assert b"capacity 1" not in chart.content
    bad = _call(api, "/ops/forecast/chart",
                params={"series": "visits/emergency", "windows": 1, "capacity": 0})
    assert bad.status_code in (400, 422)
    missing = _call(api, "/ops/forecast", params={"series": "visits/emergncy"})
    assert missing.status_code == 404 and "Did you mean" in missing.text
