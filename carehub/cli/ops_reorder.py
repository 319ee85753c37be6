"""``carehub ops reorder``: the explained drug and supply reorder list.

Reads ledger entries from ``--ledger`` CSV files (or, without them, the stored
ledger at ``CAREHUB_OPS_INVENTORY_PATH``), item parameters from ``--items``
(or the stored item list), and writes the reorder list as CSV or JSON
(:mod:`carehub.ops.supply.advice`). ``--save`` first stores the given files in
the ledger (all or nothing). ``--from-warehouse`` takes consumption from the
warehouse's ``medications_dispensed`` view instead of the ledger's issues.
"""

from __future__ import annotations

import datetime
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from carehub.errors import Incorrect
from carehub.ops.supply.advice import reorder_list
from carehub.ops.supply.config import SupplyConfig
from carehub.ops.supply.dispensing import dispensed_by_month
from carehub.ops.supply.ledger import Item, LedgerEntry
from carehub.ops.supply.ledger_csv import parse_items_csv, parse_ledger_csv, parse_on_order_csv
from carehub.ops.supply.ledger_sqlite import SqliteLedger
from carehub.ops.supply.report import to_csv
from carehub.settings import load_settings


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise Incorrect(f"cannot read {path}: {exc.strerror or exc}") from exc


def _as_of(text: str | None) -> datetime.date:
    if text is None:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise Incorrect(f"--as-of {text!r} is not a date YYYY-MM-DD") from exc


def _warehouse_consumption(
    store: str,
) -> dict[tuple[str, str], dict[datetime.date, float]]:
    import duckdb

    from carehub.warehouse.config import WarehouseConfig

    path = WarehouseConfig.from_settings(load_settings()).path
    if not Path(path).is_file():
        raise Incorrect(f"no warehouse at {path}: run 'carehub warehouse build' first")
    with duckdb.connect(str(path), read_only=True) as conn:
        return dispensed_by_month(conn, store)


def reorder(
    ledger: Annotated[
        list[Path] | None,
        typer.Option("--ledger", help="Ledger CSV (item,store,date,kind,quantity,reference)."),
    ] = None,
    items: Annotated[
        Path | None, typer.Option("--items", help="Item list CSV (code,ven,pack_size,...).")
    ] = None,
    on_order: Annotated[
        Path | None, typer.Option("--on-order", help="Quantities on order CSV (item,quantity).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Reporting date YYYY-MM-DD (default: today).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the list here (default: stdout).")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or json (default: from --out, else csv).")
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Store --ledger and --items in the ledger first.")
    ] = False,
    from_warehouse: Annotated[
        bool,
        typer.Option("--from-warehouse", help="Consumption from the warehouse's dispensing data."),
    ] = False,
    store: Annotated[
        str, typer.Option("--store", help="Store that dispensing data is booked to.")
    ] = "main",
    forecast: Annotated[
        bool, typer.Option("--forecast/--no-forecast", help="Forecast by SBC class, or flat AMC.")
    ] = True,
) -> None:
    """Print or write the reorder list: min, max, order quantity and why, per item."""
    config = SupplyConfig.from_settings(load_settings())
    day = _as_of(as_of)
    kind = (fmt or (out.suffix.lstrip(".") if out and out.suffix else "csv")).lower()
    if kind not in ("csv", "json"):
        raise Incorrect(f"--format {kind!r}: expected csv or json")
    entries: list[LedgerEntry] = []
    for path in ledger or []:
        entries += parse_ledger_csv(_read(path), str(path))
    item_list = parse_items_csv(_read(items), str(items)) if items else []
    pending = parse_on_order_csv(_read(on_order), str(on_order)) if on_order else {}
    catalog: dict[str, Item] = {i.code: i for i in item_list}
    if save or not ledger:
        stored = SqliteLedger(config.inventory_path)
        try:
            if save:
                stored.add(entries)
                stored.put_items(item_list)
            entries = stored.entries(until=day)
            catalog = {**stored.items(), **catalog}
        finally:
            stored.close()
    consumption = _warehouse_consumption(store) if from_warehouse else None
    lines = reorder_list(entries, catalog, day, pending, consumption, config.options(forecast))
    text = (
        to_csv(lines)
        if kind == "csv"
        else json.dumps({"as_of": day.isoformat(), "lines": [ln.to_json() for ln in lines]},
                        ensure_ascii=False, indent=1)
    )
    counts = Counter(ln.status for ln in lines)
    summary = f"{len(lines)} item(s): " + ", ".join(
        f"{counts.get(s, 0)} {s}" for s in ("understock", "adequate", "overstock")
    )
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        typer.echo(summary, err=True)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{summary}; written to {out}")
