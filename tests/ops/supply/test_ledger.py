"""Ledger stores (memory and SQLite behave alike) and CSV import with file/line/field errors."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest

from carehub.errors import Incorrect
from carehub.ops.supply.ledger import Item, LedgerEntry, LedgerStore, MemoryLedger
from carehub.ops.supply.ledger_csv import parse_items_csv, parse_ledger_csv
from carehub.ops.supply.ledger_sqlite import SqliteLedger

D = datetime.date


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerStore]:
    if request.param == "memory":
        yield MemoryLedger()
    else:
        s = SqliteLedger(tmp_path / "ops" / "inventory.sqlite")
        yield s
        s.close()


def test_entries_are_ordered_and_filtered(store: LedgerStore) -> None:
    stored = store.add(
        [
            LedgerEntry("b", "main", D(2024, 1, 2), "issue", 1),
            LedgerEntry("a", "main", D(2024, 1, 2), "count", 5),
            LedgerEntry("a", "main", D(2024, 1, 2), "receipt", 3),
            LedgerEntry("a", "ward", D(2024, 1, 1), "issue", 2),
        ]
    )
    assert [e.entry_id for e in stored] == [1, 2, 3, 4]
    got = store.entries(item="a")
    assert [(e.store, e.kind) for e in got] == [("ward", "issue"), ("main", "receipt"),
                                               ("main", "count")]
    assert [e.item for e in store.entries(store="main", until=D(2024, 1, 1))] == []


def test_items_replace_by_code(store: LedgerStore) -> None:
    store.put_items([Item("a", ven="V"), Item("b")])
    store.put_items([Item("a", ven="N", pack_size=10)])
    items = store.items()
    assert items["a"] == Item("a", ven="N", pack_size=10)
    assert set(items) == {"a", "b"}


def test_sqlite_ledger_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "inv.sqlite"
    s = SqliteLedger(path)
    s.add([LedgerEntry("a", "main", D(2024, 1, 2), "receipt", 3, "DN-1")])
    s.close()
    again = SqliteLedger(path)
    assert [e.reference for e in again.entries()] == ["DN-1"]
    again.close()


def test_csv_import(fixtures: Path) -> None:
    entries = parse_ledger_csv((fixtures / "ledger.csv").read_text(), "ledger.csv")
    assert len(entries) == 13
    assert entries[0] == LedgerEntry("amox", "main", D(2024, 1, 1), "count", 300, "opening count")
    items = parse_items_csv((fixtures / "items.csv").read_text(), "items.csv")
    assert [i.ven for i in items] == ["V", "N", "E"]
    assert items[1].lead_time_sd_months == 0.5


def test_bad_rows_name_file_line_and_field(fixtures: Path) -> None:
    with pytest.raises(Incorrect) as err:
        parse_ledger_csv((fixtures / "ledger_bad.csv").read_text(), "ledger_bad.csv")
    where = [i.diagnostics.split(" is ")[0].split(": '")[0] for i in err.value.issues]
    assert where == ["ledger_bad.csv:3: date", "ledger_bad.csv:4: kind",
                     "ledger_bad.csv:4: quantity"]
    assert "Did you mean 'issue'?" in str(err.value)
    assert err.value.issues[0].expression == ("ledger_bad.csv:3",)


def test_header_errors_suggest_the_column() -> None:
    with pytest.raises(Incorrect, match=r"x.csv:1: header lacks column 'quantity'\. Did you mean"):
        parse_ledger_csv("item,date,kind,quantiy\n", "x.csv")
    with pytest.raises(Incorrect, match=r"unknown column 'packsize'\. Did you mean 'pack_size'"):
        parse_items_csv("code,packsize\na,1\n", "i.csv")
    with pytest.raises(Incorrect, match=r"i.csv:3: code: 'a' appears twice"):
        parse_items_csv("code\na\na\n", "i.csv")


def test_rejected_import_keeps_what_is_stored(store: LedgerStore, fixtures: Path) -> None:
    store.add(parse_ledger_csv((fixtures / "ledger.csv").read_text(), "ledger.csv"))
    before = store.entries()
    with pytest.raises(Incorrect):
        store.add(parse_ledger_csv((fixtures / "ledger_bad.csv").read_text(), "bad.csv"))
    assert store.entries() == before
