"""The GIAMDINHHS envelope that carries the XML files to the appraisal portal.

Guide 1245/BHXH-CNTT (2024), section I.3.4, implementing QĐ 4750/QĐ-BYT:
https://thuvienphapluat.vn/cong-van/Bao-hiem/Cong-van-1245-BHXH-CNTT-2024-kiem-thu-tiep-nhan-du-lieu-dien-tu-dinh-dang-XML-606343.aspx

``GIAMDINHHS`` holds the facility code (``THONGTINDONVI/MACSKCB``), the date it
was made (``NGAYLAP``, yyyymmdd), the number of episodes (``SOLUONGHOSO``) and,
per episode, a ``HOSO`` of ``FILEHOSO`` entries: the table (``LOAIHOSO``:
``XML1`` ...) and the file's bytes in base64 (``NOIDUNGFILE``). ``CHUKYDONVI``
is the facility's signature, left empty here. The check-in table travels
alone, through another service, not in this envelope.
"""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

from carehub.errors import Incorrect
from carehub.vn_insurance.tables import table
from carehub.vn_insurance.validate import Record
from carehub.vn_insurance.xml_files import parse_xml, read_table, serialise, write_table

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
FILE_ORDER = ("XML1", "XML2", "XML3", "XML4", "XML5", "XML6", "XML7", "XML8", "XML9",
              "XML10", "XML11", "XML13", "XML14", "XML15")  # fmt: skip
"""Order of the files in a HOSO, as in the guide."""

Episode = dict[str, list[Record]]
"""One episode's tables: key → records."""


@dataclass(slots=True)
class Envelope:
    """A decoded GIAMDINHHS file."""

    facility: str
    created: str
    episodes: list[Episode] = field(default_factory=list)


def build_envelope(facility: str, created: str, episodes: Sequence[Episode]) -> bytes:
    """The GIAMDINHHS file for ``episodes`` (tables without records are left out).

    Args:
        facility: MACSKCB, the facility's 5-character code.
        created: NGAYLAP, ``yyyymmdd``.
        episodes: each episode's tables.

    Raises:
        Incorrect: an episode has a table that does not travel in the envelope.

    >>> data = build_envelope("01001", "20260101", [{"XML5": [{"MA_LK": "E1", "STT": "1"}]}])
    >>> read_envelope(data).episodes[0]["XML5"][0]["MA_LK"]
    'E1'
    """
    root = ET.Element("GIAMDINHHS")
    root.set("xmlns:xsi", XSI)
    root.set("xmlns:xsd", XSD)
    ET.SubElement(ET.SubElement(root, "THONGTINDONVI"), "MACSKCB").text = facility
    info = ET.SubElement(root, "THONGTINHOSO")
    ET.SubElement(info, "NGAYLAP").text = created
    ET.SubElement(info, "SOLUONGHOSO").text = str(len(episodes))
    listing = ET.SubElement(info, "DANHSACHHOSO")
    for episode in episodes:
        unknown = set(episode) - set(FILE_ORDER)
        if unknown:
            raise Incorrect(f"tables {sorted(unknown)} are not sent in a GIAMDINHHS envelope")
        hoso = ET.SubElement(listing, "HOSO")
        for key in FILE_ORDER:
            records = episode.get(key)
            if not records:
                continue
            entry = ET.SubElement(hoso, "FILEHOSO")
            ET.SubElement(entry, "LOAIHOSO").text = key
            content = base64.b64encode(write_table(table(key), records)).decode("ascii")
            ET.SubElement(entry, "NOIDUNGFILE").text = content
    ET.SubElement(root, "CHUKYDONVI")
    return serialise(root)


def read_envelope(data: bytes) -> Envelope:
    """Decode a GIAMDINHHS file: every HOSO's tables and records.

    Raises:
        Incorrect: not a GIAMDINHHS file, bad base64, a file whose root does not
            match its LOAIHOSO, or SOLUONGHOSO not the number of HOSO.
    """
    root = parse_xml(data, "envelope")
    if root.tag != "GIAMDINHHS":
        raise Incorrect(f"expected a <GIAMDINHHS> envelope, not <{root.tag}>")
    envelope = Envelope(
        facility=(root.findtext("THONGTINDONVI/MACSKCB") or "").strip(),
        created=(root.findtext("THONGTINHOSO/NGAYLAP") or "").strip(),
    )
    for h, hoso in enumerate(root.iterfind("THONGTINHOSO/DANHSACHHOSO/HOSO"), start=1):
        episode: Episode = {}
        for entry in hoso.iterfind("FILEHOSO"):
            kind = (entry.findtext("LOAIHOSO") or "").strip()
            what = f"HOSO {h} {kind or 'FILEHOSO'}"
            try:
                content = base64.b64decode((entry.findtext("NOIDUNGFILE") or "").strip(),
                                           validate=True)
            except (binascii.Error, ValueError):
                raise Incorrect(f"{what}: NOIDUNGFILE is not base64") from None
            tbl, records = read_table(content, what)
            if tbl.key != kind:
                raise Incorrect(f"{what}: the file inside is {tbl.key}")
            episode.setdefault(kind, []).extend(records)
        envelope.episodes.append(episode)
    declared = (root.findtext("THONGTINHOSO/SOLUONGHOSO") or "").strip()
    if declared != str(len(envelope.episodes)):
        raise Incorrect(f"SOLUONGHOSO says {declared or 'nothing'} but the envelope holds "
                        f"{len(envelope.episodes)} HOSO")
    return envelope
