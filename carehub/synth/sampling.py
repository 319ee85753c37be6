"""Seeded random draws shared by the generator.

Every patient has its own :class:`random.Random`, seeded from the run's seed
and the patient's index (:func:`patient_rng`), so any patient can be generated
alone, in any process and in any order, and comes out the same. Shared tables
(names, provinces, diagnoses) are sampled through :class:`Weighted`, which
draws in O(log n) from cumulative weights.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")

_INDEX_BITS = 40
_FACILITY_INDEX = (1 << _INDEX_BITS) - 1


def patient_rng(seed: int, index: int) -> random.Random:
    """The random stream of patient ``index`` (0-based) in a run seeded ``seed``.

    Distinct ``(seed, index)`` pairs give distinct integer seeds.

    >>> patient_rng(1, 7).random() == patient_rng(1, 7).random()
    True
    >>> patient_rng(1, 7).random() == patient_rng(2, 7).random()
    False
    """
    return random.Random((seed << _INDEX_BITS) | index)


def facility_rng(seed: int) -> random.Random:
    """The random stream of the hospital itself (staff names, bed numbers)."""
    return random.Random((seed << _INDEX_BITS) | _FACILITY_INDEX)


class Weighted(Generic[T]):
    """A fixed table of values drawn with given (unnormalised) weights.

    Args:
        pairs: ``(value, weight)`` pairs; weights must be ≥ 0 and not all 0.

    Raises:
        ValueError: the table is empty or all weights are 0.

    >>> table = Weighted([("a", 1.0), ("b", 0.0), ("c", 3.0)])
    >>> sorted({table.pick(random.Random(s)) for s in range(50)})
    ['a', 'c']
    >>> round(table.probability("c"), 2)
    0.75
    """

    __slots__ = ("_cum", "_total", "values", "weights")

    def __init__(self, pairs: Iterable[tuple[T, float]]) -> None:
        items = list(pairs)
        self.values: tuple[T, ...] = tuple(v for v, _ in items)
        self.weights: tuple[float, ...] = tuple(float(w) for _, w in items)
        self._cum = list(accumulate(self.weights))
        self._total = self._cum[-1] if self._cum else 0.0
        if self._total <= 0 or any(w < 0 for w in self.weights):
            raise ValueError("a weighted table needs non-negative weights, not all zero")

    def pick(self, rng: random.Random) -> T:
        """Draw one value."""
        return self.values[bisect_right(self._cum, rng.random() * self._total)]

    def probability(self, value: T) -> float:
        """The probability of drawing ``value`` (summed over repeats)."""
        return sum(w for v, w in zip(self.values, self.weights, strict=True) if v == value) / (
            self._total
        )


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; means up to a few dozen).

    >>> poisson(random.Random(3), 0.0)
    0
    >>> 8 < sum(poisson(random.Random(s), 10.0) for s in range(200)) / 200 < 12
    True
    """
    if mean <= 0:
        return 0
    limit = math.exp(-mean)
    count = 0
    product = rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def by_age(age: float, bands: Sequence[tuple[int, float]]) -> float:
    """The value of the last band whose lower age bound is ≤ ``age``.

    >>> by_age(45, [(0, 0.1), (40, 0.2), (60, 0.3)])
    0.2
    """
    value = bands[0][1]
    for lower, band_value in bands:
        if age >= lower:
            value = band_value
        else:
            break
    return value


def permute(index: int, modulus: int, salt: int) -> int:
    """A bijection of ``range(modulus)`` for ``modulus`` a power of ten.

    The multiplier 7,368,787 is odd and not a multiple of 5, hence coprime to
    every power of ten.

    Gives unique, random-looking serial numbers: distinct indexes below
    ``modulus`` map to distinct values.

    >>> sorted(permute(i, 100, 5) for i in range(100)) == list(range(100))
    True
    """
    return (index * 7_368_787 + salt * 1_000_003 + 12_345) % modulus
