"""Bronchodilator responsiveness: strict > 10 % (ERS/ATS 2022) and > 12 % / > 200 mL (GINA)."""

from __future__ import annotations

import pytest

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.lung.bronchodilator import bdr_ers_ats_2022, bdr_gina_adult


@pytest.mark.parametrize(
    ("post", "positive"), [(2.30, False), (2.3001, True), (2.29, False), (2.31, True)]
)
def test_ers_ats_ten_percent_is_strict(post: float, positive: bool) -> None:
    assert bdr_ers_ats_2022(pre_fev1=2.0, post_fev1=post, pred_fev1=3.0)["positive"] is positive


def test_ers_ats_either_index() -> None:
    r = bdr_ers_ats_2022(
        pre_fev1=2.0, post_fev1=2.1, pred_fev1=3.0, pre_fvc=3.0, post_fvc=3.5, pred_fvc=4.0
    )
    assert r["positive"] is True
    assert r["change_pct_pred_fev1"] == 3.33 and r["change_pct_pred_fvc"] == 12.5
    assert r["change_pct_pred"] == 12.5


def test_ers_ats_exact_ten_fvc_negative() -> None:
    assert bdr_ers_ats_2022(pre_fvc=3.0, post_fvc=3.4, pred_fvc=4.0)["positive"] is False


def test_ers_ats_missing_inputs_named() -> None:
    with pytest.raises(InvalidInput) as exc:
        bdr_ers_ats_2022()
    assert exc.value.name == "pre_fev1"
    with pytest.raises(InvalidInput) as exc:
        bdr_ers_ats_2022(pre_fvc=3.0, post_fvc=3.5)
    assert exc.value.name == "pred_fvc"
    with pytest.raises(InvalidInput) as exc:
        bdr_ers_ats_2022(pre_fev1=2.0, post_fev1=2.3, pred_fev1=0)
    assert exc.value.name == "pred_fev1"


@pytest.mark.parametrize(
    ("pre", "post", "positive", "high"),
    [
        (2.0, 2.24, False, False),  # 12 % exactly, 240 mL: not > 12 %
        (2.0, 2.25, True, False),
        (1.5, 1.70, False, False),  # 13.3 % but 200 mL exactly: not > 200 mL
        (1.5, 1.71, True, False),
        (2.0, 2.30, True, False),  # 15 % exactly: not high confidence
        (2.5, 2.90, True, False),  # 16 % but 400 mL exactly
        (2.5, 2.91, True, True),
        (4.0, 4.30, False, False),  # 300 mL but 7.5 %
    ],
)
def test_gina_boundaries(pre: float, post: float, positive: bool, high: bool) -> None:
    r = bdr_gina_adult(pre, post)
    assert (r["positive"], r["high_confidence"]) == (positive, high)


def test_gina_children_not_applicable() -> None:
    r = bdr_gina_adult(1.0, 1.2, age=10)
    assert not r.applicable and "predicted" in r.reason
    assert bdr_gina_adult(1.0, 1.3, age=12)["positive"] is True


def test_gina_bad_volume_named() -> None:
    with pytest.raises(InvalidInput) as exc:
        bdr_gina_adult(2.0, None)  # type: ignore[arg-type]
    assert exc.value.name == "post_fev1_l"
