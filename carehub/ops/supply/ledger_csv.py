"""CSV import of ledger entries and items, rejecting bad rows with file, line and field.

RFC 4180 CSV (https://www.rfc-editor.org/rfc/rfc4180) with a header row.

Ledger columns: ``item``, ``store`` (optional, default ``main``), ``date``
(YYYY-MM-DD), ``kind`` (receipt, issue, loss, adjustment, count),
``quantity`` and ``reference`` (optional). Item columns: ``code``, ``name``,
``unit``, ``ven`` (V/E/N), ``pack_size``, ``lead_time_months``,
``review_months``, ``lead_time_sd_months`` (all but ``code`` optional).

Parsing is all-or-nothing: every bad row is reported in one
:class:`~carehub.errors.Incorrect`, and nothing is returned to store.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
from collections.abc import Callable
from typing import TypeVar

from carehub.errors import Incorrect, Issue, did_you_mean
from carehub.ops.supply.ledger import KINDS, VEN, Item, LedgerEntry

DEFAULT_STORE = "main"
LEDGER_COLUMNS = ("item", "store", "date", "kind", "quantity", "reference")
ITEM_COLUMNS = (
    "code", "name", "unit", "ven", "pack_size", "lead_time_months", "review_months",
    "lead_time_sd_months",
)
_MAX_LISTED = 5

T = TypeVar("T")


class _Rows:
    """Collects issues as ``file:line: field: message``."""

    def __init__(self, source: str, json: bool = False) -> None:
        self.source = source
        self.json = json
        self.issues: list[Issue] = []

    def bad(self, line: int, column: str, message: str) -> None:
        where = f"{self.source}[{line}]" if self.json else f"{self.source}:{line}"
        self.issues.append(Issue("error", "invalid", f"{where}: {column}: {message}", (where,)))

    def field(self, row: dict[str, str], line: int, column: str, parse: Callable[[str], T],
              default: T | None = None) -> T | None:
        raw = (row.get(column) or "").strip()
        if not raw:
            if default is None:
                self.bad(line, column, "is required")
            return default
        try:
            return parse(raw)
        except ValueError as exc:
            self.bad(line, column, f"{raw!r} is not valid ({exc})")
            return None

    def raise_if_bad(self, what: str) -> None:
        if not self.issues:
            return
        shown = "; ".join(i.diagnostics for i in self.issues[:_MAX_LISTED])
        more = len(self.issues) - _MAX_LISTED
        tail = f"; and {more} more" if more > 0 else ""
        raise Incorrect(
            f"{len(self.issues)} bad {what} row(s), nothing stored: {shown}{tail}",
            issues=self.issues,
        )


def _quantity(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _non_negative(text: str) -> float:
    value = _quantity(text)
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _kind(text: str) -> str:
    low = text.lower()
    if low not in KINDS:
        raise ValueError("expected one of " + ", ".join(KINDS) + did_you_mean(low, KINDS))
    return low


def _ven(text: str) -> str:
    up = text.upper()[:1]
    if up not in VEN:
        raise ValueError("expected V, E or N")
    return up


def _pack(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def _reader(text: str, source: str, required: tuple[str, ...],
            known: tuple[str, ...]) -> csv.DictReader[str]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        col = missing[0]
        raise Incorrect(
            f"{source}:1: header lacks column {col!r}.{did_you_mean(col, header)}",
            expression=f"{source}:1",
        )
    unknown = [h for h in header if h not in known]
    if unknown:
        col = unknown[0]
        raise Incorrect(
            f"{source}:1: unknown column {col!r}.{did_you_mean(col, known)}",
            expression=f"{source}:1",
        )
    reader.fieldnames = header
    return reader


def parse_ledger_csv(text: str, source: str = "<ledger>") -> list[LedgerEntry]:
    """Parse ledger CSV text into entries.

    Args:
        text: the CSV content.
        source: the file name used in error messages.

    Raises:
        Incorrect: a header column is missing or unknown, or rows are bad; the
            message and issues name ``file:line`` and the field.

    >>> rows = "item,date,kind,quantity\\namox,2024-01-05,issue,30\\n"
    >>> parse_ledger_csv(rows)[0].quantity
    30.0
    >>> parse_ledger_csv("item,date,kind,quantity\\namox,2024-01-05,isue,x\\n", "l.csv")
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: 2 bad ledger row(s), nothing stored: l.csv:2: kind: 'isue' is \
not valid (expected one of receipt, issue, loss, adjustment, count Did you mean 'issue'?); \
l.csv:2: quantity: 'x' is not valid (could not convert string to float: 'x')
    """
    rows = _Rows(source)
    reader = _reader(text, source, ("item", "date", "kind", "quantity"), LEDGER_COLUMNS)
    out = [e for row in reader if (e := _entry(rows, row, reader.line_num)) is not None]
    rows.raise_if_bad("ledger")
    return out


def _entry(rows: _Rows, row: dict[str, str], line: int) -> LedgerEntry | None:
    item = rows.field(row, line, "item", str)
    store = rows.field(row, line, "store", str, DEFAULT_STORE)
    date = rows.field(row, line, "date", datetime.date.fromisoformat)
    kind = rows.field(row, line, "kind", _kind)
    parse = _quantity if kind == "adjustment" else _non_negative
    qty = rows.field(row, line, "quantity", parse)
    ref = (row.get("reference") or "").strip()
    if item and store and date and kind and qty is not None:
        return LedgerEntry(item, store, date, kind, qty, ref)
    return None


def parse_ledger_json(payload: object, source: str = "body") -> list[LedgerEntry]:
    """Parse ledger entries from JSON: one object or a list of objects (CSV column names).

    Raises:
        Incorrect: the payload is not an object or list of objects, a key is
            unknown, or values are bad; issues name ``body[index]`` and the field.

    >>> entry = {"item": "a", "date": "2024-01-01", "kind": "count", "quantity": 3}
    >>> parse_ledger_json(entry)[0].kind
    'count'
    >>> parse_ledger_json([{"item": "a", "date": "2024-13-01", "kind": "count", "quantity": 3}])
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: 1 bad ledger row(s), nothing stored: body[1]: date: '2024-13-01' \
is not valid (month must be in 1..12)
    """
    items = payload if isinstance(payload, list) else [payload]
    rows = _Rows(source, json=True)
    out: list[LedgerEntry] = []
    for i, obj in enumerate(items, start=1):
        if not isinstance(obj, dict):
            rows.bad(i, "entry", "expected a JSON object")
            continue
        unknown = [k for k in obj if k not in LEDGER_COLUMNS]
        for key in unknown:
            rows.bad(i, str(key), "unknown field" + did_you_mean(str(key), LEDGER_COLUMNS))
        row = {str(k): "" if v is None else str(v) for k, v in obj.items()}
        entry = _entry(rows, row, i)
        if entry is not None and not unknown:
            out.append(entry)
    rows.raise_if_bad("ledger")
    return out


def parse_items_csv(text: str, source: str = "<items>") -> list[Item]:
    """Parse an item-list CSV.

    Raises:
        Incorrect: as :func:`parse_ledger_csv`; also for a duplicate ``code``.

    >>> parse_items_csv("code,ven,pack_size\\namox,V,100\\n")[0].pack_size
    100
    """
    rows = _Rows(source)
    out: list[Item] = []
    seen: set[str] = set()
    reader = _reader(text, source, ("code",), ITEM_COLUMNS)
    for row in reader:
        line = reader.line_num
        code = rows.field(row, line, "code", str)
        if code in seen:
            rows.bad(line, "code", f"{code!r} appears twice")
        ven = rows.field(row, line, "ven", _ven, "E")
        pack = rows.field(row, line, "pack_size", _pack, 1)
        lead = rows.field(row, line, "lead_time_months", _non_negative, 1.0)
        review = rows.field(row, line, "review_months", _non_negative, 1.0)
        lead_sd = rows.field(row, line, "lead_time_sd_months", _non_negative, 0.0)
        if code and code not in seen and ven and pack and lead is not None and review is not None \
                and lead_sd is not None:
            seen.add(code)
            out.append(Item(code, (row.get("name") or "").strip(), (row.get("unit") or "").strip(),
                            ven, pack, lead, review, lead_sd))
    rows.raise_if_bad("item")
    return out


def parse_on_order_csv(text: str, source: str = "<on-order>") -> dict[tuple[str, str], float]:
    """Parse quantities on order (``item``, ``store`` optional, ``quantity``), summed per key.

    Raises:
        Incorrect: as :func:`parse_ledger_csv`.

    >>> parse_on_order_csv("item,quantity\\namox,100\\namox,50\\n")
    {('amox', 'main'): 150.0}
    """
    rows = _Rows(source)
    out: dict[tuple[str, str], float] = {}
    reader = _reader(text, source, ("item", "quantity"), ("item", "store", "quantity"))
    for row in reader:
        line = reader.line_num
        item = rows.field(row, line, "item", str)
        store = rows.field(row, line, "store", str, DEFAULT_STORE)
        qty = rows.field(row, line, "quantity", _non_negative)
        if item and store and qty is not None:
            out[(item, store)] = out.get((item, store), 0.0) + qty
    rows.raise_if_bad("on-order")
    return out
