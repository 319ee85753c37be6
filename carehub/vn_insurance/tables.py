"""The field tables of the Vietnamese health-insurance XML (QĐ 130/QĐ-BYT, amended by 4750/QĐ-BYT).

https://thuvienphapluat.vn/van-ban/The-thao-Y-te/Quyet-dinh-4750-QD-BYT-2023-sua-doi-Quyet-dinh-130-QD-BYT-594371.aspx

Reads CareHub's own ``data/tables.json`` (built by ``scripts/build_vn_xml_tables.py``):
for each table (``CHECKIN``, ``XML1`` .. ``XML15``) its XML element names and its
ordered fields with type (``string`` or ``number``), maximum size (None:
unbounded) and whether CareHub treats it as mandatory. Date fields are
recognised by name; their format follows the size (:func:`date_format`).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources

from carehub.errors import NotFound, did_you_mean

_DATE_NAME = re.compile(
    r"^(NGAY|THOI_DIEM|THOIGIAN|GT_THE_|TU_NGAY|DEN_NGAY|NGOAITRU_|BDDT_ARV|NAM_NAM_LIEN_TUC)"
)


@dataclass(frozen=True, slots=True)
class Field:
    """One field (chỉ tiêu) of a table."""

    name: str
    type: str
    size: int | None
    mandatory: bool

    @property
    def date_format(self) -> str | None:
        """``date`` (yyyymmdd), ``datetime`` (yyyymmddHHMM), ``dates`` or None.

        ``dates`` is a ``;``-separated list whose items are dates or date-times
        (a record lists each card's validity, or several re-visit days).

        >>> Field("NGAY_VAO", "string", 12, True).date_format
        'datetime'
        >>> Field("GT_THE_DEN", "string", None, True).date_format
        'dates'
        >>> Field("MA_LK", "string", 100, True).date_format is None
        True
        """
        if self.type != "string" or not _DATE_NAME.match(self.name):
            return None
        if self.size == 8:
            return "date"
        if self.size == 12 and self.name != "NGAY_MIEN_CCT":
            return "datetime"
        return "dates"


@dataclass(frozen=True, slots=True)
class Table:
    """One table: its key, XML element names and fields in file order.

    ``list_tag`` is None for tables holding a single record (XML1, XML7, ...),
    whose root element is the record itself.
    """

    key: str
    root: str
    list_tag: str | None
    row: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        """The field ``name``.

        Raises:
            NotFound: no such field (with a suggestion).
        """
        for f in self.fields:
            if f.name == name:
                return f
        names = [f.name for f in self.fields]
        raise NotFound(f"{self.key} has no field {name}." + did_you_mean(name, names))

    @property
    def names(self) -> tuple[str, ...]:
        """Field names in file order."""
        return tuple(f.name for f in self.fields)


@functools.cache
def _load() -> dict[str, Table]:
    text = resources.files("carehub.vn_insurance").joinpath("data/tables.json").read_text("utf-8")
    document = json.loads(text)
    out: dict[str, Table] = {}
    for key, raw in document["tables"].items():
        if raw["root"] is None:
            continue  # XML12 is typed in on the portal, never sent as a file
        fields = tuple(Field(n, t, s, m) for n, t, s, m in raw["fields"])
        out[key] = Table(key, raw["root"], raw["list"], raw["row"], fields)
    return out


def tables() -> dict[str, Table]:
    """Every table that travels as a file, keyed ``CHECKIN``, ``XML1`` ...

    >>> tables()["XML2"].row
    'CHI_TIET_THUOC'
    """
    return _load()


def table(key: str) -> Table:
    """The table ``key``.

    Raises:
        NotFound: no such table (with a suggestion).

    >>> table("XML1").root, table("XML1").list_tag
    ('TONG_HOP', None)
    >>> table("XML-1")
    Traceback (most recent call last):
    ...
    carehub.errors.NotFound: no XML table XML-1. Did you mean 'XML1'?
    """
    found = _load().get(key)
    if found is None:
        raise NotFound(f"no XML table {key}." + did_you_mean(key, _load()))
    return found


def table_for_root(root_tag: str) -> Table | None:
    """The table whose file has root element ``root_tag``, if any.

    >>> table_for_root("CHITIEU_CHITIET_THUOC").key
    'XML2'
    """
    for t in _load().values():
        if t.root == root_tag:
            return t
    return None
