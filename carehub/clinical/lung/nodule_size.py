"""Pulmonary nodule size: mean diameter from axes, and the roundings the rules use.

* Fleischner Society 2017 (MacMahon H et al., Radiology 2017;284:228-243,
  doi:10.1148/radiol.2017161659): size is the mean of the long and short axes,
  rounded to the **nearest whole mm**.
* ACR Lung-RADS v2022 (https://www.acr.org/Clinical-Resources/Reporting-and-Data-Systems/Lung-Rads):
  mean diameter reported to **1 decimal**.

Rounding is half-up on the decimal value (5.5 → 6, 5.95 → 6.0), never
banker's rounding. Specification: clinical-rules.md sections 4.2 and 4.3.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from carehub.clinical.inputs import InvalidInput, number

MAX_SIZE_MM = 300.0


def _half_up(value: float, places: str) -> float:
    return float(Decimal(repr(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def round_nearest_mm(value: float) -> int:
    """``value`` rounded half-up to a whole mm (Fleischner).

    >>> round_nearest_mm(5.5), round_nearest_mm(6.49), round_nearest_mm(8.5)
    (6, 6, 9)
    """
    return int(_half_up(value, "1"))


def round_tenth_mm(value: float) -> float:
    """``value`` rounded half-up to 0.1 mm (Lung-RADS).

    >>> round_tenth_mm(5.95), round_tenth_mm(5.94)
    (6.0, 5.9)
    """
    return _half_up(value, "0.1")


def mean_diameter(
    size_mm: float | None,
    long_axis_mm: float | None = None,
    short_axis_mm: float | None = None,
    name: str = "size_mm",
) -> float:
    """The mean diameter (mm): ``size_mm`` when given, else the mean of the two axes.

    Raises:
        InvalidInput: naming ``name`` when neither is given, or the axis (or size)
            that is missing, out of 0-300 mm, or a short axis longer than the long one.

    >>> mean_diameter(None, 9, 6)
    7.5
    >>> mean_diameter(None, 9)
    Traceback (most recent call last):
    carehub.clinical.inputs.InvalidInput: short_axis_mm: is required with long_axis_mm
    """
    if size_mm is not None:
        return number(name, size_mm, 0, MAX_SIZE_MM, "mm")
    if long_axis_mm is None and short_axis_mm is None:
        raise InvalidInput(name, "is required (or long_axis_mm and short_axis_mm)")
    if short_axis_mm is None:
        raise InvalidInput("short_axis_mm", "is required with long_axis_mm")
    if long_axis_mm is None:
        raise InvalidInput("long_axis_mm", "is required with short_axis_mm")
    long_axis = number("long_axis_mm", long_axis_mm, 0, MAX_SIZE_MM, "mm")
    short_axis = number("short_axis_mm", short_axis_mm, 0, MAX_SIZE_MM, "mm")
    if short_axis > long_axis:
        raise InvalidInput("short_axis_mm", f"{short_axis:g} mm is longer than the long axis")
    return (long_axis + short_axis) / 2
