"""The accuracy report: the chosen model beside SeasonalNaive, per series and horizon.

https://otexts.com/fpp3/accuracy.html and operations spec §3.3 ("report MASE, MAPE
... always including SeasonalNaive(7)")

:func:`accuracy_table` gives one row per series, backtest horizon and role
(``chosen``, ``baseline``) with the mean MASE, MAPE and 80 %/95 % interval
coverage over the rolling origins; :func:`to_markdown` and :func:`to_records`
write it for people and for the JSON API; :func:`write_outputs` writes the
forecasts (CSV and JSON) and the report into a folder.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from carehub.ops.forecast.backtest import METRICS
from carehub.ops.forecast.models import BASELINE
from carehub.ops.forecast.pipeline import ForecastResult

COLUMNS = ["unique_id", "horizon", "role", "model", "windows", *METRICS]


def accuracy_table(result: ForecastResult) -> pd.DataFrame:
    """Chosen model and baseline scores per series and backtest horizon."""
    rows: list[dict[str, Any]] = []
    for bt in result.backtests:
        summary = bt.summary.set_index(["unique_id", "model"])
        chosen = result.chosen_by_horizon.get(bt.horizon, result.chosen)
        for uid, model in sorted(chosen.items()):
            for role, name in (("chosen", model), ("baseline", BASELINE)):
                if (uid, name) not in summary.index:
                    continue
                scores = summary.loc[(uid, name)]
                rows.append(
                    {"unique_id": uid, "horizon": bt.horizon, "role": role, "model": name,
                     "windows": bt.windows} | {m: float(scores[m]) for m in METRICS}
                )  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def side_by_side(table: pd.DataFrame) -> pd.DataFrame:
    """One row per series and horizon: the chosen model's and the baseline's scores.

    >>> t = pd.DataFrame({"unique_id": "a", "horizon": 7, "role": ["chosen", "baseline"],
    ...     "model": ["AutoETS", "SeasonalNaive"], "windows": 2, "mase": [0.5, 1.0],
    ...     "mape": [5.0, 9.0], "coverage_80": [80.0, 70.0], "coverage_95": [95.0, 90.0]})
    >>> side_by_side(t)[["model", "mase", "mase_baseline"]].values.tolist()
    [['AutoETS', 0.5, 1.0]]
    """
    keys = ["unique_id", "horizon"]
    chosen = table[table["role"] == "chosen"].drop(columns=["role"])
    base = table[table["role"] == "baseline"][keys + list(METRICS)]
    return chosen.merge(base, on=keys, suffixes=("", "_baseline"))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "—" if math.isnan(value) else f"{value:.2f}"
    return str(value)


def to_markdown(table: pd.DataFrame) -> str:
    """A Markdown table of :func:`side_by_side`."""
    wide = side_by_side(table)
    head = ["series", "h", "chosen", "MASE", "MASE SN", "MAPE %", "MAPE SN %",
            "cov80 %", "cov80 SN %", "cov95 %", "cov95 SN %"]  # fmt: skip
    cols = ["unique_id", "horizon", "model"]
    for metric in METRICS:
        cols += [metric, f"{metric}_baseline"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in wide[cols].itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: timestamps as ISO dates, NaN as ``None``."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    records: list[dict[str, Any]] = json.loads(out.to_json(orient="records"))
    return records


def write_outputs(result: ForecastResult, out_dir: Path) -> list[Path]:
    """Write ``forecasts.csv``, ``forecasts.json``, ``accuracy.csv``, ``accuracy.md``.

    Returns:
        The files written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    table = accuracy_table(result)
    files = [
        out_dir / n for n in ("forecasts.csv", "forecasts.json", "accuracy.csv", "accuracy.md")
    ]
    result.forecasts.to_csv(files[0], index=False, date_format="%Y-%m-%d")
    payload = {
        "frequency": result.profile.freq,
        "season": result.profile.season,
        "chosen": result.chosen,
        "chosen_by_horizon": {str(h): c for h, c in result.chosen_by_horizon.items()},
        "forecasts": to_records(result.forecasts),
        "accuracy": to_records(table),
    }
    files[1].write_text(json.dumps(payload, indent=1), encoding="utf-8")
    table.to_csv(files[2], index=False)
    files[3].write_text(to_markdown(table), encoding="utf-8")
    return files
