"""Monthly stock-card summaries from the ledger: balances, movements and stock-out days.

The period report of an OpenLMIS v3 requisition line
(https://docs.openlmis.org/en/latest/components/requisition.html): beginning
balance A, received B, consumed C, losses and adjustments D, stock on hand E
and stock-out days X, here for each calendar month.

The balance starts at 0 on the day of the item's first entry; ``count``
entries reset it (the difference is booked as an adjustment). A day is a
stock-out day when the balance at the end of the day is 0 or less. Only whole
months up to ``as_of`` are summarised; days before the first entry are not
observed.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from carehub.ops.supply.ledger import LedgerEntry, sort_key


@dataclass(frozen=True, slots=True)
class MonthSummary:
    """One month of one item in one store (OpenLMIS letters in brackets)."""

    month: datetime.date
    opening: float
    received: float
    issued: float
    lost: float
    adjusted: float
    closing: float
    stockout_days: int
    observed_days: int

    @property
    def unavailable_days(self) -> int:
        """Stock-out days plus days before the ledger started (no demand could be seen).

        >>> MonthSummary(datetime.date(2024, 2, 1), 0, 0, 0, 0, 0, 0, 3, 20).unavailable_days
        12
        """
        return self.stockout_days + (next_month(self.month) - self.month).days - self.observed_days


@dataclass(frozen=True, slots=True)
class StockCard:
    """Summaries of whole months, and the balance on ``as_of``."""

    item: str
    store: str
    months: tuple[MonthSummary, ...]
    stock_on_hand: float
    as_of: datetime.date


def month_start(day: datetime.date) -> datetime.date:
    """The first day of ``day``'s month.

    >>> month_start(datetime.date(2024, 2, 29))
    datetime.date(2024, 2, 1)
    """
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    """The first day of the following month.

    >>> next_month(datetime.date(2024, 12, 1))
    datetime.date(2025, 1, 1)
    """
    return datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def last_whole_month(as_of: datetime.date) -> datetime.date:
    """The last month that is complete on ``as_of`` (its first day).

    >>> last_whole_month(datetime.date(2024, 3, 31)), last_whole_month(datetime.date(2024, 3, 30))
    (datetime.date(2024, 3, 1), datetime.date(2024, 2, 1))
    """
    tomorrow = as_of + datetime.timedelta(days=1)
    first = month_start(tomorrow)
    return datetime.date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def stock_card(entries: Sequence[LedgerEntry], as_of: datetime.date) -> StockCard:
    """Summarise one item's entries (one store) month by month up to ``as_of``.

    Args:
        entries: every entry of one item and store (any order); later ones are ignored.
        as_of: the reporting date.

    Returns:
        Whole months from the month of the first entry to the last complete
        month, and the stock on hand at the end of ``as_of``.

    Raises:
        ValueError: ``entries`` mixes items or stores, or is empty.

    >>> d = datetime.date
    >>> es = [LedgerEntry("a", "s", d(2024, 1, 1), "receipt", 10),
    ...       LedgerEntry("a", "s", d(2024, 1, 11), "issue", 10),
    ...       LedgerEntry("a", "s", d(2024, 1, 21), "receipt", 5)]
    >>> card = stock_card(es, d(2024, 1, 31))
    >>> m = card.months[0]
    >>> m.issued, m.stockout_days, m.closing, card.stock_on_hand
    (10.0, 10, 5.0, 5.0)
    """
    if not entries:
        raise ValueError("no ledger entries")
    keys = {(e.item, e.store) for e in entries}
    if len(keys) != 1:
        raise ValueError(f"entries mix items or stores: {sorted(keys)}")
    item, store = next(iter(keys))
    ordered = sorted((e for e in entries if e.date <= as_of), key=sort_key)
    last = last_whole_month(as_of)
    if not ordered:
        return StockCard(item, store, (), 0.0, as_of)
    first_day = ordered[0].date
    month = month_start(first_day)
    months: list[MonthSummary] = []
    balance = 0.0
    i = 0
    while month <= last:
        end = next_month(month)
        start_day = max(month, first_day)
        opening = balance
        moves = {"receipt": 0.0, "issue": 0.0, "loss": 0.0, "adjustment": 0.0}
        stockout = 0
        day = start_day
        while day < end:
            # apply the movements of ``day`` then count days until the next movement
            while i < len(ordered) and ordered[i].date == day:
                e = ordered[i]
                if e.kind == "count":
                    moves["adjustment"] += e.quantity - balance
                    balance = e.quantity
                else:
                    delta = {"receipt": 1.0, "issue": -1.0, "loss": -1.0}.get(e.kind, 1.0)
                    balance += delta * e.quantity
                    moves[e.kind] += e.quantity
                i += 1
            nxt = ordered[i].date if i < len(ordered) else end
            span_end = min(max(nxt, day + datetime.timedelta(days=1)), end)
            if balance <= 0:
                stockout += (span_end - day).days
            day = span_end
        months.append(
            MonthSummary(
                month, opening, moves["receipt"], moves["issue"], moves["loss"],
                moves["adjustment"], balance, stockout, (end - start_day).days,
            )
        )
        month = end
    for e in ordered[i:]:
        if e.kind == "count":
            balance = e.quantity
        else:
            balance += {"receipt": 1.0, "issue": -1.0, "loss": -1.0}.get(e.kind, 1.0) * e.quantity
    return StockCard(item, store, tuple(months), balance, as_of)
