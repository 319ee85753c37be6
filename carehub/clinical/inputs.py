"""Input checking for calculators: every bad input fails naming the input.

A calculator calls these before computing; each returns the checked value so
it reads as an assignment (``age = years("age", age, 18, 120)``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from carehub.errors import Incorrect


class InvalidInput(Incorrect):
    """A calculator input is missing, of the wrong kind or out of range.

    ``name`` is the input's name, as the calculator's parameter calls it.
    """

    default_issue_code = "value"

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}", expression=name)
        self.name = name


def number(name: str, value: object, low: float, high: float, unit: str = "") -> float:
    """``value`` as a float within ``[low, high]``; otherwise :class:`InvalidInput`.

    >>> number("age", 60, 18, 120)
    60.0
    >>> number("age", None, 18, 120)
    Traceback (most recent call last):
    carehub.clinical.inputs.InvalidInput: age: is required
    >>> number("scr", -1, 0.1, 30, "mg/dL")
    Traceback (most recent call last):
    carehub.clinical.inputs.InvalidInput: scr: -1 mg/dL is outside 0.1-30 mg/dL
    """
    if value is None:
        raise InvalidInput(name, "is required")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(name, f"must be a number, not {value!r}")
    x = float(value)
    if math.isnan(x) or not low <= x <= high:
        suffix = f" {unit}" if unit else ""
        raise InvalidInput(name, f"{value}{suffix} is outside {low:g}-{high:g}{suffix}")
    return x


def choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """``value`` if it is one of ``allowed`` (case-insensitive, returned lower-case).

    >>> choice("sex", "Male", ("male", "female"))
    'male'
    >>> choice("sex", "x", ("male", "female"))
    Traceback (most recent call last):
    carehub.clinical.inputs.InvalidInput: sex: 'x' is not one of male, female
    """
    options = tuple(allowed)
    if isinstance(value, str) and value.lower() in options:
        return value.lower()
    if value is None:
        raise InvalidInput(name, "is required")
    raise InvalidInput(name, f"{value!r} is not one of {', '.join(options)}")


def flag(name: str, value: object) -> bool:
    """``value`` as a boolean; accepts booleans and 0/1.

    >>> flag("diabetes", 1), flag("diabetes", False)
    (True, False)
    >>> flag("diabetes", "yes")
    Traceback (most recent call last):
    carehub.clinical.inputs.InvalidInput: diabetes: must be true or false, not 'yes'
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if value is None:
        raise InvalidInput(name, "is required")
    raise InvalidInput(name, f"must be true or false, not {value!r}")


def sex(value: object, name: str = "sex") -> str:
    """``male`` or ``female`` (FHIR administrative gender), checked.

    >>> sex("female")
    'female'
    """
    return choice(name, value, ("male", "female"))
