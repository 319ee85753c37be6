"""GLI-2012 and GLI Global 2022 LMS: interpolation at non-integer ages, pyspiro oracle, inputs."""

from __future__ import annotations

import csv
import io
import math
import random
from importlib import resources

import pytest

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.lung.gli_tables import SplineTable, tables
from carehub.clinical.lung.spirometry_reference import (
    ETHNICITIES,
    gli2012_lms,
    gli2012_predicted_lln,
    gli2012_zscore,
    gli_global_2022_lms,
    gli_global_2022_percent_predicted,
    gli_global_2022_predicted_lln,
    gli_global_2022_zscore,
)


def _spline_rows(filename: str) -> dict[float, dict[str, str]]:
    text = resources.files("pyspiro.data").joinpath(filename).read_text(encoding="utf-8")
    return {float(r["age"]): r for r in csv.DictReader(io.StringIO(text), delimiter=";")}


def test_non_integer_age_interpolates_splines_linearly() -> None:
    rows = _spline_rows("gli_2012_splines.csv")
    age, lo, hi = 50.1, 50.0, 50.25
    w = (age - lo) / (hi - lo)

    def spline(kind: str) -> float:
        col = f"FEV1_males_{kind}spline"
        return float(rows[lo][col]) + w * (float(rows[hi][col]) - float(rows[lo][col]))

    # SE Asian male FEV1 coefficients (clinical-rules.md 2.3)
    m = math.exp(-10.342 + 2.2196 * math.log(165) + 0.0574 * math.log(age) - 0.0881 + spline("M"))
    s = math.exp(-2.3268 + 0.0798 * math.log(age) + 0.0327 + spline("S"))
    l_ = 0.8866 + 0.085 * math.log(age) + spline("L")
    lms = gli2012_lms("FEV1", "male", age, 165, "south_east_asian")
    assert pytest.approx(m, rel=1e-12) == lms.M
    assert pytest.approx(s, rel=1e-12) == lms.S
    assert pytest.approx(l_, rel=1e-12) == lms.L
    # not rounded to the nearest 0.25 y (which would give the 50.0 values)
    assert pytest.approx(gli2012_lms("FEV1", "male", 50.0, 165).M, rel=1e-6) != lms.M


@pytest.mark.parametrize("age", [3.0, 3.1, 17.37, 40.0, 64.99, 94.9, 95.0])
def test_interpolation_is_continuous_and_exact_on_grid(age: float) -> None:
    t = tables("gli_global_2022").splines
    col = "FVC_females_Mspline"
    if age * 4 == int(age * 4):
        index = int((age - t.first_age) * 4)
        assert t.at(col, age) == t.columns[col][index]
    else:
        lo = math.floor(age * 4) / 4
        a, b = t.at(col, lo), t.at(col, lo + 0.25)
        assert min(a, b) <= t.at(col, age) <= max(a, b)


def test_spline_table_rejects_age_outside() -> None:
    with pytest.raises(ValueError):
        SplineTable(3.0, {"x": (0.0, 1.0)}).at("x", 3.5)


def test_pyspiro_agrees_at_random_ages() -> None:
    pyspiro = pytest.importorskip("pyspiro")
    codes = {e: i + 1 for i, e in enumerate(
        ("caucasian", "african_american", "north_east_asian", "south_east_asian", "other")
    )}
    g, b = pyspiro.GLI_2012(), pyspiro.BOWERMAN_2022()
    rng = random.Random(7)
    for _ in range(60):
        age, height = rng.uniform(3, 90), rng.uniform(100, 200)
        sex, ethnicity = rng.choice(("male", "female")), rng.choice(ETHNICITIES)
        param = rng.choice(("FEV1", "FVC", "FEV1FVC"))
        code = g.Parameters[param].value
        lms = gli2012_lms(param, sex, age, height, ethnicity)
        ref = g.lms(int(sex == "male"), age, height, codes[ethnicity], code, 1.0)
        assert pytest.approx(tuple(map(float, ref)), rel=1e-9) == (lms.L, lms.M, lms.S)
        lms = gli_global_2022_lms(param, sex, age, height)
        ref = b.lms(int(sex == "male"), age, height, code, 1.0)
        assert pytest.approx(tuple(map(float, ref)), rel=1e-9) == (lms.L, lms.M, lms.S)


def test_caucasian_differs_from_south_east_asian_default() -> None:
    sea = gli2012_predicted_lln("FEV1", "male", 40, 175)
    cau = gli2012_predicted_lln("FEV1", "male", 40, 175, ethnicity="caucasian")
    assert cau["predicted"] == pytest.approx(4.078, abs=1e-3)
    assert sea["predicted"] < cau["predicted"]


def test_fev1_fvc_ratio_and_alias() -> None:
    a = gli2012_predicted_lln("FEV1/FVC", "female", 60, 155)
    b = gli2012_predicted_lln("fev1fvc", "female", 60, 155)
    assert a.values == b.values
    assert 0.6 < a["lln"] < a["predicted"] < 0.9


def test_zscore_lln_consistency() -> None:
    r = gli_global_2022_predicted_lln("FVC", "male", 30, 180)
    z = gli_global_2022_zscore("FVC", "male", 30, 180, r["lln"])
    assert z["z"] == pytest.approx(-1.645, abs=1e-9)
    assert gli2012_zscore("FEV1", "male", 50, 165, 2.2)["below_lln"] is True


def test_global_percent_predicted() -> None:
    r = gli_global_2022_percent_predicted("FVC", "male", 40, 175, 4.5)
    assert r["percent_predicted"] == 95.77
    assert r.guideline.version == "2022"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"age": 2.9}, "age"),
        ({"age": 96}, "age"),
        ({"age": None}, "age"),
        ({"height_cm": 20}, "height_cm"),
        ({"sex": "x"}, "sex"),
        ({"param": "PEF"}, "param"),
        ({"ethnicity": "martian"}, "ethnicity"),
        ({"param": "FEF75", "age": 92}, "age"),
    ],
)
def test_bad_inputs_name_the_input(kwargs: dict[str, object], name: str) -> None:
    args: dict[str, object] = {
        "param": "FEV1", "sex": "male", "age": 50, "height_cm": 165, "ethnicity": "caucasian"
    }
    args.update(kwargs)
    with pytest.raises(InvalidInput) as exc:
        gli2012_predicted_lln(**args)  # type: ignore[arg-type]
    assert exc.value.name == name


def test_observed_out_of_range_names_it() -> None:
    with pytest.raises(InvalidInput) as exc:
        gli2012_zscore("FEV1", "male", 50, 165, 0)
    assert exc.value.name == "observed_l"


def test_global_has_no_fef() -> None:
    with pytest.raises(InvalidInput) as exc:
        gli_global_2022_lms("FEF25_75", "male", 50, 165)
    assert exc.value.name == "param"
