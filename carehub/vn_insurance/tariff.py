"""The hospital's price list for insurance claims, and the money of one cost line.

QĐ 130/QĐ-BYT, tables 2 and 3 (field formulas THANH_TIEN_BV, THANH_TIEN_BH,
T_BNTT, T_BNCCT, T_BHTT):
https://thuvienphapluat.vn/van-ban/The-thao-Y-te/Quyet-dinh-130-QD-BYT-2023-chuan-dinh-dang-du-lieu-dau-ra-quan-ly-kham-chua-benh-552476.aspx

FHIR data says *what* was given, not what it cost, so prices come from a CSV
the hospital supplies (setting ``CAREHUB_VN_TARIFF``) with the columns

``kind,code,bhyt_code,name,unit,price,group,pay_ratio,scope``

* ``kind``: ``drug`` (``code`` = ATC), ``supply`` (the stock code), ``lab``
  (LOINC), ``exam`` and ``bed`` (``code`` = department, or ``*`` for all);
* ``bhyt_code``: the code in the Ministry's shared catalogue (MA_THUOC,
  MA_VAT_TU, MA_DICH_VU); ``group``: MA_NHOM (QĐ 5937 appendix 3);
* ``price``: VND per unit; ``pay_ratio``: TYLE_TT_BH (%); ``scope``: PHAM_VI
  (1 covered, 2 not covered).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from carehub.errors import Incorrect, NotFound, did_you_mean
from carehub.vn_insurance.values import decimal, number_text, round_money

KINDS = ("drug", "supply", "lab", "exam", "bed")
COLUMNS = ("kind", "code", "bhyt_code", "name", "unit", "price", "group", "pay_ratio", "scope")


@dataclass(frozen=True, slots=True)
class Item:
    """One priced item of the tariff."""

    kind: str
    code: str
    bhyt_code: str
    name: str
    unit: str
    price: Decimal
    group: str
    pay_ratio: int
    scope: int


class Tariff:
    """Priced items by ``(kind, code)``; ``*`` codes match any code of their kind."""

    def __init__(self, items: list[Item]) -> None:
        self._items = {(i.kind, i.code): i for i in items}

    def price(self, kind: str, code: str) -> Item:
        """The item of ``kind`` and ``code`` (or the kind's ``*`` item).

        Raises:
            NotFound: the tariff does not price it (with a suggestion).
        """
        found = self._items.get((kind, code)) or self._items.get((kind, "*"))
        if found is None:
            codes = [c for k, c in self._items if k == kind]
            raise NotFound(f"the tariff has no {kind} '{code}'." + did_you_mean(code, codes))
        return found

    def __len__(self) -> int:
        return len(self._items)


def parse_tariff(text: str, source: str = "tariff") -> Tariff:
    """Read the tariff CSV.

    Raises:
        Incorrect: a missing column, an unknown kind or a bad number (row named).

    >>> t = parse_tariff("kind,code,bhyt_code,name,unit,price,group,pay_ratio,scope\\n"
    ...                  "exam,*,02.1896,Khám Nội,lần,50600,13,100,1\\n")
    >>> t.price("exam", "noi-tim-mach").price
    Decimal('50600')
    """
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise Incorrect(f"{source}: missing columns {missing}")
    items = []
    for line, row in enumerate(reader, start=2):
        try:
            if row["kind"] not in KINDS:
                raise Incorrect(f"kind must be one of {list(KINDS)}, not {row['kind']!r}")
            items.append(Item(row["kind"], row["code"], row["bhyt_code"], row["name"],
                              row["unit"], decimal(row["price"]), row["group"],
                              int(decimal(row["pay_ratio"])), int(decimal(row["scope"]))))
        except (Incorrect, ValueError) as exc:
            raise Incorrect(f"{source} line {line}: {exc}") from None
    return Tariff(items)


def load_tariff(path: Path) -> Tariff:
    """Read the tariff CSV file at ``path``.

    Raises:
        Incorrect: unreadable or malformed.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise Incorrect(f"cannot read the tariff {path}: {exc.strerror}") from None
    return parse_tariff(text, str(path))


def cost_fields(quantity: Decimal, item: Item, benefit_percent: int) -> dict[str, str]:
    """The amount fields of one line (no other funding source).

    THANH_TIEN_BV = quantity × price; THANH_TIEN_BH = THANH_TIEN_BV × TYLE_TT_BH
    when covered; the fund pays MUC_HUONG % of it (T_BHTT), the patient the rest
    (T_BNCCT) and everything outside cover (T_BNTT).

    >>> item = Item("drug", "N02BE01", "40.48", "Paracetamol", "viên", Decimal("500"), "4", 100, 1)
    >>> f = cost_fields(Decimal(15), item, 80)
    >>> f["THANH_TIEN_BV"], f["T_BHTT"], f["T_BNCCT"], f["T_BNTT"]
    ('7500', '6000', '1500', '0')
    """
    total = round_money(quantity * item.price)
    covered = round_money(total * item.pay_ratio / 100) if item.scope == 1 else Decimal(0)
    fund = round_money(covered * benefit_percent / 100)
    return {
        "PHAM_VI": str(item.scope),
        "TYLE_TT_BH": str(item.pay_ratio),
        "SO_LUONG": number_text(quantity),
        "THANH_TIEN_BV": number_text(total),
        "THANH_TIEN_BH": number_text(covered),
        "T_NGUONKHAC_NSNN": "0",
        "T_NGUONKHAC_VTNN": "0",
        "T_NGUONKHAC_VTTN": "0",
        "T_NGUONKHAC_CL": "0",
        "T_NGUONKHAC": "0",
        "MUC_HUONG": str(benefit_percent if item.scope == 1 else 0),
        "T_BNTT": number_text(total - covered),
        "T_BNCCT": number_text(covered - fund),
        "T_BHTT": number_text(fund),
        "MA_PTTT": "1",
    }
