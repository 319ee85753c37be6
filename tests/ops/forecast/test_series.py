"""Series frames: CSV layouts, checks with one-line errors, selection, frequency."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from carehub.errors import Incorrect, NotFound
from carehub.ops.forecast.csv_series import read_series_csv
from carehub.ops.forecast.series import infer_profile, select_series


def test_wide_monthly_csv_is_named_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "drug_a.csv"
    path.write_text("month,cost\n2024-01,1.5\n2024-02,2\n2024-03,2.5\n")
    df = read_series_csv(path)
    assert df["unique_id"].unique().tolist() == ["drug_a"]
    assert df["ds"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert infer_profile(df).freq == "MS"


def test_long_and_multi_column_csv(tmp_path: Path) -> None:
    long = tmp_path / "long.csv"
    long.write_text("unique_id,ds,y\na,2024-01-01,1\na,2024-01-02,2\nb,2024-01-01,3\n")
    assert read_series_csv(long).groupby("unique_id").size().to_dict() == {"a": 2, "b": 1}
    wide = tmp_path / "wide.csv"
    wide.write_text("date,ed,icu\n2024-01-01,10,2\n2024-01-02,12,3\n")
    assert sorted(read_series_csv(wide)["unique_id"].unique()) == ["ed", "icu"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,ed\n2024-01-01,ten\n", "wide.csv: value 'ten' is not a number"),
        (
            "date,ed\n2024-01-01,1\n2024-01-01,2\n",
            "wide.csv: series 'wide' has two values on 2024-01-01",
        ),
        ("date,ed\nnot a date,1\n", "wide.csv: dates are not readable"),
        ("only\n1\n", "wide.csv: expected columns unique_id,ds,y or a date column"),
        ("", "wide.csv: not a readable CSV"),
    ],
)
def test_malformed_csv_fails_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(text)
    with pytest.raises(Incorrect) as caught:
        read_series_csv(path)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_missing_csv_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        read_series_csv(tmp_path / "nope.csv")


def test_unknown_series_suggests_a_name() -> None:
    df = pd.DataFrame({"unique_id": ["visits", "emergency"], "ds": 1, "y": 1.0})
    with pytest.raises(NotFound, match=r"unknown series 'emergncy'\. Did you mean 'emergency'"):
        select_series(df, ["emergncy"])


def test_irregular_series_is_refused() -> None:
    days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06"])
    with pytest.raises(Incorrect, match="'a' is not regular"):
        infer_profile(pd.DataFrame({"unique_id": "a", "ds": days, "y": 1.0}))
