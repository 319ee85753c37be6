"""Parameters of one synthetic population, with their defaults declared once.

:class:`SynthConfig` is what ``carehub synth`` builds from its options and what
:func:`carehub.synth.generate` consumes. The output depends only on
``patients``, ``years``, ``seed`` and ``end_date``; ``block_size`` and
``workers`` change speed and memory, never a byte of the files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from carehub.errors import Incorrect

DEFAULT_YEARS = 3
"""Years of hospital activity, ending on the end date."""
DEFAULT_SEED = 1
DEFAULT_END_DATE = dt.date(2026, 6, 30)
"""Last day of hospital activity; ages are computed on this day."""
DEFAULT_BLOCK_SIZE = 200
"""Patients generated, serialised and written together."""
AUTO_WORKERS_FROM = 4_000
"""With ``workers=0``, populations this large use several processes on machines with
more than :data:`AUTO_WORKERS_MIN_CPUS` CPUs."""
AUTO_WORKERS_MIN_CPUS = 3
"""On two CPUs, extra processes were measured slower than one (bench/synth.py)."""
MAX_YEARS = 30
MAX_PATIENTS = 100_000_000
MAX_SEED = 2**32 - 1
EARLIEST_END_DATE = dt.date(1990, 1, 1)
LATEST_END_DATE = dt.date(2090, 12, 31)


@dataclass(frozen=True, slots=True)
class SynthConfig:
    """What to generate.

    Args:
        patients: number of patients (1 to 100,000,000).
        years: years of activity before and including ``end_date`` (1 to 30).
        seed: any integer in 0 to 2**32 - 1; the same seed gives the same files.
        end_date: the last day of activity (1990-01-01 to 2090-12-31).
        block_size: patients per block (1 to 10,000).
        workers: processes generating blocks (0 to 256); 1 generates in this
            process, 0 picks by population size (:meth:`worker_count`).

    Raises:
        Incorrect: a value is out of range.

    >>> SynthConfig(patients=10).start_date
    datetime.date(2023, 7, 1)
    >>> SynthConfig(patients=0)
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: --patients must be between 1 and 100000000, not 0
    """

    patients: int
    years: int = DEFAULT_YEARS
    seed: int = DEFAULT_SEED
    end_date: dt.date = DEFAULT_END_DATE
    block_size: int = DEFAULT_BLOCK_SIZE
    workers: int = 0

    def __post_init__(self) -> None:
        _check_range("--patients", self.patients, 1, MAX_PATIENTS)
        _check_range("--years", self.years, 1, MAX_YEARS)
        _check_range("--seed", self.seed, 0, MAX_SEED)
        _check_range("--block-size", self.block_size, 1, 10_000)
        _check_range("--workers", self.workers, 0, 256)
        if not EARLIEST_END_DATE <= self.end_date <= LATEST_END_DATE:
            raise Incorrect(
                f"--end-date must be between {EARLIEST_END_DATE} and {LATEST_END_DATE},"
                f" not {self.end_date}"
            )

    def worker_count(self, cpus: int | None) -> int:
        """Processes to use on a machine with ``cpus`` CPUs (``None``: unknown).

        >>> big = SynthConfig(patients=10**6)
        >>> SynthConfig(patients=100).worker_count(8), big.worker_count(2), big.worker_count(16)
        (1, 1, 8)
        """
        if self.workers:
            return self.workers
        if self.patients < AUTO_WORKERS_FROM or (cpus or 1) < AUTO_WORKERS_MIN_CPUS:
            return 1
        return min(cpus or 1, 8)

    @property
    def start_date(self) -> dt.date:
        """The first day of activity: the day after ``end_date`` minus ``years`` years.

        >>> SynthConfig(patients=1, years=2, end_date=dt.date(2024, 2, 29)).start_date
        datetime.date(2022, 3, 1)
        """
        try:
            back = self.end_date.replace(year=self.end_date.year - self.years)
        except ValueError:  # 29 February in a year that has none
            back = self.end_date.replace(year=self.end_date.year - self.years, day=28)
        return back + dt.timedelta(days=1)


def _check_range(option: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise Incorrect(f"{option} must be between {low} and {high}, not {value}")
