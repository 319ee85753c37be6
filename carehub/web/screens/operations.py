"""The managers' operations dashboard: demand and census forecasts, staffing and drug reorders.

https://otexts.com/fpp3/ (forecasts with prediction intervals) and
https://www.who.int/publications/i/item/9789241549479 (stock levels, WHO/MSH)

* ``GET /app/ops``: the dashboard. The drug reorder list is ready at once;
  the forecasts come from :class:`~carehub.web.screens.operations_forecast.ForecastJobs`
  (computed in the background once per warehouse build): while they run the
  page shows their progress (``operations.js`` polls and reloads; without
  JavaScript a link reloads), then
  - the demand forecast of the hospital's and the busiest departments'
    daily visits, with 80/95 % intervals against the actuals;
  - the midnight census forecast of the fullest wards against their bed
    capacity (the ward Location ``ward-<department>``'s beds, read through the
    guarded store);
  - the roster view: nurses needed per shift and day for each of those wards
    (:func:`carehub.ops.allocate.coverage.coverage_from_census` with the
    configured ratios), the demand a roster must cover.
* ``GET /app/ops/forecast-status``: the job's state as JSON (``state``,
  translated ``message``) for the progress display.

What is forecast, the nurse ratios per shift and the roster's length come
from :class:`~carehub.web.dashboard_config.DashboardConfig` (settings
``CAREHUB_OPS_NURSE_*``, ``CAREHUB_OPS_ROSTER_DAYS``, ``CAREHUB_OPS_FORECAST_*``).

The reorder list is the operations API's (``GET /ops/supply/reorder``, AMC
flat forecast), called in-process with the user's own token, so the ledger,
its configuration and the ``carehub.ops`` scope check are exactly the API's.

Failure modes: a missing warehouse shows the reason in the forecast section;
an empty ledger an explanation; an API error its message; the page itself
answers 200. Routes need ``carehub.ops`` (or admin).
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from carehub.errors import Forbidden
from carehub.ops.allocate.coverage import SkillMix, coverage_from_census
from carehub.web.app import Web
from carehub.web.dashboard_config import DEFAULT_RATIOS, DashboardConfig
from carehub.web.i18n import Translator
from carehub.web.screens.operations_forecast import (
    DashboardForecast,
    ForecastJobs,
    forecast_figure,
    forecast_rows,
    step_key,
)
from carehub.web.session import SESSION_COOKIE

BANDS = ("understock", "adequate", "overstock")
BAND_KEYS = {band: f"ops.band.{band}" for band in BANDS}
"""Translation key of each stock status band."""


def shift_key(shift: str) -> str:
    """The translation key of a shift's name (shifts without one show their name).

    >>> shift_key("night")
    'ops.shift.night'
    """
    return f"ops.shift.{shift}"


def bed_capacity(web: Web, wards: list[str]) -> dict[str, int]:
    """Beds per ward (department code): the Locations ``partOf`` its ward Location."""
    out: dict[str, int] = {}
    with web.hub.store.session() as session:
        for ward in wards:
            try:
                ids = session.search_ids(web.hub.parser.parse(
                    "Location", [("partof", f"Location/ward-{ward}")]), 5000)
            except Forbidden:
                return {}
            if ids:
                out[ward] = len(ids)
    return out


def roster_rows(census: list[float], dates: list[str],
                ratios: dict[str, float] | None = None,
                skills: tuple[SkillMix, ...] = (SkillMix("nurse", 1.0, 1),)
                ) -> list[dict[str, Any]]:
    """Nurses needed per shift and day for a forecast ``census`` (one row per shift).

    ``ratios``: patients per nurse by shift (default :data:`DEFAULT_RATIOS`).

    >>> rows = roster_rows([8.0, 15.0], ["2026-07-01", "2026-07-02"])
    >>> [(r["shift"], [c["optimal"] for c in r["cells"]]) for r in rows]
    [('early', [2, 4]), ('late', [2, 3]), ('night', [2, 3])]
    >>> [c["optimal"] for c in roster_rows([15.0], ["2026-07-01"], {"day": 3.0})[0]["cells"]]
    [5]
    """
    shifts = ratios or DEFAULT_RATIOS
    demands = coverage_from_census([max(0.0, c) for c in census], shifts, list(skills))
    by = {(d.day, d.shift): d for d in demands}
    rows = []
    for shift in shifts:
        cells = []
        for day, date in enumerate(dates):
            d = by.get((day, shift))
            cells.append({"date": date, "optimal": d.optimal if d else 0,
                          "minimum": d.minimum if d else 0})
        rows.append({"shift": shift, "shift_key": shift_key(shift), "cells": cells})
    return rows


def forecast_view(web: Web, run: DashboardForecast, t: Translator,
                  config: DashboardConfig | None = None) -> dict[str, Any]:
    """Template values of the finished forecasts (charts, tables, roster)."""
    config = config or DashboardConfig()
    history = config.plan.history_days
    names = dict(web.worklists.departments())
    wards = [s.split("/", 1)[1] for s in run.census]
    beds = bed_capacity(web, wards)

    def label(series: str) -> str:
        if "/" not in series:
            return t(f"ops.series.{series}")
        kind, code = series.split("/", 1)
        return t(f"ops.series.{kind}_of", name=names.get(code, code))

    demand = [{"id": f"fc-{i}", "series": s, "title": label(s),
               "figure": forecast_figure(run, s, label(s), t, history_days=history),
               "rows": forecast_rows(run, s)}
              for i, s in enumerate(run.demand)]
    census = []
    roster = []
    for i, s in enumerate(run.census):
        ward = s.split("/", 1)[1]
        rows = forecast_rows(run, s)
        cap = beds.get(ward)
        over = [r["date"] for r in rows if cap is not None and r["hi95"] > cap]
        census.append({"id": f"census-{i}", "series": s, "title": label(s), "capacity": cap,
                       "over": over, "rows": rows,
                       "figure": forecast_figure(run, s, label(s), t, capacity=cap,
                                                 history_days=history)})
        first = rows[:config.roster_days]
        shifts = roster_rows([float(r["mean"]) for r in first], [r["date"] for r in first],
                             config.ratios, config.skills)
        for row in shifts:
            row["label"] = t.maybe(row["shift_key"], row["shift"])
        roster.append({"ward": names.get(ward, ward),
                       "dates": [r["date"] for r in first], "rows": shifts})
    return {"demand": demand, "census": census, "roster": roster,
            "models": run.result.chosen, "as_of": run.as_of.isoformat() if run.as_of else "",
            "seconds": round(run.seconds, 1)}


async def reorder_lines(request: Request, as_of: str) -> tuple[list[dict[str, Any]], str]:
    """(reorder lines, error text) from the operations API, with the caller's token."""
    headers = {"Accept": "application/json"}
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://carehub.internal") as c:
        response = await c.get("/ops/supply/reorder",
                               params={"as_of": as_of, "forecast": "false", "format": "json"},
                               headers=headers)
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return [], f"HTTP {response.status_code}"
    if response.status_code != 200:
        issues = body.get("issue") or [{}] if isinstance(body, dict) else [{}]
        return [], str(issues[0].get("diagnostics") or f"HTTP {response.status_code}")
    return list(body.get("lines") or []), ""


def router(web: Web) -> APIRouter:
    """The dashboard routes bound to ``web``."""
    r = APIRouter(include_in_schema=False)
    config = web.config.dashboard or DashboardConfig()
    jobs = ForecastJobs(web.config.warehouse_path, config.plan)

    @r.get("/app/ops")
    async def dashboard(request: Request) -> Response:
        page = web.pages.context(request)
        t = Translator(page.lang)
        job = jobs.state()
        forecasts = None
        if job.state == "ready" and job.value is not None:
            forecasts = await run_in_threadpool(forecast_view, web, job.value, t, config)
        as_of = web.as_of().isoformat()
        lines, reorder_error = await reorder_lines(request, as_of)
        counts = {band: sum(1 for ln in lines if ln.get("status") == band) for band in BANDS}
        return web.pages.render(
            request, "operations.html", page=page, job=job, step=t(step_key(job.step)),
            forecasts=forecasts, lines=lines, counts=counts, bands=BANDS, band_keys=BAND_KEYS,
            reorder_error=reorder_error, reorder_as_of=as_of)

    @r.get("/app/ops/forecast-status")
    async def status(request: Request) -> Response:
        page = web.pages.context(request)
        t = Translator(page.lang)
        job = jobs.state()
        message = {"running": t("ops.running", step=t(step_key(job.step))),
                   "ready": t("ops.ready"),
                   "failed": t("ops.failed", reason=job.error)}.get(job.state, "")
        return JSONResponse({"state": job.state, "message": message},
                            headers={"Cache-Control": "no-store"})

    return r
