"""Synthetic drug and supply demand with intermittency, and ledgers that replay it.

No PyPI package ships hospital supply consumption (operations spec §2.1), so
tests and the benchmark use this generator. Demand patterns follow the four
SBC quadrants (Syntetos, Boylan & Croston 2005): smooth and erratic items
(Poisson and gamma-mixed sizes every month, with a yearly cycle) and
intermittent and lumpy items (Bernoulli occurrence, as in Croston 1972, with
small or widely varying sizes). Everything is reproducible from ``seed``.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping

import numpy as np

from carehub.ops.supply.ledger import LedgerEntry
from carehub.ops.supply.stock_card import next_month

PATTERNS: tuple[tuple[str, float], ...] = (
    ("smooth", 0.40),
    ("erratic", 0.15),
    ("intermittent", 0.30),
    ("lumpy", 0.15),
)
"""Share of generated items per intended pattern."""


def demand_panel(n_items: int, months: int, seed: int = 0) -> dict[str, list[float]]:
    """Monthly demand for ``n_items`` items named ``item-0001``... over ``months`` months.

    >>> panel = demand_panel(4, 12, seed=1)
    >>> sorted(panel)[:2], len(panel["item-0001"])
    (['item-0001', 'item-0002'], 12)
    """
    rng = np.random.default_rng(seed)
    names = [p for p, _ in PATTERNS]
    shares = np.array([s for _, s in PATTERNS])
    kinds = rng.choice(len(names), size=n_items, p=shares / shares.sum())
    season = 1 + 0.2 * np.sin(2 * np.pi * np.arange(months) / 12)
    out: dict[str, list[float]] = {}
    for i, k in enumerate(kinds):
        kind = names[k]
        level = float(rng.uniform(20, 400))
        if kind == "smooth":
            y = rng.poisson(level * season)
        elif kind == "erratic":
            y = rng.poisson(level * season * rng.gamma(0.8, 1 / 0.8, months))
        else:
            p = float(rng.uniform(0.15, 0.6))
            occurs = rng.random(months) < p
            size = level / 10
            if kind == "intermittent":
                sizes = 1 + rng.poisson(size, months)
            else:
                sizes = 1 + rng.poisson(size * rng.gamma(0.4, 1 / 0.4, months))
            y = np.where(occurs, sizes, 0)
        out[f"item-{i + 1:04d}"] = [float(v) for v in y]
    return out


def replay_ledger(
    demand: Mapping[str, list[float]],
    start: datetime.date,
    store: str = "main",
    missed_delivery: float = 0.1,
    seed: int = 0,
) -> list[LedgerEntry]:
    """A ledger in which each month's demand is issued from stock when there is stock.

    Each month opens with a delivery up to 1.5 × the item's mean monthly demand
    (skipped with probability ``missed_delivery``, which causes stock-outs); the
    demand is issued in four parts (days 5, 12, 19, 26), limited by the stock.
    An opening ``count`` is booked on ``start``.

    >>> es = replay_ledger({"a": [10.0, 10.0]}, datetime.date(2024, 1, 1), missed_delivery=0)
    >>> [e.kind for e in es][:3], sum(e.quantity for e in es if e.kind == "issue")
    (['count', 'issue', 'issue'], 20.0)
    """
    rng = np.random.default_rng(seed)
    out: list[LedgerEntry] = []
    for item, y in demand.items():
        target = math.ceil(1.5 * max(1.0, float(np.mean(y))))
        out.append(LedgerEntry(item, store, start, "count", float(target)))
        balance = float(target)
        month = start.replace(day=1)
        for value in y:
            if rng.random() >= missed_delivery and balance < target:
                out.append(LedgerEntry(item, store, month, "receipt", target - balance))
                balance = float(target)
            parts = np.diff(np.round(np.linspace(0, value, 5)))
            for day, part in zip((5, 12, 19, 26), parts, strict=True):
                issued = min(float(part), balance)
                if issued > 0:
                    out.append(LedgerEntry(item, store, month.replace(day=day), "issue", issued))
                    balance -= issued
            month = next_month(month)
    return out
