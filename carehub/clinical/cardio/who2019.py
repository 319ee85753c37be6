"""WHO 2019 laboratory-based CVD risk charts (HEARTS): 10-year risk of MI or stroke by chart lookup.

Source: WHO CVD Risk Chart Working Group (Kaptoge S, Pennells L, De Bacquer D,
et al.). World Health Organization cardiovascular disease risk charts: revised
models to estimate risk in 21 global regions. Lancet Glob Health
2019;7:e1332-45. https://doi.org/10.1016/S2214-109X(19)30318-3

The chart cells are not shipped with CareHub: the hospital supplies them as a
CSV named by the ``CAREHUB_WHO_CVD_CHART`` setting, in the format of the
digitised table of DylanRJCollins/whoishRisk ``inst/extdata/WHO_2019_Scores.csv``
(columns ``dm``, ``gdr``, ``smk``, ``age``, ``sbp``, ``chl`` and one integer
column per GBD region, e.g. ``SE_ASI``). The setting is read at call time;
while it is empty or names no readable file the calculator raises
:class:`WhoChartUnavailable`.

Viet Nam is in the GBD "Southeast Asia" region (column ``SE_ASI``). Values are
binned with half-open intervals (clinical specification pitfall 2): SBP
[<120, 120-139, 140-159, 160-179, >=180] mmHg is [-inf,120), [120,140), ...;
total cholesterol [<4, 4-4.9, 5-5.9, 6-6.9, >=7] mmol/L is [-inf,4), [4,5), ....
The charts cover ages 40-74; other ages are not applicable.
"""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Mapping
from pathlib import Path

from carehub.clinical.inputs import InvalidInput, flag, number
from carehub.clinical.inputs import sex as checked_sex
from carehub.clinical.result import Guideline, Result, not_applicable
from carehub.clinical.units import cholesterol_mmol_l
from carehub.errors import Unsupported, did_you_mean
from carehub.settings import load_settings

WHO_2019 = Guideline(
    "WHO CVD risk chart (laboratory-based)",
    "2019",
    "WHO CVD Risk Chart Working Group. Lancet Glob Health 2019;7:e1332-45. "
    "doi:10.1016/S2214-109X(19)30318-3",
)

SETTING = "CAREHUB_WHO_CVD_CHART"

AGE_BANDS = ("40-44", "45-49", "50-54", "55-59", "60-64", "65-69", "70-74")
SBP_BANDS = ("<120", "120-139", "140-159", "160-179", ">=180")
CHOL_BANDS = ("<4", "4-4.9", "5-5.9", "6-6.9", ">=7")
_SBP_EDGES = (120.0, 140.0, 160.0, 180.0)
_CHOL_EDGES = (4.0, 5.0, 6.0, 7.0)
_RISK_BANDS = ((5, "<5%"), (10, "5-<10%"), (20, "10-<20%"), (30, "20-<30%"))

REGIONS: Mapping[str, str] = {
    "N_AFR_ME": "North Africa and Middle East",
    "CSS_AFR": "Central Sub-Saharan Africa",
    "ESS_AFR": "Eastern Sub-Saharan Africa",
    "SSS_AFR": "Southern Sub-Saharan Africa",
    "WSS_AFR": "Western Sub-Saharan Africa",
    "SN_LAT_AME": "Southern Latin America",
    "HI_N_AME": "High-income North America",
    "CAR": "Caribbean",
    "AND_LAT_AME": "Andean Latin America",
    "CEN_LAT_AME": "Central Latin America",
    "TRO_LAT_AME": "Tropical Latin America",
    "EAS_ASI": "East Asia",
    "SOU_ASI": "South Asia",
    "SE_ASI": "Southeast Asia",
    "CEN_ASI": "Central Asia",
    "HI_ASI_PAC": "High-income Asia Pacific",
    "WES_EUR": "Western Europe",
    "CEN_EUR": "Central Europe",
    "EAS_EUR": "Eastern Europe",
    "OCE": "Oceania",
    "AUS": "Australasia",
}
"""GBD region column of the chart CSV -> region name."""

_KEY_COLUMNS = ("dm", "gdr", "smk", "age", "sbp", "chl")
_FORMAT = (
    "a CSV with columns dm, gdr, smk, age, sbp, chl and one integer risk column per GBD "
    "region (SE_ASI for Viet Nam), as /work/shared/reference/who-cvd-2019/WHO_2019_Scores.csv "
    "(digitised from Kaptoge 2019; see its SOURCE.txt)"
)

ChartKey = tuple[int, int, int, str, str, str]
Chart = Mapping[ChartKey, Mapping[str, int]]


class WhoChartUnavailable(Unsupported):
    """The WHO 2019 chart table is not configured, unreadable or not in the expected format."""


def _normalise(text: str) -> str:
    return " ".join(text.lower().replace("(gbd)", "").replace("-", " ").replace("_", " ").split())


_REGION_NAMES = {
    **{_normalise(code): code for code in REGIONS},
    **{_normalise(name): code for code, name in REGIONS.items()},
}


def region_code(region: object) -> str:
    """The chart column of a GBD region, given by name or code (case-insensitive).

    >>> region_code("Southeast Asia (GBD)"), region_code("se_asi")
    ('SE_ASI', 'SE_ASI')
    >>> region_code("Sout-east Asia")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    carehub.clinical.inputs.InvalidInput: region: unknown GBD region ... 'southeast asia'?
    """
    if not isinstance(region, str):
        raise InvalidInput("region", "is required (a GBD region, e.g. 'Southeast Asia (GBD)')")
    key = _normalise(region)
    if key not in _REGION_NAMES:
        raise InvalidInput(
            "region", f"unknown GBD region {region!r}{did_you_mean(key, _REGION_NAMES)}"
        )
    return _REGION_NAMES[key]


def _bin(value: float, edges: tuple[float, ...], labels: tuple[str, ...]) -> str:
    for edge, label in zip(edges, labels, strict=False):
        if value < edge:
            return label
    return labels[-1]


def sbp_band(sbp_mmhg: float) -> str:
    """The chart's SBP band, half-open: exactly 140 is ``140-159``.

    >>> sbp_band(119.9), sbp_band(140), sbp_band(180)
    ('<120', '140-159', '>=180')
    """
    return _bin(sbp_mmhg, _SBP_EDGES, SBP_BANDS)


def cholesterol_band(total_chol_mmol_l: float) -> str:
    """The chart's total-cholesterol band, half-open: exactly 4 is ``4-4.9``.

    >>> cholesterol_band(3.99), cholesterol_band(4), cholesterol_band(7)
    ('<4', '4-4.9', '>=7')
    """
    return _bin(total_chol_mmol_l, _CHOL_EDGES, CHOL_BANDS)


def risk_band(risk_pct: float) -> str:
    """The chart's risk band: ``<5%``, ``5-<10%``, ``10-<20%``, ``20-<30%`` or ``>=30%``.

    >>> risk_band(4), risk_band(5), risk_band(30)
    ('<5%', '5-<10%', '>=30%')
    """
    for upper, label in _RISK_BANDS:
        if risk_pct < upper:
            return label
    return ">=30%"


def chart_path() -> Path:
    """The configured chart file (``CAREHUB_WHO_CVD_CHART``, read now from the environment).

    Raises:
        WhoChartUnavailable: the setting is empty or names no file.
    """
    configured = str(load_settings()[SETTING]).strip()
    if not configured:
        raise WhoChartUnavailable(
            f"The WHO 2019 CVD risk chart table is not configured: set {SETTING} to the path "
            f"of {_FORMAT}."
        )
    path = Path(configured).expanduser()
    if not path.is_file():
        raise WhoChartUnavailable(
            f"{SETTING}={configured!r} names no readable file; it must be {_FORMAT}."
        )
    return path


def read_chart(path: str | os.PathLike[str]) -> Chart:
    """Parse a chart CSV (format as in the module docstring) into cells by key.

    Keys are ``(dm, male, smoker, age_band, sbp_band, chol_band)`` with 0/1
    flags; values map GBD region column to the integer 10-year risk (%).

    Raises:
        WhoChartUnavailable: the file cannot be read or is not in that format.
    """
    where = os.fspath(path)
    try:
        with open(where, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = tuple(reader.fieldnames or ())
            missing = [c for c in _KEY_COLUMNS if c not in header]
            regions = [c for c in header if c in REGIONS]
            if missing or not regions:
                raise WhoChartUnavailable(
                    f"WHO chart file {where!r} lacks columns {missing or 'for any GBD region'}; "
                    f"it must be {_FORMAT}."
                )
            chart: dict[ChartKey, dict[str, int]] = {}
            for row in reader:
                key: ChartKey = (
                    int(row["dm"]), int(row["gdr"]), int(row["smk"]),
                    row["age"].strip(), row["sbp"].strip(), row["chl"].strip(),
                )
                chart[key] = {code: int(row[code]) for code in regions}
    except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError) as exc:
        raise WhoChartUnavailable(
            f"WHO chart file {where!r} cannot be read as {_FORMAT}: {exc}"
        ) from exc
    return chart


@functools.lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int, size: int) -> Chart:
    del mtime_ns, size  # part of the cache key only: a replaced file is read again
    return read_chart(path)


def load_chart() -> Chart:
    """The configured chart, parsed (cached until the file changes).

    Raises:
        WhoChartUnavailable: not configured, missing, or not in the expected format.
    """
    path = chart_path()
    stat = path.stat()
    return _cached(os.fspath(path), stat.st_mtime_ns, stat.st_size)


def _band(name: str, value: object, allowed: tuple[str, ...]) -> str:
    text = str(value).replace("≥", ">=").replace(" ", "") if isinstance(value, str) else None
    if text not in allowed:
        if value is None:
            raise InvalidInput(name, "is required")
        raise InvalidInput(name, f"{value!r} is not one of {', '.join(allowed)}")
    return text


def who2019_cvd_chart_lab(
    *,
    sex: str,
    diabetes: bool,
    smoker: bool,
    region: str = "Southeast Asia (GBD)",
    age_band: str | None = None,
    sbp_band_mmHg: str | None = None,
    total_chol_band_mmol_l: str | None = None,
    age: float | None = None,
    sbp_mmHg: float | None = None,
    total_chol: float | None = None,
    total_chol_unit: str = "mmol/L",
    chart: Chart | None = None,
) -> Result:
    """10-year CVD risk from the WHO 2019 laboratory chart (rule ``who2019_cvd_chart_lab``).

    Give each of age, SBP and total cholesterol either as a chart band
    (``age_band`` ``"60-64"``, ``sbp_band_mmHg`` ``"140-159"``,
    ``total_chol_band_mmol_l`` ``"5-5.9"``) or as a value (``age`` years,
    ``sbp_mmHg``, ``total_chol`` in ``total_chol_unit``), which is binned
    half-open. ``chart`` is the table to look up (default: the configured
    file, :func:`load_chart`).

    Returns:
        ``ten_year_risk_pct`` (integer chart cell), ``risk_band`` and
        ``region_code``; not applicable outside ages 40-74.

    Raises:
        InvalidInput: a missing, unknown or out-of-range input, named.
        WhoChartUnavailable: the chart table (``CAREHUB_WHO_CVD_CHART``) is not
            configured, missing, or lacks the region or cell.

    >>> cells = {(0, 1, 0, "60-64", "140-159", "5-5.9"): {"SE_ASI": 10}}
    >>> r = who2019_cvd_chart_lab(sex="male", diabetes=False, smoker=False, age=62,
    ...                           sbp_mmHg=140, total_chol=5.0, chart=cells)
    >>> r["ten_year_risk_pct"], r["risk_band"]
    (10, '10-<20%')
    >>> who2019_cvd_chart_lab(sex="male", diabetes=False, smoker=False, age=80,
    ...                       sbp_mmHg=140, total_chol=5.0, chart=cells).reason
    'the WHO 2019 charts cover ages 40-74'
    """
    s = checked_sex(sex)
    dm = flag("diabetes", diabetes)
    smk = flag("smoker", smoker)
    code = region_code(region)
    if age_band is not None and age is not None:
        raise InvalidInput("age", "give age or age_band, not both")
    if age is not None:
        years = number("age", age, 0, 130, "years")
        if not 40 <= years < 75:
            return not_applicable(
                "who2019_cvd_chart_lab", WHO_2019, "the WHO 2019 charts cover ages 40-74",
                {"age": years},
            )
        low = int(years // 5 * 5)
        a_band = f"{low}-{low + 4}"
    else:
        a_band = _band("age_band", age_band, AGE_BANDS)
    if sbp_band_mmHg is not None and sbp_mmHg is not None:
        raise InvalidInput("sbp_mmHg", "give sbp_mmHg or sbp_band_mmHg, not both")
    if sbp_mmHg is not None:
        s_band = sbp_band(number("sbp_mmHg", sbp_mmHg, 50, 300, "mmHg"))
    else:
        s_band = _band("sbp_band_mmHg", sbp_band_mmHg, SBP_BANDS)
    if total_chol_band_mmol_l is not None and total_chol is not None:
        raise InvalidInput("total_chol", "give total_chol or total_chol_band_mmol_l, not both")
    if total_chol is not None:
        raw = number("total_chol", total_chol, 0, 1000, total_chol_unit)
        mmol = cholesterol_mmol_l(raw, total_chol_unit, "total_chol_unit")
        c_band = cholesterol_band(number("total_chol", mmol, 1, 25, "mmol/L"))
    else:
        c_band = _band("total_chol_band_mmol_l", total_chol_band_mmol_l, CHOL_BANDS)
    inputs: dict[str, object] = {
        "region": REGIONS[code], "sex": s, "diabetes": dm, "smoker": smk,
        "age_band": a_band, "sbp_band_mmHg": s_band, "total_chol_band_mmol_l": c_band,
    }
    table = load_chart() if chart is None else chart
    cell = table.get((int(dm), int(s == "male"), int(smk), a_band, s_band, c_band))
    if cell is None or code not in cell:
        raise WhoChartUnavailable(
            f"the configured WHO chart ({SETTING}) has no cell for {inputs}; it must be {_FORMAT}."
        )
    pct = cell[code]
    return Result(
        "who2019_cvd_chart_lab",
        {"ten_year_risk_pct": pct, "risk_band": risk_band(pct), "region_code": code},
        WHO_2019,
        reason="digitised chart cell: spot-check against the printed WHO/HEARTS chart",
        inputs=inputs,
    )


RULES = {"who2019_cvd_chart_lab": who2019_cvd_chart_lab}
