"""Build CareHub's table definitions of the Vietnamese health-insurance XML from the decision text.

Decision 130/QĐ-BYT (18/01/2023), amended by Decision 4750/QĐ-BYT (29/12/2023),
https://thuvienphapluat.vn/van-ban/The-thao-Y-te/Quyet-dinh-4750-QD-BYT-2023-sua-doi-Quyet-dinh-130-QD-BYT-594371.aspx

Two texts are read:

* the appendix tables (one sheet per table; rows ``STT | name | type | size |
  meaning | correction`` joined with ``" | "``). The 4750 correction column
  overrides the 130 type (``Đổi kiểu dữ liệu thành chuỗi``: now a string) and
  size (``Tăng kích thước tối đa lên N ký tự``); rows without a number are
  fields 4750 added. Size ``n`` means unbounded.
* guide 1245/BHXH-CNTT, whose XML skeletons give each table's element names
  (root, list and row elements) and field order.

The appendix has no "mandatory" column, so :data:`MANDATORY` is CareHub's own
reading of the field meanings: the fields every record of that table must
carry. The output, ``carehub/vn_insurance/data/tables.json``, is compact and
owned by CareHub; the texts themselves are never shipped.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from carehub.errors import Incorrect

APPENDIX_FILE = "qd4750-appendix-tables.txt"
GUIDE_FILE = "bhxh-1245-api-guide.txt"

SHEET_KEYS = {"Bang Check-in": "CHECKIN"}
"""Sheet titles that are not ``Bang <n>_...``; the others become ``XML<n>``."""

MANDATORY: dict[str, tuple[str, ...]] = {
    "CHECKIN": (
        "MA_LK", "STT", "MA_BN", "HO_TEN", "NGAY_SINH", "GIOI_TINH", "MA_DOITUONG_KCB",
        "NGAY_VAO", "MA_LOAI_KCB", "MA_CSKCB",
    ),
    "XML1": (
        "MA_LK", "STT", "MA_BN", "HO_TEN", "NGAY_SINH", "GIOI_TINH", "DIA_CHI", "MA_THE_BHYT",
        "MA_DKBD", "GT_THE_TU", "GT_THE_DEN", "CHAN_DOAN_RV", "MA_BENH_CHINH",
        "MA_DOITUONG_KCB", "NGAY_VAO", "NGAY_RA", "SO_NGAY_DTRI", "KET_QUA_DTRI", "MA_LOAI_RV",
        "NGAY_TTOAN", "T_THUOC", "T_VTYT", "T_TONGCHI_BV", "T_TONGCHI_BH", "T_BNTT", "T_BNCCT",
        "T_BHTT", "T_NGUONKHAC", "NAM_QT", "THANG_QT", "MA_LOAI_KCB", "MA_KHOA", "MA_CSKCB",
    ),
    "XML2": (
        "MA_LK", "STT", "MA_THUOC", "MA_NHOM", "TEN_THUOC", "DON_VI_TINH", "LIEU_DUNG",
        "PHAM_VI", "TYLE_TT_BH", "SO_LUONG", "DON_GIA", "THANH_TIEN_BV", "THANH_TIEN_BH",
        "T_NGUONKHAC", "MUC_HUONG", "T_BNTT", "T_BNCCT", "T_BHTT", "MA_KHOA", "MA_BAC_SI",
        "NGAY_YL", "MA_PTTT",
    ),
    "XML3": (
        "MA_LK", "STT", "MA_NHOM", "DON_VI_TINH", "PHAM_VI", "SO_LUONG", "DON_GIA_BV",
        "DON_GIA_BH", "TYLE_TT_BH", "THANH_TIEN_BV", "THANH_TIEN_BH", "T_NGUONKHAC",
        "MUC_HUONG", "T_BNTT", "T_BNCCT", "T_BHTT", "MA_KHOA", "MA_BAC_SI", "NGAY_YL", "MA_PTTT",
    ),
    "XML4": ("MA_LK", "STT", "MA_DICH_VU", "MA_CHI_SO", "TEN_CHI_SO", "NGAY_KQ"),
    "XML5": ("MA_LK", "STT", "DIEN_BIEN_LS", "THOI_DIEM_DBLS", "NGUOI_THUC_HIEN"),
    "XML7": (
        "MA_LK", "SO_LUU_TRU", "MA_YTE", "MA_KHOA_RV", "NGAY_VAO", "NGAY_RA", "CHAN_DOAN_RV",
        "PP_DIEUTRI", "MA_TTDV", "MA_BS", "TEN_BS", "NGAY_CT",
    ),
    "XML8": (
        "MA_LK", "MA_LOAI_KCB", "NGAY_VAO", "NGAY_RA", "CHAN_DOAN_VAO", "CHAN_DOAN_RV",
        "QT_BENHLY", "TOMTAT_KQ", "PP_DIEUTRI", "KET_QUA_DTRI", "MA_TTDV", "NGAY_CT",
    ),
    "XML11": (
        "MA_LK", "SO_CT", "SO_SERI", "MA_THE_BHYT", "CHAN_DOAN_RV", "SO_NGAY_NGHI", "TU_NGAY",
        "DEN_NGAY", "MA_TTDV", "MA_BS", "NGAY_CT", "MAU_SO",
    ),
    "XML13": (
        "MA_LK", "SO_HOSO", "SO_CHUYENTUYEN", "GIAY_CHUYEN_TUYEN", "MA_CSKCB", "MA_NOI_DI",
        "MA_NOI_DEN", "HO_TEN", "NGAY_SINH", "GIOI_TINH", "MA_THE_BHYT", "NGAY_VAO", "NGAY_RA",
        "CHAN_DOAN_RV", "MA_BENH_CHINH", "MA_LOAI_RV", "MA_LYDO_CT", "HUONG_DIEU_TRI",
        "MA_BAC_SI", "MA_TTDV",
    ),
    "XML14": (
        "MA_LK", "SO_GIAYHEN_KL", "MA_CSKCB", "HO_TEN", "NGAY_SINH", "GIOI_TINH", "MA_THE_BHYT",
        "NGAY_VAO", "NGAY_RA", "NGAY_HEN_KL", "CHAN_DOAN_RV", "MA_BENH_CHINH", "MA_BAC_SI",
        "MA_TTDV", "NGAY_CT",
    ),
    "XML6": ("MA_LK",),
    "XML9": ("MA_LK",),
    "XML10": ("MA_LK",),
    "XML12": ("HO_TEN", "NGAY_SINH"),
    "XML15": ("MA_LK", "STT"),
}  # fmt: skip
"""CareHub's mandatory fields per table (the decision has no such column)."""

_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_SHEET = re.compile(r"^=== SHEET\s+(.+?)\s*$")
_TABLE_NO = re.compile(r"^Bang (\d+)_")
_TO_STRING = "Đổi kiểu dữ liệu thành chuỗi"
_NEW_SIZE = re.compile(r"Tăng kích thước tối đa lên (\d+) ký tự")
_TYPES = {"Chuỗi": "string", "Số": "number"}
_SECTION = re.compile(r"^(?:2\.4\.|3\.5\.(\d+)\.)")


def sheet_key(title: str) -> str:
    """The table key of an appendix sheet title.

    Raises:
        Incorrect: an unexpected title.

    >>> sheet_key("Bang 3_DVKT, VTYT"), sheet_key("Bang Check-in")
    ('XML3', 'CHECKIN')
    """
    if title in SHEET_KEYS:
        return SHEET_KEYS[title]
    match = _TABLE_NO.match(title)
    if match is None:
        raise Incorrect(f"unexpected appendix sheet {title!r}")
    return f"XML{int(match.group(1))}"


def parse_field(cells: list[str]) -> dict[str, Any] | None:
    """One field from an appendix row's cells, or None when the row is not a field.

    >>> parse_field(["5", "SO_CCCD", "Số", "15", "...", "Đổi kiểu dữ liệu thành chuỗi"])
    {'name': 'SO_CCCD', 'type': 'string', 'size': 15}
    >>> parse_field(["", "LY_DO_VNT", "Chuỗi", "n", ""])
    {'name': 'LY_DO_VNT', 'type': 'string', 'size': None}
    """
    if len(cells) < 4 or not _NAME.match(cells[1].strip()):
        return None
    name, type_text, size_text = cells[1].strip(), cells[2].strip(), cells[3].strip()
    if type_text not in _TYPES:
        return None
    kind = _TYPES[type_text]
    size: int | None = None if size_text.lower() == "n" else int(size_text)
    correction = cells[5] if len(cells) > 5 else ""
    if _TO_STRING in correction:
        kind = "string"
    bigger = _NEW_SIZE.search(correction)
    if bigger:
        size = int(bigger.group(1))
    return {"name": name, "type": kind, "size": size}


def parse_appendix(text: str) -> dict[str, list[dict[str, Any]]]:
    """Every table's fields, in appendix order, keyed by table.

    Raises:
        Incorrect: a sheet has no field, or a field appears twice in one table.
    """
    tables: dict[str, list[dict[str, Any]]] = {}
    current: list[dict[str, Any]] | None = None
    key = ""
    for line in text.splitlines():
        sheet = _SHEET.match(line)
        if sheet:
            key = sheet_key(sheet.group(1))
            current = tables.setdefault(key, [])
            continue
        if current is None:
            continue
        found = parse_field(line.split(" | "))
        if found is None:
            continue
        if any(f["name"] == found["name"] for f in current):
            raise Incorrect(f"{key}: field {found['name']} listed twice")
        current.append(found)
    for name, fields in tables.items():
        if not fields:
            raise Incorrect(f"{name}: no field found in the appendix")
    return tables


def _layout(xml_text: str) -> dict[str, Any]:
    root = ET.fromstring(xml_text)
    first = root[0]
    if len(first) and len(first[0]):
        row = first[0]
        return {"root": root.tag, "list": first.tag, "row": row.tag, "order": [c.tag for c in row]}
    return {"root": root.tag, "list": None, "row": root.tag, "order": [c.tag for c in root]}


def parse_guide(text: str) -> dict[str, dict[str, Any]]:
    """Element names and field order of each table's XML file, from guide 1245.

    Raises:
        Incorrect: a skeleton is not well-formed XML.
    """
    layouts: dict[str, dict[str, Any]] = {}
    key: str | None = None
    buffer: list[str] = []
    root_tag: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        section = _SECTION.match(line)
        if section and root_tag is None:
            key = f"XML{int(section.group(1))}" if section.group(1) else "CHECKIN"
            continue
        if key is None:
            continue
        if root_tag is None:
            opening = re.match(r"^<([A-Z_0-9]+)>$", line)
            if opening:
                root_tag, buffer = opening.group(1), [line]
            continue
        if line.isdigit():  # page numbers of the PDF
            continue
        buffer.append(line)
        if line == f"</{root_tag}>":
            try:
                layouts[key] = _layout("\n".join(buffer))
            except ET.ParseError as exc:
                raise Incorrect(f"{key}: skeleton is not XML: {exc}") from exc
            key, root_tag = None, None
    return layouts


def build_tables(appendix: str, guide: str) -> dict[str, Any]:
    """The ``tables.json`` document: for each table its element names and ordered fields.

    Field order follows the guide's skeleton where it has one (that is what the
    portal parses); every field of the skeleton must be in the appendix.

    Raises:
        Incorrect: the two texts disagree, or a mandatory field is unknown.
    """
    fields = parse_appendix(appendix)
    layouts = parse_guide(guide)
    out: dict[str, Any] = {}
    for key in sorted(fields, key=_table_order):
        by_name = {f["name"]: f for f in fields[key]}
        layout = layouts.get(key)
        order = layout["order"] if layout else list(by_name)
        missing = [n for n in order if n not in by_name]
        if missing or (layout and set(order) != set(by_name)):
            extra = sorted(set(by_name) - set(order))
            raise Incorrect(f"{key}: guide and appendix differ (guide only {missing}, "
                            f"appendix only {extra})")
        mandatory = set(MANDATORY.get(key, ()))
        unknown = mandatory - set(by_name)
        if unknown:
            raise Incorrect(f"{key}: mandatory fields not in the table: {sorted(unknown)}")
        out[key] = {
            "root": layout["root"] if layout else None,
            "list": layout["list"] if layout else None,
            "row": layout["row"] if layout else None,
            "fields": [
                [n, by_name[n]["type"], by_name[n]["size"], n in mandatory] for n in order
            ],
        }
    return {
        "source": "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT; element names: 1245/BHXH-CNTT",
        "columns": ["name", "type", "size", "mandatory"],
        "tables": out,
    }


def _table_order(key: str) -> tuple[int, int]:
    return (0, 0) if key == "CHECKIN" else (1, int(key[3:]))


def read_sources(folder: Path) -> tuple[str, str]:
    """The appendix and guide texts from ``folder``.

    Raises:
        Incorrect: a file is missing.
    """
    try:
        return (
            (folder / APPENDIX_FILE).read_text(encoding="utf-8"),
            (folder / GUIDE_FILE).read_text(encoding="utf-8"),
        )
    except OSError as exc:
        raise Incorrect(f"cannot read the decision texts in {folder}: {exc}") from exc


def dumps(document: dict[str, Any]) -> str:
    """``document`` as the canonical text of ``tables.json`` (one field per line).

    >>> dumps({"tables": {"X": {"fields": [["A", "string", 1, True]]}}}).splitlines()[3]
    '      ["A", "string", 1, true]'
    """
    lines = ["{"]
    meta = {k: v for k, v in document.items() if k != "tables"}
    for k, v in meta.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},")
    lines.append('  "tables": {')
    tables = document["tables"]
    for i, (key, table) in enumerate(tables.items()):
        head = {k: v for k, v in table.items() if k != "fields"}
        head_text = json.dumps(head, ensure_ascii=False)[1:-1]
        sep = ", " if head_text else ""
        lines.append(f"    {json.dumps(key)}: {{{head_text}{sep}\"fields\": [")
        rows = [f"      {json.dumps(f, ensure_ascii=False)}" for f in table["fields"]]
        lines.append(",\n".join(rows))
        lines.append("    ]}" + ("," if i < len(tables) - 1 else ""))
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"
