"""The inventory ledger: stock movements per item and store, and the item list.

Follows the stock-card model of OpenLMIS v3 stock management
(https://docs.openlmis.org/en/latest/components/stockManagement.html) and the
USAID | DELIVER *Logistics Handbook* (2011), ch. 3 "Logistics management
information systems": every movement is one line on the item's stock card.

Entry kinds:

* ``receipt``: stock received (``quantity`` > 0 added to the balance);
* ``issue``: stock issued or dispensed to users; this is **consumption**;
* ``loss``: expired, damaged or stolen stock (removed, not consumption);
* ``adjustment``: signed correction (``quantity`` may be negative);
* ``count``: a physical stock count; the balance becomes ``quantity``.

Items carry the reorder parameters: VEN criticality (vital, essential,
non-essential), pack size, lead time and review period in months.

Storage sits behind the :class:`LedgerStore` protocol; :class:`MemoryLedger`
backs tests, :class:`carehub.ops.supply.ledger_sqlite.SqliteLedger` persists it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

KINDS: tuple[str, ...] = ("receipt", "issue", "loss", "adjustment", "count")
"""Ledger entry kinds, in the order movements of one day are applied."""

VEN: dict[str, str] = {"V": "vital", "E": "essential", "N": "non-essential"}
"""VEN criticality codes (WHO essential-medicines practice)."""


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One stock movement on an item's stock card.

    Args:
        item: item code (e.g. ATC or supply code).
        store: store or facility code.
        date: the day of the movement.
        kind: one of :data:`KINDS`.
        quantity: units moved; for ``count``, the counted stock on hand.
        reference: free text (delivery note, requisition number...).
        entry_id: assigned by the store; 0 until stored.
    """

    item: str
    store: str
    date: datetime.date
    kind: str
    quantity: float
    reference: str = ""
    entry_id: int = 0

    def to_json(self) -> dict[str, Any]:
        """The entry as a JSON object (dates as ``YYYY-MM-DD``).

        >>> LedgerEntry("amox", "main", datetime.date(2024, 1, 2), "issue", 5).to_json()["date"]
        '2024-01-02'
        """
        return {
            "id": self.entry_id,
            "item": self.item,
            "store": self.store,
            "date": self.date.isoformat(),
            "kind": self.kind,
            "quantity": self.quantity,
            "reference": self.reference,
        }


@dataclass(frozen=True, slots=True)
class Item:
    """Reorder parameters of one item.

    Args:
        code: item code, as used in the ledger.
        name: display name.
        unit: dispensing unit.
        ven: ``V``, ``E`` or ``N`` (sets the service level).
        pack_size: orders are rounded up to whole packs.
        lead_time_months: months from order to receipt.
        review_months: months between two orders (the review period).
        lead_time_sd_months: standard deviation of the lead time (0: constant).
    """

    code: str
    name: str = ""
    unit: str = ""
    ven: str = "E"
    pack_size: int = 1
    lead_time_months: float = 1.0
    review_months: float = 1.0
    lead_time_sd_months: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The item as a JSON object.

        >>> Item("amox", ven="V").to_json()["ven"]
        'V'
        """
        return {
            "code": self.code,
            "name": self.name,
            "unit": self.unit,
            "ven": self.ven,
            "pack_size": self.pack_size,
            "lead_time_months": self.lead_time_months,
            "review_months": self.review_months,
            "lead_time_sd_months": self.lead_time_sd_months,
        }


def default_item(code: str) -> Item:
    """The parameters used for an item missing from the item list.

    >>> default_item("x").pack_size
    1
    """
    return Item(code=code)


class LedgerStore(Protocol):
    """Where ledger entries and items live.

    ``add`` and ``put_items`` are atomic: either every entry is stored or none.
    """

    def add(self, entries: Sequence[LedgerEntry]) -> list[LedgerEntry]:
        """Store ``entries`` in one transaction; return them with their ids."""
        ...

    def entries(
        self,
        item: str | None = None,
        store: str | None = None,
        until: datetime.date | None = None,
    ) -> list[LedgerEntry]:
        """Entries, filtered, ordered by date, kind order and id."""
        ...

    def put_items(self, items: Sequence[Item]) -> None:
        """Insert or replace items by code, atomically."""
        ...

    def items(self) -> dict[str, Item]:
        """Every item, by code."""
        ...


def sort_key(entry: LedgerEntry) -> tuple[datetime.date, int, int]:
    """Order of application: date, then kind (counts last in a day), then id.

    >>> e = LedgerEntry("a", "s", datetime.date(2024, 1, 1), "count", 3)
    >>> sort_key(e)[1]
    4
    """
    return (entry.date, KINDS.index(entry.kind), entry.entry_id)


def select(
    entries: Iterable[LedgerEntry],
    item: str | None = None,
    store: str | None = None,
    until: datetime.date | None = None,
) -> list[LedgerEntry]:
    """Filter and sort entries (the in-memory query every store must match).

    >>> d = datetime.date(2024, 1, 1)
    >>> es = [LedgerEntry("a", "s", d, "issue", 1), LedgerEntry("b", "s", d, "issue", 1)]
    >>> [e.item for e in select(es, item="b")]
    ['b']
    """
    out = [
        e
        for e in entries
        if (item is None or e.item == item)
        and (store is None or e.store == store)
        and (until is None or e.date <= until)
    ]
    return sorted(out, key=sort_key)


class MemoryLedger:
    """A :class:`LedgerStore` in memory (tests, one-shot CLI runs)."""

    def __init__(self) -> None:
        self._entries: list[LedgerEntry] = []
        self._items: dict[str, Item] = {}

    def add(self, entries: Sequence[LedgerEntry]) -> list[LedgerEntry]:
        """Store ``entries``; return them with ids."""
        start = len(self._entries) + 1
        stored = [replace(e, entry_id=start + i) for i, e in enumerate(entries)]
        self._entries.extend(stored)
        return stored

    def entries(
        self,
        item: str | None = None,
        store: str | None = None,
        until: datetime.date | None = None,
    ) -> list[LedgerEntry]:
        """Entries, filtered and ordered."""
        return select(self._entries, item, store, until)

    def put_items(self, items: Sequence[Item]) -> None:
        """Insert or replace items."""
        self._items.update({i.code: i for i in items})

    def items(self) -> dict[str, Item]:
        """Every item, by code."""
        return dict(self._items)
