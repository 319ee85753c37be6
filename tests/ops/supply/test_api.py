"""``supply_router``: ledger POST/GET (JSON and CSV), items, reorder list as JSON and CSV."""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from carehub.fhir_api.errors import install_error_handlers
from carehub.ops.supply.advice import Options
from carehub.ops.supply.ledger import MemoryLedger
from carehub.ops_api.supply import supply_router


def _app(store: MemoryLedger, **kw: Any) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(supply_router(store, Options(forecast=False), **kw))
    return app


def call(app: FastAPI, method: str, url: str, **kw: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, url, **kw)

    return asyncio.run(go())


def test_ledger_round_trip_and_reorder(fixtures: Path) -> None:
    store = MemoryLedger()
    app = _app(store)
    csv_body = (fixtures / "ledger.csv").read_bytes()
    r = call(app, "POST", "/ops/supply/ledger", content=csv_body,
             headers={"content-type": "text/csv"})
    assert r.status_code == 201, r.text
    assert r.json()["stored"] == 13
    r = call(app, "POST", "/ops/supply/ledger",
             json={"item": "amox", "date": "2024-03-30", "kind": "receipt", "quantity": 10})
    assert r.status_code == 201 and r.json()["entries"][0]["id"] == 14
    r = call(app, "POST", "/ops/supply/items", content=(fixtures / "items.csv").read_bytes(),
             headers={"content-type": "text/csv"})
    assert r.json() == {"stored": 3}
    assert len(call(app, "GET", "/ops/supply/items").json()["items"]) == 3
    got = call(app, "GET", "/ops/supply/ledger", params={"item": "amox", "until": "2024-01-31"})
    assert [e["quantity"] for e in got.json()["entries"]] == [300, 100, 100]

    r = call(app, "GET", "/ops/supply/reorder", params={"as_of": "2024-03-31"})
    assert r.status_code == 200, r.text
    lines = {ln["item"]: ln for ln in r.json()["lines"]}
    assert lines["amox"]["stock_on_hand"] == 210
    assert lines["amox"]["order_quantity"] % 100 == 0
    assert "WHO" in lines["amox"]["explanation"]["amc"]
    r = call(app, "GET", "/ops/supply/reorder", params={"as_of": "2024-03-31"},
             headers={"accept": "text/csv"})
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("item,name,store")


def test_bad_rows_are_rejected_and_nothing_is_lost(fixtures: Path) -> None:
    store = MemoryLedger()
    app = _app(store)
    call(app, "POST", "/ops/supply/ledger", json=[
        {"item": "a", "date": "2024-01-01", "kind": "count", "quantity": 5}])
    r = call(app, "POST", "/ops/supply/ledger", content=(fixtures / "ledger_bad.csv").read_bytes(),
             headers={"content-type": "text/csv"})
    assert r.status_code == 400
    text = r.text
    assert "body:3: date" in text and "body:4: kind" in text
    r = call(app, "POST", "/ops/supply/ledger", json=[
        {"item": "a", "date": "2024-01-02", "kind": "issue", "quantity": 1},
        {"item": "a", "date": "2024-01-02", "kind": "issue", "qty": 1}])
    assert r.status_code == 400 and "body[2]: qty: unknown field" in r.text
    assert len(store.entries()) == 1
    r = call(app, "GET", "/ops/supply/reorder", params={"as_of": "31/03/2024"})
    assert r.status_code == 400 and "as_of" in r.text


def test_consumption_source_is_used() -> None:
    store = MemoryLedger()
    feed = {("para", "main"): {datetime.date(2024, 1, 1): 30.0, datetime.date(2024, 2, 1): 30.0}}
    app = _app(store, consumption=lambda: feed)
    r = call(app, "GET", "/ops/supply/reorder", params={"as_of": "2024-02-29", "format": "json"})
    (line,) = r.json()["lines"]
    assert (line["item"], line["amc"]) == ("para", 30.0)
