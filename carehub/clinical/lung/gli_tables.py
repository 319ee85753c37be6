"""GLI lookup tables (coefficients and age splines), read from the ``pyspiro`` package.

The GLI-2012 equations (Quanjer PH et al., Eur Respir J 2012;40:1324-43,
doi:10.1183/09031936.00080312) and the race-neutral GLI Global 2022 equations
(Bowerman C et al., Am J Respir Crit Care Med 2023;207:768-774,
doi:10.1164/rccm.202205-0963OC) need, besides their coefficients, spline
values tabulated by age in 0.25-year steps (ages 3-95). CareHub does not carry
a copy: the tables are the CSV files shipped in the maintained PyPI package
``pyspiro`` (OnlineArts/PySpiro, ``pyspiro/data/gli_2012_*.csv`` and
``bowerman_2022_*.csv``), read with :mod:`importlib.resources` on first use and
cached. Nothing is downloaded.

Between two 0.25-year steps the splines are interpolated linearly, as rspiro
(``R/getLMS.R``) and the GLI software do; PySpiro itself rounds the age to the
nearest 0.25 year instead (clinical-rules.md, pitfall 5).

If ``pyspiro`` is not installed, or a table is malformed,
:class:`~carehub.errors.Fault` is raised: that is a deployment error, not a
bad input.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from dataclasses import dataclass
from importlib import resources

from carehub.errors import Fault

DATA_PACKAGE = "pyspiro.data"
"""The package whose data files hold the GLI tables."""

AGE_STEP = 0.25
"""Spacing, in years, of the tabulated spline ages."""

SOURCES: dict[str, tuple[str, str]] = {
    "gli2012": ("gli_2012_coefficients.csv", "gli_2012_splines.csv"),
    "gli_global_2022": ("bowerman_2022_coefficients.csv", "bowerman_2022_splines.csv"),
}
"""Coefficient and spline file names in :data:`DATA_PACKAGE`, by equation set."""


@dataclass(frozen=True, slots=True)
class SplineTable:
    """Spline values by age on a regular 0.25-year grid.

    Args:
        first_age: the first tabulated age (years).
        columns: column name (``FEV1_males_Mspline``...) to values, one per age step.
    """

    first_age: float
    columns: dict[str, tuple[float, ...]]

    @property
    def last_age(self) -> float:
        """The last tabulated age (years)."""
        n = len(next(iter(self.columns.values())))
        return self.first_age + (n - 1) * AGE_STEP

    def at(self, column: str, age: float) -> float:
        """The value of ``column`` at ``age``, interpolated linearly between 0.25-year steps.

        ``age`` must lie within the table (callers check it and name the input);
        an age outside, or an unknown column, is a programming error (``KeyError``
        / ``ValueError``).

        >>> t = SplineTable(3.0, {"x": (0.0, 1.0, 3.0)})
        >>> t.at("x", 3.0), t.at("x", 3.125), t.at("x", 3.375), t.at("x", 3.5)
        (0.0, 0.5, 2.0, 3.0)
        """
        values = self.columns[column]
        if not self.first_age <= age <= self.last_age:
            raise ValueError(f"age {age} is outside {self.first_age}-{self.last_age}")
        position = (age - self.first_age) / AGE_STEP
        index = min(math.floor(position), len(values) - 2)
        fraction = position - index
        return values[index] + fraction * (values[index + 1] - values[index])


@dataclass(frozen=True, slots=True)
class Tables:
    """One equation set: coefficients by ``<param>_<sex>s`` column, and the splines."""

    coefficients: dict[str, dict[str, float]]
    splines: SplineTable

    def coefficient(self, column: str, name: str) -> float:
        """Coefficient ``name`` (``a0``, ``p4``, ``q1``...) of ``column``; absent or blank is 0."""
        return self.coefficients[column].get(name, 0.0)


def _read(filename: str) -> list[dict[str, str]]:
    try:
        text = resources.files(DATA_PACKAGE).joinpath(filename).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        message = f"GLI table {filename} not found in {DATA_PACKAGE}: is pyspiro installed?"
        raise Fault(message) from exc
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _float(text: str, where: str) -> float:
    try:
        return float(text) if text.strip() else 0.0
    except ValueError as exc:
        raise Fault(f"GLI table {where}: {text!r} is not a number") from exc


def _coefficients(filename: str) -> dict[str, dict[str, float]]:
    rows = _read(filename)
    out: dict[str, dict[str, float]] = {}
    for row in rows:
        name = row.get("var", "").strip()
        if not name:
            raise Fault(f"GLI table {filename}: a row has no 'var'")
        for column, text in row.items():
            if column and column.endswith(("_males", "_females")):
                out.setdefault(column, {})[name] = _float(text or "", filename)
    return out


def _splines(filename: str) -> SplineTable:
    rows = _read(filename)
    if len(rows) < 2:
        raise Fault(f"GLI table {filename} has fewer than two ages")
    ages = [_float(row["age"], filename) for row in rows]
    for i, age in enumerate(ages):
        if not math.isclose(age, ages[0] + i * AGE_STEP, abs_tol=1e-9):
            raise Fault(f"GLI table {filename}: ages are not on a {AGE_STEP}-year grid at {age}")
    names = [c for c in rows[0] if c and c != "age"]
    columns = {
        # bowermann_2022 spells one header 'MSpline'; normalise the suffix
        name.replace("MSpline", "Mspline"): tuple(_float(row[name] or "", filename) for row in rows)
        for name in names
    }
    return SplineTable(ages[0], columns)


@functools.cache
def tables(equations: str) -> Tables:
    """The coefficient and spline tables of ``equations`` (a key of :data:`SOURCES`).

    Read from ``pyspiro`` on first call, then cached.

    Raises:
        KeyError: unknown equation set (a programming error).
        Fault: ``pyspiro`` is missing or a table is malformed.

    >>> t = tables("gli2012")
    >>> t.coefficient("FEV1_males", "a5"), t.splines.first_age, t.splines.last_age
    (-0.0881, 3.0, 95.0)
    """
    coefficients_file, splines_file = SOURCES[equations]
    return Tables(_coefficients(coefficients_file), _splines(splines_file))
