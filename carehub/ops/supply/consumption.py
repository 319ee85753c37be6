"""Consumption adjusted for stock-out days, and average monthly consumption (AMC).

* OpenLMIS v3 requisition, ``LineItemFieldsCalculator`` (formulas reimplemented):
  adjusted consumption N = ceil(C × (M·30) / (M·30 − X)); N = C when X = 0.
* WHO consumption method (medicinedocs Js4872e): CA = CT ÷ [RM − (DOS ÷ 30.4)].

Every function here is pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from carehub.ops.supply.stock_card import MonthSummary

DAYS_PER_MONTH = 30.4
"""The WHO method's days per month."""


def adjusted_consumption(consumed: float, stockout_days: int, months: int = 1) -> float | None:
    """OpenLMIS adjusted consumption N for one period of ``months`` months.

    Returns ``None`` when the item was out of stock for the whole period
    (there is no basis to estimate demand).

    >>> adjusted_consumption(90, 0), adjusted_consumption(90, 10), adjusted_consumption(5, 30)
    (90, 135, None)
    """
    if consumed < 0 or stockout_days < 0:
        raise ValueError("consumption and stock-out days must not be negative")
    if stockout_days == 0:
        return consumed
    days = months * 30
    if stockout_days >= days:
        return None
    return math.ceil(consumed * days / (days - stockout_days) - 1e-9)


def average_consumption(adjusted: Sequence[float | None], periods: int) -> float | None:
    """OpenLMIS average consumption P = ceil(mean of N over the last ``periods`` periods).

    Periods without an estimate (``None``) are skipped; ``None`` if none is left.

    >>> average_consumption([10, None, 21, 30], 3)
    26
    """
    known = [n for n in adjusted[-periods:] if n is not None]
    if not known:
        return None
    return math.ceil(sum(known) / len(known) - 1e-9)


def who_amc(total_consumed: float, months_reviewed: int, stockout_days: float) -> float | None:
    """WHO stock-out-adjusted AMC: CA = CT ÷ [RM − (DOS ÷ 30.4)].

    Returns ``None`` when the item was out of stock for the whole review.

    >>> who_amc(600, 6, 0), round(who_amc(600, 6, 30.4) or 0, 2), who_amc(10, 1, 31)
    (100.0, 120.0, None)
    """
    available = months_reviewed - stockout_days / DAYS_PER_MONTH
    if available <= 0:
        return None
    return total_consumed / available


def amc_from_card(months: Sequence[MonthSummary], review: int) -> tuple[float | None, int, float,
                                                                        int]:
    """WHO AMC over the last ``review`` months of a stock card.

    Days before the ledger started count as days out of stock.

    Returns:
        ``(amc, months_reviewed, total_consumed, stockout_days)``.

    >>> import datetime
    >>> m = MonthSummary(datetime.date(2024, 1, 1), 0, 100, 50, 0, 0, 50, 0, 31)
    >>> amc_from_card([m, m], 6)
    (50.0, 2, 100.0, 0)
    """
    window = list(months[-review:])
    total = float(sum(m.issued for m in window))
    dos = sum(m.unavailable_days for m in window)
    return who_amc(total, len(window), dos), len(window), total, dos


def demand_series(months: Sequence[MonthSummary]) -> list[float]:
    """Monthly demand for forecasting: consumption adjusted for stock-outs (OpenLMIS N).

    A month out of stock throughout gets the mean of the other months' N (or 0),
    so stock-outs do not look like zero demand.

    >>> import datetime
    >>> d = datetime.date(2024, 1, 1)
    >>> demand_series([MonthSummary(d, 0, 0, 20, 0, 0, 0, 0, 31),
    ...                MonthSummary(d, 0, 0, 0, 0, 0, 0, 31, 31)])
    [20.0, 20.0]
    """
    adjusted = [adjusted_consumption(m.issued, m.unavailable_days) for m in months]
    known = [float(n) for n in adjusted if n is not None]
    fill = sum(known) / len(known) if known else 0.0
    return [float(n) if n is not None else fill for n in adjusted]
