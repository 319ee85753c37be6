"""Syntetos-Boylan-Croston (SBC) demand classification.

Syntetos AA, Boylan JE, Croston JD. On the categorization of demand patterns.
*JORS* 2005;56:495-503, doi:10.1057/palgrave.jors.2601841.

* ADI: mean interval (in periods) between non-zero demands;
* CV²: squared coefficient of variation of the non-zero demand sizes.

With the cut-offs ADI 1.32 and CV² 0.49: smooth (ADI ≤ 1.32, CV² ≤ 0.49),
erratic (ADI ≤ 1.32, CV² > 0.49), intermittent (ADI > 1.32, CV² ≤ 0.49),
lumpy (ADI > 1.32, CV² > 0.49). A series with no demand is ``zero`` (no
forecast; flagged for review).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
CLASSES: tuple[str, ...] = ("smooth", "erratic", "intermittent", "lumpy", "zero")


@dataclass(frozen=True, slots=True)
class DemandClass:
    """An SBC class with the statistics that decided it."""

    name: str
    adi: float | None
    cv2: float | None
    nonzero: int
    periods: int

    def explain(self) -> str:
        """The classification in words.

        >>> classify([0, 3, 0, 3]).explain()
        'intermittent: ADI = 2.00 (> 1.32), CV² = 0.00 (≤ 0.49) over 4 months with 2 non-zero'
        """
        if self.adi is None or self.cv2 is None:
            return f"zero: no demand in {self.periods} months; no forecast, review the item"
        a = ">" if self.adi > ADI_CUTOFF else "≤"
        c = ">" if self.cv2 > CV2_CUTOFF else "≤"
        return (
            f"{self.name}: ADI = {self.adi:.2f} ({a} {ADI_CUTOFF}), CV² = {self.cv2:.2f} "
            f"({c} {CV2_CUTOFF}) over {self.periods} months with {self.nonzero} non-zero"
        )


def adi(demand: Sequence[float]) -> float | None:
    """Average inter-demand interval: periods observed ÷ periods with demand.

    The common estimator (as in ``tsintermittent::idclass``): ``len / nonzero``.

    >>> adi([0, 0, 4, 0, 2, 0]), adi([0, 0])
    (3.0, None)
    """
    nonzero = sum(1 for d in demand if d > 0)
    return len(demand) / nonzero if nonzero else None


def cv2(demand: Sequence[float]) -> float | None:
    """Squared coefficient of variation of the non-zero demand sizes (population sd).

    >>> cv2([0, 2, 0, 6]), cv2([5]), cv2([0])
    (0.25, 0.0, None)
    """
    sizes = [d for d in demand if d > 0]
    if not sizes:
        return None
    mean = statistics.fmean(sizes)
    return statistics.pstdev(sizes) ** 2 / mean**2


def classify(demand: Sequence[float]) -> DemandClass:
    """The SBC class of a demand series.

    >>> [classify(s).name for s in ([5, 6, 5, 6], [1, 20, 2, 30], [0, 5, 0, 5], [0, 1, 0, 40], [0])]
    ['smooth', 'erratic', 'intermittent', 'lumpy', 'zero']
    """
    a, c = adi(demand), cv2(demand)
    nonzero = sum(1 for d in demand if d > 0)
    if a is None or c is None:
        return DemandClass("zero", None, None, 0, len(demand))
    if a <= ADI_CUTOFF:
        name = "smooth" if c <= CV2_CUTOFF else "erratic"
    else:
        name = "intermittent" if c <= CV2_CUTOFF else "lumpy"
    return DemandClass(name, a, c, nonzero, len(demand))
