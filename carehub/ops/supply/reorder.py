"""Reorder point, min/max, order quantity in whole packs, months of stock and stock status.

* MSH *MDS-3*, ch. 23 "Inventory management" (2012; WHO medicinedocs Js19600en):
  Min = lead-time demand + safety stock; Max = Min + review-period demand.
* Silver, Pyke & Thomas (2017): reorder point ROP = d̄·L + SS (equal to Min here).
* Operations spec §4.5: order = max(0, Max − SOH − on order), rounded up to the pack size.
* OpenLMIS v3 stock-based status bands: months of stock = SOH ÷ AMC; below Min
  is understock, above Max overstock, otherwise adequate.

Every function here is pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from carehub.ops.supply.safety_stock import path_sum

STATUSES = ("understock", "adequate", "overstock")


@dataclass(frozen=True, slots=True)
class Levels:
    """Min, max and the demand figures they come from."""

    lead_time_demand: float
    review_demand: float
    safety_stock: float
    min_stock: float
    max_stock: float


def levels(path: list[float] | tuple[float, ...], lead_months: float, review_months: float,
           safety_stock: float) -> Levels:
    """Min = LTD + SS and Max = Min + review-period demand, from a monthly forecast path.

    >>> levels([10.0, 10.0, 10.0], 2, 1, 5)
    Levels(lead_time_demand=20.0, review_demand=10.0, safety_stock=5, min_stock=25.0, \
max_stock=35.0)
    """
    ltd = path_sum(path, lead_months) if path else 0.0
    review = (path_sum(path, lead_months + review_months) - ltd) if path else 0.0
    low = ltd + safety_stock
    return Levels(ltd, review, safety_stock, low, low + review)


def round_to_packs(quantity: float, pack_size: int) -> tuple[int, int]:
    """Round an order up to whole packs; returns ``(units, packs)``.

    >>> round_to_packs(101, 50), round_to_packs(0, 50), round_to_packs(100.0000001, 50)
    ((150, 3), (0, 0), (100, 2))
    """
    if pack_size < 1:
        raise ValueError("pack size must be at least 1")
    if quantity <= 1e-6:
        return 0, 0
    packs = math.ceil(quantity / pack_size - 1e-6)
    return packs * pack_size, packs


def order_quantity(max_stock: float, stock_on_hand: float, on_order: float) -> float:
    """Order up to Max: max(0, Max − SOH − on order).

    >>> order_quantity(100, 30, 20), order_quantity(100, 130, 0)
    (50, 0)
    """
    return max(0, max_stock - stock_on_hand - on_order)


def months_of_stock(stock_on_hand: float, amc: float | None) -> float | None:
    """Months of stock SOH ÷ AMC; ``None`` without consumption.

    >>> months_of_stock(300, 100), months_of_stock(5, 0)
    (3.0, None)
    """
    if amc is None or amc <= 0:
        return None
    return max(stock_on_hand, 0.0) / amc


def status(stock_on_hand: float, min_stock: float, max_stock: float) -> str:
    """Stock status band: understock below Min, overstock above Max, else adequate.

    >>> status(10, 20, 40), status(20, 20, 40), status(41, 20, 40)
    ('understock', 'adequate', 'overstock')
    """
    if stock_on_hand < min_stock:
        return "understock"
    if stock_on_hand > max_stock:
        return "overstock"
    return "adequate"
