"""The reorder pipeline on the golden ledger: every figure checked against the formulas."""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import pytest

from carehub.ops.supply.advice import Options, reorder_list
from carehub.ops.supply.consumption import amc_from_card, demand_series
from carehub.ops.supply.ledger_csv import parse_items_csv, parse_ledger_csv
from carehub.ops.supply.report import EXPLAINED, ReorderLine, to_csv
from carehub.ops.supply.stock_card import stock_card

AS_OF = datetime.date(2024, 3, 31)


@pytest.fixture(scope="module")
def lines(fixtures: Path) -> dict[str, ReorderLine]:
    entries = parse_ledger_csv((fixtures / "ledger.csv").read_text(), "ledger.csv")
    items = {i.code: i for i in parse_items_csv((fixtures / "items.csv").read_text())}
    got = reorder_list(entries, items, AS_OF, {("amox", "main"): 100.0},
                       options=Options(forecast=False))
    return {ln.item: ln for ln in got}


def test_stock_card_counts_stockout_days(fixtures: Path) -> None:
    entries = [e for e in parse_ledger_csv((fixtures / "ledger.csv").read_text())
               if e.item == "amox"]
    card = stock_card(entries, AS_OF)
    assert [m.issued for m in card.months] == [200, 300, 200]
    assert [m.stockout_days for m in card.months] == [0, 15, 0]  # 15..29 Feb 2024
    assert card.stock_on_hand == 200
    assert demand_series(card.months) == [200, 600, 200]  # N = ceil(300·30/(30−15))
    amc, reviewed, total, dos = amc_from_card(card.months, 6)
    assert (reviewed, total, dos) == (3, 700, 15)
    assert amc == pytest.approx(700 / (3 - 15 / 30.4))


def test_amox_figures_follow_the_formulas(lines: dict[str, ReorderLine]) -> None:
    amox = lines["amox"]
    amc = 700 / (3 - 15 / 30.4)
    assert amox.amc == pytest.approx(amc)
    assert (amox.demand_class, amox.model, amox.service_level) == ("smooth", "AMC", 0.99)
    assert amox.lead_time_demand == pytest.approx(amc)
    assert amox.min_stock == pytest.approx(amox.lead_time_demand + amox.safety_stock)
    assert amox.reorder_point == amox.min_stock
    assert amox.max_stock == pytest.approx(amox.min_stock + amc)
    raw = amox.max_stock - 200 - 100
    assert amox.order_quantity == math.ceil(raw / 100) * 100
    assert amox.order_packs == amox.order_quantity // 100
    assert amox.months_of_stock == pytest.approx(200 / amc)
    assert amox.status == ("understock" if amox.min_stock > 200 else "adequate")
    assert "700 ÷ (3 months − 15 stock-out days ÷ 30.4)" in amox.explanation["amc"]
    assert "on order 100" in amox.explanation["order_quantity"]


def test_intermittent_item_and_zero_item(lines: dict[str, ReorderLine]) -> None:
    gauze = lines["gauze"]
    assert gauze.demand_class in ("intermittent", "lumpy")
    assert gauze.order_quantity % 10 == 0
    assert "lead-time sd of 0.5 months" in gauze.explanation["safety_stock"]
    unused = lines["unused"]
    assert (unused.demand_class, unused.model, unused.review) == ("zero", "none", True)
    assert (unused.min_stock, unused.max_stock, unused.order_quantity) == (0, 0, 0)
    assert unused.status == "overstock"
    assert unused.months_of_stock is None


def test_every_figure_is_explained_in_csv(lines: dict[str, ReorderLine]) -> None:
    for line in lines.values():
        assert set(line.explanation) == set(EXPLAINED)
    text = to_csv(list(lines.values()))
    header = text.splitlines()[0].split(",")
    assert "order_quantity_explained" in header and "min_stock" in header
    assert len(text.splitlines()) == 4


def test_higher_criticality_means_more_safety_stock(fixtures: Path) -> None:
    entries = parse_ledger_csv((fixtures / "ledger.csv").read_text())
    items = {i.code: i for i in parse_items_csv((fixtures / "items.csv").read_text())}
    by_level = []
    for ven in ("N", "E", "V"):
        opts = Options(forecast=False, service_levels={"V": 0.99, "E": 0.95, "N": 0.90})
        changed = {**items, "amox": items["amox"].__class__(**{**items["amox"].to_json(),
                                                              "ven": ven})}
        line = next(ln for ln in reorder_list(entries, changed, AS_OF, options=opts)
                    if ln.item == "amox")
        by_level.append(line.safety_stock)
    assert by_level[0] <= by_level[1] <= by_level[2]


def test_consumption_replaces_issues(fixtures: Path) -> None:
    entries = parse_ledger_csv((fixtures / "ledger.csv").read_text())
    dispensed = {("amox", "main"): {datetime.date(2024, m, 1): 90.0 for m in (1, 2, 3)},
                 ("para", "main"): {datetime.date(2024, 3, 1): 10.0}}
    got = {ln.item: ln for ln in reorder_list(entries, {}, AS_OF, consumption=dispensed,
                                              options=Options(forecast=False))}
    assert got["amox"].amc == pytest.approx(270 / (3 - 15 / 30.4))
    assert got["para"].stock_on_hand == 0
    assert "no ledger: taken as 0" in got["para"].explanation["order_quantity"]
    assert "default parameters" in got["para"].explanation["safety_stock"]
