"""WHO 2019 chart lookup: configuration errors, half-open binning, age scope, regions, inputs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from carehub.clinical.cardio.who2019 import (
    AGE_BANDS,
    CHOL_BANDS,
    REGIONS,
    SBP_BANDS,
    WhoChartUnavailable,
    load_chart,
    who2019_cvd_chart_lab,
)
from carehub.clinical.inputs import InvalidInput
from carehub.errors import Unsupported

CHART = Path("reference") / "who-cvd-2019" / "WHO_2019_Scores.csv"
SETTING = "CAREHUB_WHO_CVD_CHART"
MAN = {"sex": "male", "diabetes": False, "smoker": False}


@pytest.fixture
def configured(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = shared_dir / CHART
    monkeypatch.setenv(SETTING, str(path))
    return path


def test_unconfigured_chart_is_a_clear_unsupported_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SETTING, raising=False)
    with pytest.raises(WhoChartUnavailable) as err:
        who2019_cvd_chart_lab(age=62, sbp_mmHg=140, total_chol=5.0, **MAN)  # type: ignore[arg-type]
    assert isinstance(err.value, Unsupported)
    message = str(err.value)
    assert SETTING in message and "WHO_2019_Scores.csv" in message and "SE_ASI" in message


def test_missing_chart_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SETTING, str(tmp_path / "absent.csv"))
    with pytest.raises(WhoChartUnavailable, match="names no readable file"):
        load_chart()


def test_malformed_chart_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    monkeypatch.setenv(SETTING, str(bad))
    with pytest.raises(WhoChartUnavailable, match="lacks columns"):
        load_chart()


def test_chart_without_the_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = tmp_path / "small.csv"
    small.write_text('"dm","gdr","smk","age","sbp","chl","SE_ASI"\n0,1,0,"40-44","<120","<4",1\n')
    monkeypatch.setenv(SETTING, str(small))
    with pytest.raises(WhoChartUnavailable, match="no cell"):
        who2019_cvd_chart_lab(age=62, sbp_mmHg=140, total_chol=5.0, **MAN)  # type: ignore[arg-type]


def test_a_replaced_chart_file_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "chart.csv"
    header = '"dm","gdr","smk","age","sbp","chl","SE_ASI"\n'
    path.write_text(header + '0,1,0,"40-44","<120","<4",1\n')
    monkeypatch.setenv(SETTING, str(path))
    inputs = {"age": 41, "sbp_mmHg": 110, "total_chol": 3.5, **MAN}
    assert who2019_cvd_chart_lab(**inputs)["ten_year_risk_pct"] == 1  # type: ignore[arg-type]
    path.write_text(header + '0,1,0,"40-44","<120","<4",12\n')
    assert who2019_cvd_chart_lab(**inputs)["ten_year_risk_pct"] == 12  # type: ignore[arg-type]


def test_shared_chart_is_complete(configured: Path) -> None:
    chart = load_chart()
    assert len(chart) == 2 * 2 * 2 * len(AGE_BANDS) * len(SBP_BANDS) * len(CHOL_BANDS)
    assert all(set(cell) == set(REGIONS) for cell in chart.values())


@pytest.mark.parametrize(
    ("sbp", "chol", "sbp_band", "chol_band"),
    [
        (140, 5.0, "140-159", "5-5.9"),
        (139.9, 4.99, "120-139", "4-4.9"),
        (120, 4, "120-139", "4-4.9"),
        (119.9, 3.99, "<120", "<4"),
        (180, 7, ">=180", ">=7"),
        (160, 6, "160-179", "6-6.9"),
    ],
)
def test_values_are_binned_half_open(
    configured: Path, sbp: float, chol: float, sbp_band: str, chol_band: str
) -> None:
    by_value = who2019_cvd_chart_lab(age=62, sbp_mmHg=sbp, total_chol=chol, **MAN)  # type: ignore[arg-type]
    by_band = who2019_cvd_chart_lab(
        age_band="60-64", sbp_band_mmHg=sbp_band, total_chol_band_mmol_l=chol_band, **MAN  # type: ignore[arg-type]
    )
    assert by_value.inputs["sbp_band_mmHg"] == sbp_band
    assert by_value.inputs["total_chol_band_mmol_l"] == chol_band
    assert by_value["ten_year_risk_pct"] == by_band["ten_year_risk_pct"]


def test_published_cells(configured: Path) -> None:
    man = who2019_cvd_chart_lab(age=62, sbp_mmHg=145, total_chol=5.5, **MAN)  # type: ignore[arg-type]
    assert (man["ten_year_risk_pct"], man["risk_band"], man["region_code"]) == (
        10, "10-<20%", "SE_ASI"
    )
    woman = who2019_cvd_chart_lab(
        sex="female", diabetes=False, smoker=False, age=60, sbp_mmHg=150, total_chol=5.2
    )
    assert woman["ten_year_risk_pct"] == 8
    assert woman.guideline.version == "2019"


def test_cholesterol_in_mg_dl(configured: Path) -> None:
    result = who2019_cvd_chart_lab(
        age=62, sbp_mmHg=145, total_chol=200, total_chol_unit="mg/dL", **MAN  # type: ignore[arg-type]
    )
    assert result.inputs["total_chol_band_mmol_l"] == "5-5.9"


@pytest.mark.parametrize(
    ("age", "applicable"), [(39.9, False), (40, True), (74.9, True), (75, False)]
)
def test_ages_40_to_74_only(configured: Path, age: float, applicable: bool) -> None:
    result = who2019_cvd_chart_lab(age=age, sbp_mmHg=130, total_chol=5, **MAN)  # type: ignore[arg-type]
    assert result.applicable is applicable
    if not applicable:
        assert result.values == {} and "40-74" in result.reason


def test_out_of_scope_age_needs_no_chart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SETTING, raising=False)
    assert not who2019_cvd_chart_lab(age=80, sbp_mmHg=130, total_chol=5, **MAN).applicable  # type: ignore[arg-type]


def test_other_regions_by_name_or_code(configured: Path) -> None:
    inputs = {"age": 62, "sbp_mmHg": 145, "total_chol": 5.5, **MAN}
    east = who2019_cvd_chart_lab(region="East Asia", **inputs)  # type: ignore[arg-type]
    assert east["region_code"] == "EAS_ASI"
    assert who2019_cvd_chart_lab(region="eas_asi", **inputs)["ten_year_risk_pct"] == east[  # type: ignore[arg-type]
        "ten_year_risk_pct"
    ]
    with open(configured, newline="") as handle:
        row = next(
            r for r in csv.DictReader(handle)
            if r["refv"] == "60-64_1_0_0_140-159_5-5.9"
        )
    assert east["ten_year_risk_pct"] == int(row["EAS_ASI"])


VALUES = {"age": 62, "sbp_mmHg": 145, "total_chol": 5.5}
BANDS = {"age_band": "60-64", "sbp_band_mmHg": "140-159", "total_chol_band_mmol_l": "5-5.9"}


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({**VALUES, "region": "Atlantis"}, "region"),
        ({**BANDS, "age_band": "35-39"}, "age_band"),
        ({**BANDS, "sbp_band_mmHg": "120-140"}, "sbp_band_mmHg"),
        ({"age": 50, "sbp_mmHg": 130}, "total_chol_band_mmol_l"),
        ({**VALUES, "age_band": "60-64"}, "age"),
        ({**VALUES, "sbp_mmHg": 400}, "sbp_mmHg"),
        ({**VALUES, "total_chol_unit": "g"}, "total_chol_unit"),
        ({**VALUES, "smoker": None}, "smoker"),
        ({**VALUES, "diabetes": "no"}, "diabetes"),
    ],
)
def test_bad_inputs_name_the_input(configured: Path, kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidInput) as err:
        who2019_cvd_chart_lab(**{**MAN, **kwargs})  # type: ignore[arg-type]
    assert err.value.name == name
