"""The validator reports every problem with table, record and field."""

from __future__ import annotations

import copy

import pytest

from carehub.errors import Invalid
from carehub.vn_insurance.validate import raise_if_invalid, validate_hoso
from tests.vn_insurance.test_export import INPATIENT, exported


def broken(changes: dict[tuple[str, int, str], str | None]) -> list[str]:
    hoso = copy.deepcopy(exported(INPATIENT).hoso)
    for (key, index, name), value in changes.items():
        if value is None:
            del hoso[key][index][name]
        else:
            hoso[key][index][name] = value
    return sorted(str(p) for p in validate_hoso(hoso))


def test_valid_export_has_no_problem() -> None:
    assert validate_hoso(exported(INPATIENT).hoso) == []


def test_fund_total_must_be_cost_minus_copayment() -> None:
    problems = broken({("XML1", 0, "T_BHTT"): "1"})
    rule = "XML1[1].T_BHTT: T_BHTT should be T_TONGCHI_BH − T_BNCCT"
    total = "XML1[1].T_BHTT: should be the sum over XML2 and XML3"
    assert any(p.startswith(rule) for p in problems)
    assert any(p.startswith(total) for p in problems)


def test_line_amount_must_be_quantity_times_price() -> None:
    problems = broken({("XML2", 0, "SO_LUONG"): "9"})
    assert "XML2[1].THANH_TIEN_BV: SO_LUONG × DON_GIA = 36558.00, not 32496" in problems


def test_every_problem_is_reported() -> None:
    problems = broken({
        ("XML1", 0, "HO_TEN"): None,               # mandatory missing
        ("XML1", 0, "GIOI_TINH"): "x",             # not a number
        ("XML1", 0, "MA_BENH_CHINH"): "J11.1000",  # longer than 7
        ("XML3", 0, "NGAY_YL"): "2025102601",      # not yyyymmddHHMM
        ("XML4", 1, "STT"): "7",                   # out of sequence
        ("XML4", 0, "MA_LK"): "other",             # another episode
        ("XML2", 0, "BOGUS"): "1",                 # unknown element
    })
    expected = [
        "XML1[1].HO_TEN: mandatory field is empty or missing",
        "XML1[1].GIOI_TINH: not a number: 'x'",
        "XML1[1].MA_BENH_CHINH: 8 characters, more than the maximum 7",
        "XML3[1].NGAY_YL: '2025102601' is not yyyymmddHHMM",
        "XML4[2].STT: STT should be 2",
        "XML4[1].MA_LK: MA_LK 'other' differs from XML1's 'p0000087-e5'",
        "XML2[1].BOGUS: XML2 has no field BOGUS",
    ]
    for line in expected:
        assert line in problems
    assert len(problems) == len(expected)


def test_invalid_carries_every_issue() -> None:
    hoso = copy.deepcopy(exported(INPATIENT).hoso)
    hoso["XML1"][0]["HO_TEN"] = ""
    hoso["XML1"][0]["NGAY_RA"] = "x"
    with pytest.raises(Invalid, match=r"HO_TEN.*\(and 1 more\)") as caught:
        raise_if_invalid(validate_hoso(hoso), "test")
    assert [i.expression for i in caught.value.issues] == [("XML1[1].HO_TEN",),
                                                          ("XML1[1].NGAY_RA",)]
