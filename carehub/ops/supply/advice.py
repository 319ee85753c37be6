"""The reorder pipeline: ledger (and optional dispensing data) → explained reorder list.

Operations spec §4.5, step by step for each item and store:

1. monthly stock card (:mod:`.stock_card`), demand adjusted for stock-out days
   (OpenLMIS N) and the WHO stock-out-adjusted AMC (:mod:`.consumption`);
2. SBC class (:mod:`.classify`) and the model it routes to (:mod:`.intermittent`);
3. lead-time demand quantile and safety stock at the VEN service level
   (:mod:`.safety_stock`);
4. min = LTD + SS, max = min + review-period demand; order up to max in whole
   packs; months of stock and status (:mod:`.reorder`).

The steps are a tuple of pure functions only in spirit: the one side effect is
the statsforecast fit, done once per model for all items together.
"""

from __future__ import annotations

import datetime
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from carehub.ops.supply.classify import DemandClass, classify
from carehub.ops.supply.consumption import amc_from_card, demand_series
from carehub.ops.supply.intermittent import ROUTES, Forecast, horizon_for, route
from carehub.ops.supply.ledger import Item, LedgerEntry, default_item
from carehub.ops.supply.reorder import (
    Levels,
    levels,
    months_of_stock,
    order_quantity,
    round_to_packs,
)
from carehub.ops.supply.reorder import status as stock_status
from carehub.ops.supply.report import ReorderLine
from carehub.ops.supply.safety_stock import SERVICE_LEVELS, safety_stock, service_level
from carehub.ops.supply.stock_card import MonthSummary, last_whole_month, next_month, stock_card

Key = tuple[str, str]
"""(item, store)."""


@dataclass(frozen=True, slots=True)
class Options:
    """Knobs of the pipeline.

    Args:
        amc_months: months reviewed for the AMC (WHO ``RM``).
        history_months: at most this many recent months feed the forecast.
        forecast: ``False`` uses the AMC as a flat forecast (no statsforecast).
        routes: model per SBC class.
        service_levels: cycle service level per VEN class.
        n_jobs: statsforecast worker processes.
    """

    amc_months: int = 6
    history_months: int = 36
    forecast: bool = True
    routes: Mapping[str, str] = field(default_factory=lambda: dict(ROUTES))
    service_levels: Mapping[str, float] = field(default_factory=lambda: dict(SERVICE_LEVELS))
    n_jobs: int = 1


@dataclass(frozen=True, slots=True)
class _Card:
    months: list[MonthSummary]
    soh: float
    from_ledger: bool


def _with_consumption(card: _Card | None, monthly: Mapping[datetime.date, float],
                      last: datetime.date) -> _Card:
    """Replace issues by external consumption (e.g. dispensing) month by month."""
    by_month = {m.month: m for m in card.months} if card else {}
    starts = [*monthly, *by_month]
    if not starts:
        return _Card([], card.soh if card else 0.0, card is not None)
    month = min(starts)
    out: list[MonthSummary] = []
    while month <= last:
        days = (next_month(month) - month).days
        old = by_month.get(month)
        used = float(monthly.get(month, 0.0))
        if old is None:
            out.append(MonthSummary(month, 0, 0, used, 0, 0, 0, 0, days))
        else:
            out.append(MonthSummary(month, old.opening, old.received, used, old.lost,
                                    old.adjusted, old.closing, old.stockout_days, days))
        month = next_month(month)
    return _Card(out, card.soh if card else 0.0, card is not None)


def _cards(entries: Sequence[LedgerEntry], as_of: datetime.date,
           consumption: Mapping[Key, Mapping[datetime.date, float]] | None) -> dict[Key, _Card]:
    grouped: dict[Key, list[LedgerEntry]] = {}
    for e in entries:
        grouped.setdefault((e.item, e.store), []).append(e)
    cards: dict[Key, _Card] = {}
    for key, group in grouped.items():
        sc = stock_card(group, as_of)
        cards[key] = _Card(list(sc.months), sc.stock_on_hand, True)
    if consumption is not None:
        last = last_whole_month(as_of)
        for key in set(cards) | set(consumption):
            cards[key] = _with_consumption(cards.get(key), consumption.get(key, {}), last)
    return cards


def _flat(key: str, amc: float, y: Sequence[float], horizon: int) -> Forecast:
    return Forecast(key, "AMC", (amc,) * horizon, tuple(v - amc for v in y))


def reorder_list(
    entries: Sequence[LedgerEntry],
    items: Mapping[str, Item],
    as_of: datetime.date,
    on_order: Mapping[Key, float] | None = None,
    consumption: Mapping[Key, Mapping[datetime.date, float]] | None = None,
    options: Options | None = None,
) -> list[ReorderLine]:
    """The explained reorder list on ``as_of``, sorted by status then item.

    Args:
        entries: ledger entries (any items and stores); entries after ``as_of`` are ignored.
        items: reorder parameters by item code; missing items get :func:`default_item`.
        as_of: reporting date; whole months up to it are used.
        on_order: units already ordered and not yet received, per (item, store).
        consumption: monthly consumption per (item, store) (first day of month →
            units) replacing the ledger's issues, e.g. from dispensing data.
        options: pipeline knobs.

    Raises:
        Incorrect: an item's VEN class has no service level, or a route names an
            unknown model.
    """
    opts = options or Options()
    pending = on_order or {}
    cards = _cards(entries, as_of, consumption)
    ids = {key: f"{key[0]}\x1f{key[1]}" for key in cards}
    series: dict[str, list[float]] = {}
    classes: dict[str, DemandClass] = {}
    for key, card in cards.items():
        y = demand_series(card.months[-opts.history_months:])
        series[ids[key]] = y
        classes[ids[key]] = classify(y)
    horizon = max(
        (horizon_for(it.lead_time_months, it.review_months)
         for it in (items.get(k[0]) or default_item(k[0]) for k in cards)),
        default=1,
    )
    forecasts: dict[str, Forecast] = {}
    if opts.forecast:
        forecasts = route(series, classes, horizon, opts.routes, opts.n_jobs)
    lines = []
    for key, card in cards.items():
        uid = ids[key]
        item = items.get(key[0]) or default_item(key[0])
        amc, reviewed, total, dos = amc_from_card(card.months, opts.amc_months)
        fc = forecasts.get(uid)
        if not opts.forecast and classes[uid].name != "zero" and amc is not None:
            fc = _flat(uid, amc, series[uid], horizon)
        lines.append(_line(key, item, card, classes[uid], fc, (amc, reviewed, total, dos),
                           pending.get(key, 0.0), opts, in_list=key[0] in items))
    order = {"understock": 0, "adequate": 1, "overstock": 2}
    return sorted(lines, key=lambda ln: (order.get(ln.status, 3), ln.item, ln.store))


def _line(key: Key, item: Item, card: _Card, cls: DemandClass, fc: Forecast | None,
          amc_info: tuple[float | None, int, float, int], on_order: float, opts: Options,
          in_list: bool) -> ReorderLine:
    amc = amc_info[0]
    level = service_level(item.ven, opts.service_levels)
    path = list(fc.mean) if fc else []
    residuals = list(fc.residuals) if fc else []
    seed = zlib.crc32(f"{key[0]}/{key[1]}".encode())
    ss = safety_stock(path, residuals, item.lead_time_months, level,
                      item.lead_time_sd_months, seed)
    lv = levels(path, item.lead_time_months, item.review_months, ss.value)
    raw = order_quantity(lv.max_stock, card.soh, on_order)
    units, packs = round_to_packs(raw, item.pack_size)
    mos = months_of_stock(card.soh, amc)
    band = stock_status(card.soh, lv.min_stock, lv.max_stock)
    review = fc is None or amc is None or len(card.months) < 3
    why = _explain(item, card, cls, fc, amc_info, ss.explain(item.lead_time_months,
                   item.lead_time_sd_months), lv, on_order, raw, units, packs, mos, band,
                   in_list)
    return ReorderLine(
        key[0], item.name, key[1], item.unit, item.ven, level, cls.name, cls.adi, cls.cv2,
        fc.model if fc else "none", len(card.months), amc, card.soh, on_order,
        item.lead_time_months, item.review_months, lv.lead_time_demand, lv.review_demand,
        ss.value, lv.min_stock, lv.min_stock, lv.max_stock, item.pack_size, units, packs, mos,
        band, review, why,
    )


def _explain(item: Item, card: _Card, cls: DemandClass, fc: Forecast | None,
             amc_info: tuple[float | None, int, float, int], ss_text: str,
             lv: Levels, on_order: float, raw: float, units: int, packs: int,
             mos: float | None, band: str, in_list: bool) -> dict[str, str]:
    amc, reviewed, total, dos = amc_info
    if amc is None:
        amc_text = (f"no AMC: out of stock (or not yet recorded) for all {dos} days of the "
                    f"last {reviewed} months")
    else:
        amc_text = (f"AMC {amc:.1f} = consumption {total:g} ÷ ({reviewed} months − {dos} "
                    f"stock-out days ÷ 30.4) (WHO stock-out-adjusted AMC)")
    if fc is None:
        fc_text = "no forecast: no demand in the history; item flagged for review"
    elif fc.model == "mean":
        fc_text = (f"mean of {len(card.months)} months of demand ({fc.level:.1f} per month): "
                   "too short a history to fit a model")
    elif fc.model == "AMC":
        fc_text = f"flat forecast at the AMC, {fc.level:.1f} per month (forecasting off)"
    else:
        fc_text = (f"{fc.model} fitted to {len(card.months)} months of demand adjusted for "
                   f"stock-out days (OpenLMIS N = C × 30 ÷ (30 − X)); mean "
                   f"{fc.level:.1f} per month")
    mos_text = ("no months of stock: no consumption" if mos is None else
                f"months of stock {mos:.1f} = stock on hand {card.soh:g} ÷ AMC {amc:.1f}")
    origin = "ledger balance" if card.from_ledger else "no ledger: taken as 0"
    params = "" if in_list else " (item not in the item list: default parameters)"
    return {
        "amc": amc_text,
        "demand_class": cls.explain() + f"; routed to {fc.model if fc else 'no model'}",
        "forecast": fc_text,
        "safety_stock": ss_text + f"; VEN {item.ven}{params}",
        "min_stock": (f"min (reorder point) {lv.min_stock:.1f} = lead-time demand "
                      f"{lv.lead_time_demand:.1f} (forecast over L = {item.lead_time_months:g}"
                      f" months) + safety stock {lv.safety_stock:.1f}"),
        "max_stock": (f"max {lv.max_stock:.1f} = min {lv.min_stock:.1f} + review-period demand "
                      f"{lv.review_demand:.1f} (forecast over R = {item.review_months:g} months)"),
        "order_quantity": (f"order {units} = max(0, max {lv.max_stock:.1f} − stock on hand "
                           f"{card.soh:g} ({origin}) − on order {on_order:g}) = {raw:.1f}, "
                           f"rounded up to {packs} pack(s) of {item.pack_size}"),
        "months_of_stock": mos_text,
        "status": (f"{band}: stock on hand {card.soh:g} vs min {lv.min_stock:.1f} and max "
                   f"{lv.max_stock:.1f} (below min: understock; above max: overstock)"),
    }
