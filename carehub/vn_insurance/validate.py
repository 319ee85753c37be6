"""Check health-insurance XML records against the field tables and the money rules.

QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT,
https://thuvienphapluat.vn/van-ban/The-thao-Y-te/Quyet-dinh-4750-QD-BYT-2023-sua-doi-Quyet-dinh-130-QD-BYT-594371.aspx

:func:`validate_hoso` checks one treatment episode (hồ sơ: a table key →
records mapping) and returns *every* problem, each naming its table, record
(1-based) and field:

* per field: unknown element, mandatory field empty, a number that is not one,
  text longer than the maximum size, a malformed ``yyyymmdd[HHMM]`` value;
* per table: ``STT`` not counting 1, 2, 3 ...; a ``MA_LK`` other than XML1's;
* per cost line (XML2, XML3): ``THANH_TIEN_BV = SO_LUONG × DON_GIA``,
  ``T_NGUONKHAC`` = the sum of its four sources, and the line's payers
  (patient outside cover, patient co-payment, fund, other sources) adding up
  to ``THANH_TIEN_BV``;
* XML1 totals: ``T_THUOC``, ``T_VTYT``, ``T_TONGCHI_BV``, ``T_TONGCHI_BH``,
  ``T_BNTT``, ``T_BNCCT``, ``T_BHTT``, ``T_NGUONKHAC`` equal the sums over XML2
  and XML3, and ``T_BHTT = T_TONGCHI_BH − T_BNCCT``.

Amounts may differ by rounding (:data:`TOLERANCE` per line, one cent per
line for sums).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from carehub.errors import Incorrect, Invalid, Issue
from carehub.vn_insurance.tables import Field, Table, table
from carehub.vn_insurance.values import decimal, parse_xml_time, round_money

Record = dict[str, str]
"""One record: field name → text, in file order."""
Hoso = Mapping[str, Sequence[Record]]
"""One treatment episode's files: table key → its records."""

TOLERANCE = Decimal("0.02")
"""Largest rounding difference accepted on one computed amount."""

_SOURCES = ("T_NGUONKHAC_NSNN", "T_NGUONKHAC_VTNN", "T_NGUONKHAC_VTTN", "T_NGUONKHAC_CL")
_PAYERS = ("T_BNTT", "T_BNCCT", "T_BHTT", "T_NGUONKHAC")


@dataclass(frozen=True, slots=True)
class Problem:
    """One failed check.

    Attributes:
        table: table key (``XML1`` ...).
        record: 1-based record number within the table (0: the table as a whole).
        field: the field concerned ("" when none).
        code: ``unknown``, ``required``, ``type``, ``size``, ``format``, ``sequence``,
            ``link`` or ``total``.
        message: a one-line explanation.
    """

    table: str
    record: int
    field: str
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.table}[{self.record}]" + (f".{self.field}" if self.field else "")
        return f"{where}: {self.message}"

    def to_issue(self) -> Issue:
        """The problem as an OperationOutcome issue (expression ``XML1[1].MA_LK``)."""
        code = {"required": "required", "unknown": "structure", "total": "business-rule"}
        where = f"{self.table}[{self.record}]" + (f".{self.field}" if self.field else "")
        return Issue("error", code.get(self.code, "value"), str(self), (where,))


def check_value(tbl: Table, fld: Field, text: str, record: int) -> list[Problem]:
    """The problems of one field value (empty text: only the mandatory check).

    >>> from carehub.vn_insurance.tables import table
    >>> t = table("XML1")
    >>> [p.code for p in check_value(t, t.field("NGAY_VAO"), "20251310", 1)]
    ['format']
    >>> [p.code for p in check_value(t, t.field("T_BHTT"), "12a", 1)]
    ['type']
    """
    out: list[Problem] = []

    def add(code: str, message: str) -> None:
        out.append(Problem(tbl.key, record, fld.name, code, message))

    if not text.strip():
        if fld.mandatory:
            add("required", "mandatory field is empty or missing")
        return out
    if fld.size is not None and len(text) > fld.size:
        add("size", f"{len(text)} characters, more than the maximum {fld.size}")
    if fld.type == "number":
        try:
            decimal(text)
        except Incorrect:
            add("type", f"not a number: {text!r}")
    fmt = fld.date_format
    if fmt is not None:
        parts = text.split(";") if fmt == "dates" else [text]
        want = {"date": (8,), "datetime": (12,), "dates": (8, 12)}[fmt]
        for part in parts:
            try:
                if len(part.strip()) not in want:
                    raise Incorrect("wrong length")
                parse_xml_time(part)
            except Incorrect:
                shape = {"date": "yyyymmdd", "datetime": "yyyymmddHHMM"}.get(fmt, "yyyymmdd[HHMM]")
                add("format", f"{part!r} is not {shape}")
    return out


def validate_table(key: str, records: Sequence[Record]) -> list[Problem]:
    """Field checks and the ``STT`` sequence of one table's records.

    Raises:
        NotFound: ``key`` is not a table.
    """
    tbl = table(key)
    known = set(tbl.names)
    out: list[Problem] = []
    for number, rec in enumerate(records, start=1):
        for name in rec:
            if name not in known:
                out.append(Problem(key, number, name, "unknown", f"{key} has no field {name}"))
        for fld in tbl.fields:
            out.extend(check_value(tbl, fld, rec.get(fld.name, ""), number))
        if "STT" in known and rec.get("STT", "").strip() not in ("", str(number)):
            out.append(Problem(key, number, "STT", "sequence", f"STT should be {number}"))
    return out


def _amount(rec: Record, name: str) -> Decimal:
    try:
        return decimal(rec.get(name, "") or "0")
    except Incorrect:
        return Decimal(0)  # reported by the field checks


def check_cost_line(key: str, number: int, rec: Record) -> list[Problem]:
    """The money rules of one XML2 or XML3 line.

    >>> line = {"SO_LUONG": "2", "DON_GIA": "1000", "THANH_TIEN_BV": "2000", "T_BNTT": "0",
    ...         "T_BNCCT": "400", "T_BHTT": "1500", "T_NGUONKHAC": "0"}
    >>> [str(p) for p in check_cost_line("XML2", 1, line)]
    ['XML2[1].THANH_TIEN_BV: payers add up to 1900.00, not 2000']
    """
    out: list[Problem] = []
    price = "DON_GIA" if key == "XML2" else "DON_GIA_BV"
    total = _amount(rec, "THANH_TIEN_BV")
    expected = round_money(_amount(rec, "SO_LUONG") * _amount(rec, price))
    if abs(expected - total) > TOLERANCE:
        out.append(Problem(key, number, "THANH_TIEN_BV", "total",
                           f"SO_LUONG × {price} = {expected}, not {rec.get('THANH_TIEN_BV')}"))
    if any(rec.get(s) for s in _SOURCES):
        parts = sum((_amount(rec, s) for s in _SOURCES), Decimal(0))
        if abs(parts - _amount(rec, "T_NGUONKHAC")) > TOLERANCE:
            out.append(Problem(key, number, "T_NGUONKHAC", "total",
                               f"its four sources add up to {parts}, not {rec.get('T_NGUONKHAC')}"))
    paid = sum((_amount(rec, p) for p in _PAYERS), Decimal(0))
    if abs(round_money(paid) - total) > TOLERANCE:
        out.append(Problem(key, number, "THANH_TIEN_BV", "total",
                           f"payers add up to {round_money(paid)}, not {rec.get('THANH_TIEN_BV')}"))
    return out


def check_totals(hoso: Hoso) -> list[Problem]:
    """XML1's totals against the sums of the XML2 and XML3 lines."""
    summaries = hoso.get("XML1") or []
    if not summaries:
        return []
    head = summaries[0]
    drugs, services = hoso.get("XML2") or [], hoso.get("XML3") or []
    lines = [*drugs, *services]
    tolerance = Decimal("0.01") * max(len(lines), 2)

    def total(records: Iterable[Record], name: str) -> Decimal:
        return sum((_amount(r, name) for r in records), Decimal(0))

    expected = {
        "T_THUOC": total(drugs, "THANH_TIEN_BV"),
        "T_VTYT": total((s for s in services if s.get("MA_VAT_TU")), "THANH_TIEN_BV"),
        "T_TONGCHI_BV": total(lines, "THANH_TIEN_BV"),
        "T_TONGCHI_BH": total(lines, "THANH_TIEN_BH"),
        **{name: total(lines, name) for name in _PAYERS},
    }
    out: list[Problem] = []
    for name, value in expected.items():
        if abs(_amount(head, name) - value) > tolerance:
            out.append(Problem("XML1", 1, name, "total",
                               f"should be the sum over XML2 and XML3 lines, {value}, "
                               f"not {head.get(name) or 0}"))
    rule = _amount(head, "T_TONGCHI_BH") - _amount(head, "T_BNCCT")
    if abs(rule - _amount(head, "T_BHTT")) > tolerance:
        out.append(Problem("XML1", 1, "T_BHTT", "total",
                           f"T_BHTT should be T_TONGCHI_BH − T_BNCCT = {rule}, "
                           f"not {head.get('T_BHTT') or 0}"))
    return out


def validate_hoso(hoso: Hoso) -> list[Problem]:
    """Every problem of one treatment episode's files (empty list: valid).

    Raises:
        NotFound: a key of ``hoso`` is not a table.
    """
    out: list[Problem] = []
    for key, records in hoso.items():
        out.extend(validate_table(key, records))
        if key in ("XML2", "XML3"):
            for number, rec in enumerate(records, start=1):
                out.extend(check_cost_line(key, number, rec))
    summaries = hoso.get("XML1") or []
    if len(summaries) != 1 and any(k != "CHECKIN" for k in hoso):
        out.append(Problem("XML1", 0, "", "required",
                           f"an episode needs exactly one XML1 record, not {len(summaries)}"))
    if summaries:
        ma_lk = summaries[0].get("MA_LK", "")
        for key, records in hoso.items():
            for number, rec in enumerate(records, start=1):
                if "MA_LK" in rec and rec["MA_LK"] != ma_lk and key != "CHECKIN":
                    out.append(Problem(key, number, "MA_LK", "link",
                                       f"MA_LK {rec['MA_LK']!r} differs from XML1's {ma_lk!r}"))
    out.extend(check_totals(hoso))
    return out


def raise_if_invalid(problems: Sequence[Problem], what: str) -> None:
    """Raise :class:`Invalid` carrying every problem when there is any.

    Raises:
        Invalid: ``problems`` is not empty; the message names the first and counts the rest.
    """
    if not problems:
        return
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    raise Invalid(f"{what} is not valid: {problems[0]}{more}",
                  issues=[p.to_issue() for p in problems])
