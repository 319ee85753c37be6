"""``/ops/supply``: inventory ledger, item list and the explained reorder list over HTTP.

Routes (JSON unless stated):

* ``POST /ops/supply/ledger``: store entries, given as a JSON object, a JSON
  list, or ``text/csv`` (the CSV import format); all or nothing; 201 with the
  stored entries and their ids. Bad rows give 400 naming line (or index) and field.
* ``GET /ops/supply/ledger?item=&store=&until=``: entries, by date.
* ``POST /ops/supply/items`` (JSON list or ``text/csv``) and ``GET /ops/supply/items``.
* ``GET /ops/supply/reorder?as_of=&store=&format=json|csv&forecast=``: the
  reorder list (:func:`carehub.ops.supply.advice.reorder_list`); CSV also with
  ``Accept: text/csv``.

The ledger sits behind :class:`~carehub.ops.supply.ledger.LedgerStore`;
errors are :class:`~carehub.errors.CareHubError` and become responses in the
application's error handlers.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from carehub.errors import Incorrect
from carehub.ops.supply.advice import Options, reorder_list
from carehub.ops.supply.ledger import Item, LedgerStore
from carehub.ops.supply.ledger_csv import (
    ITEM_COLUMNS,
    parse_items_csv,
    parse_ledger_csv,
    parse_ledger_json,
)
from carehub.ops.supply.report import to_csv

StoreParam = Annotated[str | None, Query(alias="store")]
Consumption = Mapping[tuple[str, str], Mapping[datetime.date, float]]


def _date(text: str | None, name: str) -> datetime.date | None:
    if text is None or text == "":
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise Incorrect(f"{name} {text!r} is not a date YYYY-MM-DD", expression=name) from exc


async def _body(request: Request) -> tuple[str, Any]:
    raw = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "text/csv":
        return "csv", raw.decode("utf-8", errors="replace")
    try:
        return "json", orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Incorrect(f"request body is not JSON (or send text/csv): {exc}") from exc


def _items_json(payload: Any) -> list[Item]:
    if not isinstance(payload, list) or not all(isinstance(o, dict) for o in payload):
        raise Incorrect("items: expected a JSON list of objects")
    header = list(ITEM_COLUMNS)
    lines = [",".join(header)]
    for obj in payload:
        cells = ["" if obj.get(c) is None else str(obj.get(c)) for c in header]
        lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
    unknown = sorted({k for o in payload for k in o if k not in ITEM_COLUMNS})
    if unknown:
        raise Incorrect(f"items: unknown field {unknown[0]!r}", expression=unknown[0])
    return parse_items_csv("\n".join(lines) + "\n", "body")


def supply_router(
    store: LedgerStore,
    options: Options | None = None,
    consumption: Callable[[], Consumption] | None = None,
    prefix: str = "/ops/supply",
) -> APIRouter:
    """The supply API over ``store``.

    Args:
        store: the ledger store (SQLite in the app, memory in tests).
        options: reorder pipeline defaults (AMC window, service levels).
        consumption: when given, called per reorder request for monthly
            consumption per (item, store), e.g. from the warehouse's dispensing data.
        prefix: URL prefix of the routes.
    """
    opts = options or Options()
    r = APIRouter(prefix=prefix, tags=["ops-supply"])

    @r.post("/ledger", status_code=201)
    async def post_ledger(request: Request) -> dict[str, Any]:
        kind, payload = await _body(request)
        entries = (
            parse_ledger_csv(payload, "body") if kind == "csv" else parse_ledger_json(payload)
        )
        stored = await run_in_threadpool(store.add, entries)
        return {"stored": len(stored), "entries": [e.to_json() for e in stored]}

    @r.get("/ledger")
    def get_ledger(
        item: str | None = None, store_code: StoreParam = None, until: str | None = None
    ) -> dict[str, Any]:
        found = store.entries(item, store_code, _date(until, "until"))
        return {"entries": [e.to_json() for e in found]}

    @r.post("/items")
    async def post_items(request: Request) -> dict[str, Any]:
        kind, payload = await _body(request)
        items = parse_items_csv(payload, "body") if kind == "csv" else _items_json(payload)
        await run_in_threadpool(store.put_items, items)
        return {"stored": len(items)}

    @r.get("/items")
    def get_items() -> dict[str, Any]:
        return {"items": [i.to_json() for i in store.items().values()]}

    @r.get("/reorder")
    def get_reorder(
        request: Request,
        as_of: str | None = None,
        store_code: StoreParam = None,
        format_: Annotated[str | None, Query(alias="format")] = None,
        forecast: bool | None = None,
    ) -> Response:
        day = _date(as_of, "as_of") or datetime.date.today()
        fmt = (format_ or "").lower()
        if not fmt:
            fmt = "csv" if "text/csv" in request.headers.get("accept", "") else "json"
        if fmt not in ("csv", "json"):
            raise Incorrect(f"format {fmt!r}: expected csv or json", expression="format")
        run = Options(opts.amc_months, opts.history_months,
                      opts.forecast if forecast is None else forecast, opts.routes,
                      opts.service_levels, opts.n_jobs)
        lines = reorder_list(
            store.entries(None, store_code, day), store.items(), day, None,
            consumption() if consumption else None, run,
        )
        if store_code is not None:
            lines = [ln for ln in lines if ln.store == store_code]
        if fmt == "csv":
            return Response(to_csv(lines), media_type="text/csv; charset=utf-8")
        return JSONResponse({"as_of": day.isoformat(), "lines": [ln.to_json() for ln in lines]})

    return r
