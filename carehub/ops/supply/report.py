"""The explained reorder list: one line per item and store, as JSON or CSV.

Each line carries the figures of an OpenLMIS-style requisition line (AMC,
stock on hand, min, max, order quantity, months of stock, status) and, for
each figure, the inputs and formula that produced it, in words
(``explanation``). CSV follows RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

EXPLAINED = (
    "amc", "demand_class", "forecast", "safety_stock", "min_stock", "max_stock",
    "order_quantity", "months_of_stock", "status",
)
"""Figures that carry an explanation, in CSV column order."""


@dataclass(frozen=True, slots=True)
class ReorderLine:
    """Reorder advice for one item in one store, with the reasons for each figure."""

    item: str
    name: str
    store: str
    unit: str
    ven: str
    service_level: float
    demand_class: str
    adi: float | None
    cv2: float | None
    model: str
    history_months: int
    amc: float | None
    stock_on_hand: float
    on_order: float
    lead_time_months: float
    review_months: float
    lead_time_demand: float
    review_demand: float
    safety_stock: float
    reorder_point: float
    min_stock: float
    max_stock: float
    pack_size: int
    order_quantity: int
    order_packs: int
    months_of_stock: float | None
    status: str
    review: bool
    explanation: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The line as a JSON object (figures rounded to 0.01).

        >>> line = ReorderLine("a", "", "s", "", "E", 0.95, "zero", None, None, "none", 0,
        ...     None, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, None, "adequate", True)
        >>> line.to_json()["status"]
        'adequate'
        """
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = round(value, 2)
        return out


def to_csv(lines: Sequence[ReorderLine]) -> str:
    """The reorder list as CSV: figures, then one ``<figure>_explained`` column per figure.

    >>> to_csv([]).splitlines()[0].split(",")[:3]
    ['item', 'name', 'store']
    """
    figures = [f for f in ReorderLine.__dataclass_fields__ if f != "explanation"]
    header = figures + [f"{name}_explained" for name in EXPLAINED]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for line in lines:
        data = line.to_json()
        row: list[Any] = ["" if data[f] is None else data[f] for f in figures]
        row += [line.explanation.get(name, "") for name in EXPLAINED]
        writer.writerow(row)
    return buf.getvalue()
