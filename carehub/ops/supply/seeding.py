"""A plausible inventory ledger for the drugs a population was dispensed (demo data).

The demo (``carehub demo``) generates patients, their prescriptions and
dispenses, but no pharmacy store; without a ledger the dashboard's reorder
list would be empty. :func:`seed_inventory` books, for each drug of the
warehouse's ``medications_dispensed`` view (:func:`dispensed_drugs`), an
opening stock count, a delivery at the start of each month and the month's
dispensed quantity as issues (days 5, 12, 19, 26, never more than in stock),
then closes with a physical ``count`` on ``as_of`` chosen so that the drugs
fall in all three status bands of :func:`carehub.ops.supply.advice.reorder_list`
(about a third each, at random): under the minimum, between minimum and
maximum, above the maximum. Item parameters (VEN class, pack size) are drawn
too. Everything is reproducible from ``seed``.

Failure modes: a ledger that already holds entries is left alone (the seed
runs once); a drug not dispensed in the last :data:`MAX_MONTHS` months is not
stocked.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from carehub.ops.supply.advice import Options, reorder_list
from carehub.ops.supply.dispensing import VIEW, Connection, dispensed_by_month
from carehub.ops.supply.ledger import Item, LedgerEntry, LedgerStore
from carehub.ops.supply.reorder import STATUSES
from carehub.ops.supply.stock_card import last_whole_month, month_start, next_month

PACK_SIZES = (10, 20, 28, 30, 50, 100)
"""Pack sizes drawn for seeded items."""
VEN_SHARES = (("V", 0.3), ("E", 0.5), ("N", 0.2))
"""Share of seeded items per VEN class."""
MAX_MONTHS = 24
"""At most this many months of history are booked."""
REFERENCE = "demo-seed"
"""The ``reference`` of every seeded entry."""


@dataclass(frozen=True, slots=True)
class Drug:
    """One dispensed drug: code, display name, unit, and units dispensed per month."""

    code: str
    name: str
    unit: str
    monthly: Mapping[datetime.date, float]


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What :func:`seed_inventory` did: items and entries written, items per status band."""

    items: int = 0
    entries: int = 0
    bands: dict[str, int] = field(default_factory=dict)
    skipped: bool = False


def dispensed_drugs(conn: Connection, view: str = VIEW) -> list[Drug]:
    """Every drug of the warehouse's dispensing view, with its monthly dispensed units.

    Raises:
        NotFound: the view is not in the warehouse.

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE medications_dispensed AS SELECT * FROM (VALUES "
    ...     "('amox', 'Amoxicillin 500 mg', 'capsule', '2024-01-03', 20.0, 'completed')) "
    ...     "t(medication_code, medication, quantity_unit, when_handed_over, quantity, status)")
    >>> [(d.code, d.name, d.unit, sum(d.monthly.values())) for d in dispensed_drugs(con)]
    [('amox', 'Amoxicillin 500 mg', 'capsule', 20.0)]
    """
    monthly = dispensed_by_month(conn, view=view)
    labels = {str(code): (str(name or ""), str(unit or "")) for code, name, unit in conn.execute(
        f"SELECT medication_code, any_value(medication), any_value(quantity_unit) FROM {view} "
        "WHERE medication_code IS NOT NULL GROUP BY 1").fetchall()}
    return [Drug(code, *labels.get(code, ("", "")), months)
            for (code, _), months in sorted(monthly.items())]


def _history(drug: Drug, last: datetime.date) -> list[tuple[datetime.date, float]]:
    """(month, units) for the booked months: from the first dispensing (at most
    :data:`MAX_MONTHS` back) to ``last``, zeros included; none when not dispensed then."""
    start = month_start(last - datetime.timedelta(days=31 * (MAX_MONTHS - 1)))
    months = sorted(m for m in drug.monthly if start <= m <= last and drug.monthly[m] > 0)
    if not months:
        return []
    month = months[0]
    out = []
    while month <= last:
        out.append((month, float(drug.monthly.get(month, 0.0))))
        month = next_month(month)
    return out


def _card(drug: Drug, history: list[tuple[datetime.date, float]], store: str
          ) -> list[LedgerEntry]:
    """Opening count, monthly deliveries and issues; stock never runs out."""
    peak = max(units for _, units in history)
    target = math.ceil(1.5 * max(1.0, peak))
    out = [LedgerEntry(drug.code, store, history[0][0], "count", float(target), REFERENCE)]
    balance = float(target)
    for month, units in history:
        if balance < target:
            out.append(LedgerEntry(drug.code, store, month, "receipt", target - balance,
                                   REFERENCE))
            balance = float(target)
        parts = np.diff(np.round(np.linspace(0, units, 5)))
        for day, part in zip((5, 12, 19, 26), parts, strict=True):
            issued = min(float(part), balance - 1)
            if issued > 0:
                out.append(LedgerEntry(drug.code, store, month.replace(day=day), "issue",
                                       issued, REFERENCE))
                balance -= issued
    return out


def closing_stock(band: str, low: float, high: float, pack: int) -> float:
    """A stock on hand in ``band`` for the levels ``low`` (min) and ``high`` (max).

    >>> [closing_stock(b, 40.0, 70.0, 10) for b in ("understock", "adequate", "overstock")]
    [16.0, 55.0, 136.0]
    """
    if band == "understock":
        return float(max(1, math.floor(low * 0.4)))
    if band == "adequate":
        return float(round((low + high) / 2))
    return float(math.ceil(high * 1.8) + pack)


def seed_entries(drugs: Sequence[Drug], as_of: datetime.date, seed: int = 0,
                 store: str = "main", options: Options | None = None
                 ) -> tuple[list[Item], list[LedgerEntry]]:
    """The items and ledger entries of a seeded inventory (see the module docstring).

    >>> day = datetime.date
    >>> drugs = [Drug(f"d{i}", f"Drug {i}", "tablet",
    ...               {day(2024, m, 1): 30.0 + 10 * i + m for m in range(1, 13)}) for i in range(6)]
    >>> items, entries = seed_entries(drugs, day(2024, 12, 31), seed=3)
    >>> lines = reorder_list(entries, {i.code: i for i in items}, day(2024, 12, 31),
    ...                      options=Options(forecast=False))
    >>> sorted({ln.status for ln in lines})
    ['adequate', 'overstock', 'understock']
    """
    rng = np.random.default_rng(seed)
    opts = options or Options(forecast=False)
    opts = Options(opts.amc_months, opts.history_months, False, opts.routes,
                   opts.service_levels, opts.n_jobs)
    last = last_whole_month(as_of)
    classes = [v for v, _ in VEN_SHARES]
    shares = np.array([s for _, s in VEN_SHARES])
    items: list[Item] = []
    entries: list[LedgerEntry] = []
    for drug in sorted(drugs, key=lambda d: d.code):
        history = _history(drug, last)
        if not history:
            continue
        items.append(Item(drug.code, drug.name, drug.unit,
                          classes[int(rng.choice(len(classes), p=shares))],
                          int(rng.choice(PACK_SIZES)), 1.0, 1.0))
        entries.extend(_card(drug, history, store))
    by_code = {i.code: i for i in items}
    lines = reorder_list(entries, by_code, as_of, options=opts)
    moving = [ln for ln in lines if ln.amc and ln.max_stock > 0]
    order = rng.permutation(len(moving))
    for rank, index in enumerate(order):
        line = moving[int(index)]
        band = STATUSES[rank % len(STATUSES)]
        stock = closing_stock(band, line.min_stock, line.max_stock, by_code[line.item].pack_size)
        entries.append(LedgerEntry(line.item, store, as_of, "count", stock, REFERENCE))
    return items, entries


def seed_inventory(ledger: LedgerStore, drugs: Sequence[Drug], as_of: datetime.date,
                   seed: int = 0, store: str = "main", options: Options | None = None
                   ) -> SeedReport:
    """Write a seeded inventory to ``ledger`` unless it already holds entries.

    Returns the items and entries written and the lines per status band on
    ``as_of`` (flat AMC forecast, as the dashboard shows them).
    """
    if ledger.entries(None, None, None):
        return SeedReport(skipped=True)
    items, entries = seed_entries(drugs, as_of, seed, store, options)
    if not entries:
        return SeedReport()
    ledger.put_items(items)
    ledger.add(entries)
    opts = options or Options()
    lines = reorder_list(entries, {i.code: i for i in items}, as_of, options=Options(
        opts.amc_months, opts.history_months, False, opts.routes, opts.service_levels))
    bands = {band: sum(1 for ln in lines if ln.status == band) for band in STATUSES}
    return SeedReport(len(items), len(entries), bands)
