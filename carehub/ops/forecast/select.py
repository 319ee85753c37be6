"""Model selection per series from backtest scores.

https://otexts.com/fpp3/tscv.html (choose the model with the smallest
cross-validated error) and operations spec §2.3 item 1

For each series the chosen model is the one with the lowest MASE averaged
over the backtests given (one horizon, or several) and their origins; ties go
to the model listed first
(the baseline is listed first, so a model must be strictly better to replace
it). The baseline is always kept in the reports beside the choice.
"""

from __future__ import annotations

import pandas as pd

from carehub.ops.forecast.models import BASELINE


def choose(summaries: list[pd.DataFrame], order: list[str]) -> dict[str, str]:
    """The chosen model of each series.

    Args:
        summaries: per-horizon summaries (``unique_id``, ``model``, ``mase``...).
        order: model names in preference order for ties.

    >>> s7 = pd.DataFrame({"unique_id": ["a", "a"], "model": ["SeasonalNaive", "AutoETS"],
    ...                    "mase": [1.0, 0.8]})
    >>> s28 = s7.assign(mase=[1.0, 1.1])
    >>> choose([s7, s28], ["SeasonalNaive", "AutoETS"])
    {'a': 'AutoETS'}
    >>> choose([s28], ["SeasonalNaive", "AutoETS"])
    {'a': 'SeasonalNaive'}
    """
    rank = {name: i for i, name in enumerate(order)}
    both = pd.concat(summaries, ignore_index=True)
    mean = both.groupby(["unique_id", "model"], as_index=False)["mase"].mean()
    mean["rank"] = mean["model"].map(lambda m: rank.get(m, len(rank)))
    mean = mean.sort_values(["unique_id", "mase", "rank"], na_position="last")
    chosen: dict[str, str] = {}
    for uid, g in mean.groupby("unique_id", sort=True):
        chosen[str(uid)] = str(g.iloc[0]["model"]) if g["mase"].notna().any() else BASELINE
    return chosen
