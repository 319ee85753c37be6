"""The seeded demo inventory: reproducible, plausible, in every status band, written once."""

from __future__ import annotations

import datetime
from collections import Counter

from carehub.ops.supply.advice import Options, reorder_list
from carehub.ops.supply.ledger import LedgerEntry, MemoryLedger
from carehub.ops.supply.reorder import STATUSES
from carehub.ops.supply.seeding import Drug, seed_entries, seed_inventory
from carehub.ops.supply.stock_card import stock_card

AS_OF = datetime.date(2025, 6, 30)


def drugs(n: int = 12) -> list[Drug]:
    """``n`` drugs dispensed monthly for 18 months, with different volumes and some gaps."""
    out = []
    for i in range(n):
        monthly: dict[datetime.date, float] = {}
        for k in range(18):
            month = datetime.date(2024 + (k // 12), k % 12 + 1, 1)
            if (i + k) % 7 != 0:  # the odd month without dispensing
                monthly[month] = float(20 + 15 * i + (k * 7) % 11)
        out.append(Drug(f"drug-{i:02d}", f"Drug {i}", "tablet", monthly))
    return out


def test_the_same_seed_gives_the_same_ledger_and_another_a_different_one() -> None:
    first = seed_entries(drugs(), AS_OF, seed=7)
    assert seed_entries(drugs(), AS_OF, seed=7) == first
    assert seed_entries(drugs(), AS_OF, seed=8) != first


def test_every_band_is_present_in_about_equal_shares() -> None:
    items, entries = seed_entries(drugs(), AS_OF, seed=1)
    lines = reorder_list(entries, {i.code: i for i in items}, AS_OF,
                         options=Options(forecast=False))
    bands = Counter(ln.status for ln in lines)
    assert set(bands) == set(STATUSES)
    assert all(3 <= bands[b] <= 5 for b in STATUSES), bands
    for line in lines:  # the band is the one the min/max levels give
        if line.status == "understock":
            assert line.stock_on_hand < line.min_stock
        elif line.status == "overstock":
            assert line.stock_on_hand > line.max_stock


def test_issues_follow_dispensing_and_stock_never_runs_out() -> None:
    source = {d.code: d for d in drugs()}
    items, entries = seed_entries(list(source.values()), AS_OF, seed=2)
    assert {i.ven for i in items} <= {"V", "E", "N"} and all(i.pack_size >= 1 for i in items)
    assert all(e.reference == "demo-seed" and e.date <= AS_OF for e in entries)
    for code, drug in source.items():
        own = [e for e in entries if e.item == code]
        issued: dict[datetime.date, float] = {}
        for e in own:
            if e.kind == "issue":
                month = e.date.replace(day=1)
                issued[month] = issued.get(month, 0.0) + e.quantity
        assert issued == {m: u for m, u in drug.monthly.items() if u}
        card = stock_card(own, AS_OF)
        assert all(m.stockout_days == 0 for m in card.months), code
        assert card.stock_on_hand > 0


def test_a_ledger_with_entries_is_left_alone() -> None:
    ledger = MemoryLedger()
    existing = LedgerEntry("own", "main", AS_OF, "count", 12.0, "stock-take")
    ledger.add([existing])
    report = seed_inventory(ledger, drugs(), AS_OF, seed=1)
    assert report.skipped and report.entries == 0
    assert [(e.item, e.quantity) for e in ledger.entries()] == [("own", 12.0)]
    assert ledger.items() == {}


def test_seeding_an_empty_ledger_reports_the_bands() -> None:
    ledger = MemoryLedger()
    report = seed_inventory(ledger, drugs(), AS_OF, seed=1)
    assert not report.skipped and report.items == 12
    assert report.entries == len(ledger.entries()) and set(ledger.items()) == {
        d.code for d in drugs()}
    assert all(report.bands[b] > 0 for b in STATUSES)
    assert seed_inventory(ledger, drugs(), AS_OF, seed=1).skipped  # once only


def test_drugs_not_dispensed_for_two_years_are_not_stocked() -> None:
    old = Drug("old", "Old drug", "vial", {datetime.date(2023, 1, 1): 40.0})
    assert seed_entries([old], AS_OF, seed=0) == ([], [])
