"""One table's XML file: records to bytes and back (QĐ 4750/QĐ-BYT, guide 1245/BHXH-CNTT).

https://thuvienphapluat.vn/van-ban/The-thao-Y-te/Quyet-dinh-4750-QD-BYT-2023-sua-doi-Quyet-dinh-130-QD-BYT-594371.aspx

A table of several records nests them as ``<root><list><row>...</row></list></root>``
(XML2 ``CHITIEU_CHITIET_THUOC/DSACH_CHI_TIET_THUOC/CHI_TIET_THUOC``); a
single-record table is the record itself (XML1 ``TONG_HOP``). Every field of the
table is written, in table order, empty when it has no value. Files are UTF-8
with an XML declaration. Reading keeps unknown elements, so the validator can
report them, and refuses DTDs (no entity tricks in files from elsewhere).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from carehub.errors import Incorrect
from carehub.vn_insurance.tables import Table, table_for_root
from carehub.vn_insurance.validate import Record

DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'


def to_element(tbl: Table, records: Sequence[Record]) -> ET.Element:
    """The file's root element for ``records`` of ``tbl``.

    Raises:
        Incorrect: several records for a single-record table.
    """
    if tbl.list_tag is None:
        if len(records) != 1:
            raise Incorrect(f"{tbl.key} holds exactly one record, not {len(records)}")
        root = ET.Element(tbl.root)
        _fill(root, tbl, records[0])
        return root
    root = ET.Element(tbl.root)
    holder = ET.SubElement(root, tbl.list_tag)
    for rec in records:
        _fill(ET.SubElement(holder, tbl.row), tbl, rec)
    return root


def _fill(parent: ET.Element, tbl: Table, rec: Record) -> None:
    for name in tbl.names:
        ET.SubElement(parent, name).text = rec.get(name, "")


def write_table(tbl: Table, records: Sequence[Record]) -> bytes:
    """``records`` as the bytes of ``tbl``'s XML file.

    >>> from carehub.vn_insurance.tables import table
    >>> write_table(table("XML5"), [{"MA_LK": "E1", "STT": "1"}]).splitlines()[:2]
    [b'<?xml version="1.0" encoding="utf-8"?>', b'<CHITIEU_CHITIET_DIENBIENLAMSANG>']
    """
    return serialise(to_element(tbl, records))


def serialise(root: ET.Element) -> bytes:
    """``root`` indented, as UTF-8 bytes after the declaration the guide shows."""
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8")
    return DECLARATION + body


def parse_xml(data: bytes, what: str) -> ET.Element:
    """Parse ``data`` as XML, refusing document type declarations.

    Raises:
        Incorrect: not well-formed, or has a DTD.
    """
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise Incorrect(f"{what}: document type declarations are not accepted")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise Incorrect(f"{what} is not well-formed XML: {exc}") from None


def record_of(element: ET.Element) -> Record:
    """The fields of one record element (child tag → stripped text).

    >>> record_of(ET.fromstring("<R><MA_LK> E1 </MA_LK><STT/></R>"))
    {'MA_LK': 'E1', 'STT': ''}
    """
    return {child.tag: (child.text or "").strip() for child in element}


def read_table(data: bytes, what: str = "file") -> tuple[Table, list[Record]]:
    """The table and records of one XML file.

    Raises:
        Incorrect: malformed XML, an unknown root element, or a list without rows.
    """
    root = parse_xml(data, what)
    tbl = table_for_root(root.tag)
    if tbl is None:
        raise Incorrect(f"{what}: <{root.tag}> is not the root of any XML table")
    if tbl.list_tag is None:
        return tbl, [record_of(root)]
    holder = root.find(tbl.list_tag)
    if holder is None:
        raise Incorrect(f"{what}: <{tbl.root}> has no <{tbl.list_tag}>")
    return tbl, [record_of(row) for row in holder.findall(tbl.row)]
