"""The table definitions: regenerated from the decision texts, and their known facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from carehub.errors import NotFound
from carehub.vn_insurance.tables import table, tables
from carehub.vn_insurance.tables_build import build_tables, dumps, parse_field, read_sources

DATA = Path(__file__).resolve().parents[2] / "carehub" / "vn_insurance" / "data" / "tables.json"


def test_regenerated_json_is_identical(shared_dir: Path) -> None:
    source = shared_dir / "reference" / "vn-insurance-xml"
    assert dumps(build_tables(*read_sources(source))) == DATA.read_text(encoding="utf-8")


def test_corrections_of_4750_are_applied() -> None:
    xml1 = table("XML1")
    assert xml1.field("SO_CCCD").type == "string"  # "Đổi kiểu dữ liệu thành chuỗi"
    assert xml1.field("MA_DOITUONG_KCB").size == 4  # "Tăng kích thước tối đa lên 4 ký tự"
    assert table("CHECKIN").field("MA_DOITUONG_KCB").type == "string"
    assert table("XML2").field("MA_KHOA").size == 50
    assert xml1.field("NHOM_MAU").size == 5  # a field 4750 added, without a number
    assert xml1.field("LY_DO_VV").size is None  # "n": unbounded


def test_layout_and_order_follow_guide_1245() -> None:
    assert (table("XML3").root, table("XML3").list_tag, table("XML3").row) == (
        "CHITIEU_CHITIET_DVKT_VTYT", "DSACH_CHI_TIET_DVKT", "CHI_TIET_DVKT")
    assert table("XML1").names[:8] == ("MA_LK", "STT", "MA_BN", "HO_TEN", "SO_CCCD",
                                       "NGAY_SINH", "GIOI_TINH", "NHOM_MAU")
    assert len(table("XML1").fields) == 66
    assert table("XML2").names.index("NGAY_TH_YL") == table("XML2").names.index("NGAY_YL") + 1
    assert "XML12" not in tables()  # typed in on the portal, never a file


def test_mandatory_and_dates() -> None:
    xml1 = table("XML1")
    assert xml1.field("T_BHTT").mandatory and not xml1.field("NHOM_MAU").mandatory
    assert xml1.field("NGAY_RA").date_format == "datetime"
    assert table("XML7").field("NGAY_CT").date_format == "date"


def test_parse_field_ignores_notes() -> None:
    assert parse_field(["", "Ghi chú: Ký hiệu", "", ""]) is None
    assert parse_field(["1", "MA_LK", "Chuỗi", "100", "..."]) == {
        "name": "MA_LK", "type": "string", "size": 100}


def test_unknown_field_suggests() -> None:
    with pytest.raises(NotFound, match="Did you mean 'T_BHTT'"):
        table("XML1").field("T_BHTTT")
