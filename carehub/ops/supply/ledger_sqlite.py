"""The inventory ledger in one SQLite file (``<CAREHUB_DATA_DIR>/ops/inventory.sqlite``).

https://www.sqlite.org/lang_transaction.html

A :class:`~carehub.ops.supply.ledger.LedgerStore`. Every ``add`` and
``put_items`` runs in one transaction, so a rejected batch leaves what was
already stored untouched.
"""

from __future__ import annotations

import datetime
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from carehub.errors import Fault
from carehub.ops.supply.ledger import Item, LedgerEntry, select

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, item TEXT NOT NULL,"
    " store TEXT NOT NULL, date TEXT NOT NULL, kind TEXT NOT NULL, quantity REAL NOT NULL,"
    " reference TEXT NOT NULL DEFAULT '')",
    "CREATE INDEX IF NOT EXISTS ledger_item_store ON ledger (item, store, date)",
    "CREATE TABLE IF NOT EXISTS items (code TEXT PRIMARY KEY, name TEXT, unit TEXT, ven TEXT,"
    " pack_size INTEGER, lead_time_months REAL, review_months REAL, lead_time_sd_months REAL)",
)


class SqliteLedger:
    """A ledger store in the SQLite file ``path`` (created with its folder).

    Raises:
        Fault: the file cannot be opened or written.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False)
            with self._conn:
                for stmt in _SCHEMA:
                    self._conn.execute(stmt)
        except (OSError, sqlite3.Error) as exc:
            raise Fault(f"cannot open the inventory ledger {self.path}: {exc}") from exc

    def add(self, entries: Sequence[LedgerEntry]) -> list[LedgerEntry]:
        """Store ``entries`` in one transaction; return them with their ids."""
        out: list[LedgerEntry] = []
        with self._lock, self._conn:
            for e in entries:
                cur = self._conn.execute(
                    "INSERT INTO ledger (item, store, date, kind, quantity, reference)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (e.item, e.store, e.date.isoformat(), e.kind, e.quantity, e.reference),
                )
                out.append(
                    LedgerEntry(
                        e.item, e.store, e.date, e.kind, e.quantity, e.reference,
                        int(cur.lastrowid or 0),
                    )
                )
        return out

    def entries(
        self,
        item: str | None = None,
        store: str | None = None,
        until: datetime.date | None = None,
    ) -> list[LedgerEntry]:
        """Entries, filtered, ordered by date, kind order and id."""
        sql = "SELECT id, item, store, date, kind, quantity, reference FROM ledger WHERE 1=1"
        args: list[str] = []
        if item is not None:
            sql += " AND item = ?"
            args.append(item)
        if store is not None:
            sql += " AND store = ?"
            args.append(store)
        if until is not None:
            sql += " AND date <= ?"
            args.append(until.isoformat())
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        found = [
            LedgerEntry(
                r[1], r[2], datetime.date.fromisoformat(r[3]), r[4], float(r[5]), r[6], r[0]
            )
            for r in rows
        ]
        return select(found)

    def put_items(self, items: Sequence[Item]) -> None:
        """Insert or replace items by code, in one transaction."""
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        i.code, i.name, i.unit, i.ven, i.pack_size, i.lead_time_months,
                        i.review_months, i.lead_time_sd_months,
                    )
                    for i in items
                ],
            )

    def items(self) -> dict[str, Item]:
        """Every item, by code."""
        with self._lock:
            rows = self._conn.execute("SELECT * FROM items ORDER BY code").fetchall()
        return {
            r[0]: Item(r[0], r[1] or "", r[2] or "", r[3], int(r[4]), float(r[5]), float(r[6]),
                       float(r[7]))
            for r in rows
        }

    def close(self) -> None:
        """Close the file."""
        self._conn.close()
