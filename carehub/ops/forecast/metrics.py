"""Forecast accuracy: MASE, MAPE and prediction-interval coverage.

https://otexts.com/fpp3/accuracy.html (Hyndman & Athanasopoulos, *Forecasting:
Principles and Practice*, 3rd ed., §5.8 and §5.9)

* **MASE** (Hyndman & Koehler 2006): the forecast's mean absolute error
  divided by the in-sample mean absolute error of the seasonal naive forecast
  (season ``m``, 7 for daily series, 12 for monthly). Below 1 beats the
  in-sample seasonal naive.
* **MAPE**: mean absolute percentage error, in percent, over the points whose
  actual value is not zero (a closed clinic's zero Sunday has no percentage
  error); ``nan`` when every actual is zero.
* **coverage**: the share of actual values inside a prediction interval, in
  percent; a calibrated 80 % interval covers about 80 %.

All functions are pure and take array-likes of equal length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from carehub.errors import Incorrect

ArrayLike = Sequence[float] | npt.NDArray[np.float64]


def _arrays(*values: ArrayLike) -> list[npt.NDArray[np.float64]]:
    arrays = [np.asarray(v, dtype=float) for v in values]
    if len({a.shape for a in arrays}) > 1:
        raise Incorrect(f"arrays of different lengths: {[a.size for a in arrays]}")
    return arrays


def seasonal_naive_scale(history: ArrayLike, season: int) -> float:
    """In-sample mean absolute error of the seasonal naive forecast (the MASE scale).

    Falls back to the naive (season 1) error when the history is shorter than
    two seasons, and to 1.0 for a constant history, so MASE stays finite.

    Raises:
        Incorrect: ``season`` is below 1 or the history has fewer than 2 points.

    >>> seasonal_naive_scale([1, 2, 3, 1, 2, 3, 1, 2, 6], 3)
    0.5
    >>> seasonal_naive_scale([5, 5, 5], 1)
    1.0
    """
    (y,) = _arrays(history)
    if season < 1:
        raise Incorrect(f"season must be at least 1, not {season}")
    if y.size < 2:
        raise Incorrect("the MASE scale needs at least 2 history points")
    m = season if y.size > season else 1
    scale = float(np.mean(np.abs(y[m:] - y[:-m])))
    return scale if scale > 0 else 1.0


def mase(actual: ArrayLike, forecast: ArrayLike, history: ArrayLike, season: int) -> float:
    """Mean absolute scaled error of ``forecast`` against ``actual``.

    Args:
        actual: the observed values of the forecast period.
        forecast: the point forecasts, same length.
        history: the training values (the scale is computed on them).
        season: the seasonal period of the scale (7 daily, 12 monthly).

    Raises:
        Incorrect: lengths differ, or see :func:`seasonal_naive_scale`.

    >>> mase([10, 12], [11, 11], [8, 9, 10, 11, 12, 13], 1)
    1.0
    """
    y, f = _arrays(actual, forecast)
    return float(np.mean(np.abs(y - f))) / seasonal_naive_scale(history, season)


def mape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Mean absolute percentage error in percent, over non-zero actuals.

    Raises:
        Incorrect: lengths differ.

    >>> mape([100, 200, 0], [110, 180, 5])
    10.0
    >>> mape([0, 0], [1, 2])
    nan
    """
    y, f = _arrays(actual, forecast)
    keep = y != 0
    if not keep.any():
        return float("nan")
    return float(np.mean(np.abs((y[keep] - f[keep]) / y[keep])) * 100.0)


def coverage(actual: ArrayLike, low: ArrayLike, high: ArrayLike) -> float:
    """Percentage of ``actual`` values within ``[low, high]``.

    Raises:
        Incorrect: lengths differ.

    >>> coverage([1, 2, 3, 4], [0, 0, 0, 0], [2, 2, 2, 5])
    75.0
    """
    y, lo, hi = _arrays(actual, low, high)
    if y.size == 0:
        return float("nan")
    return float(np.mean((y >= lo) & (y <= hi)) * 100.0)
