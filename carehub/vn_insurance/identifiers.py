"""Structural checks of Vietnamese CCCD and health-insurance (BHYT) card numbers.

* CCCD, Circular 59/2021/TT-BCA art. 7
  (https://thuvienphapluat.vn/van-ban/Quyen-dan-su/Thong-tu-59-2021-TT-BCA-huong-dan-Luat-Can-cuoc-cong-dan-475776.aspx):
  12 digits = the 3-digit code of the province of birth registration, a
  century-and-sex digit, the 2-digit birth year and a 6-digit serial.
* BHYT card, Decision 1351/QĐ-BHXH (2015): 15 characters = 2-letter
  beneficiary group, benefit level 1-5, 2-digit province code, 10-digit
  social-insurance number (mã số BHXH).

The patterns are the synthetic generator's (:mod:`carehub.synth.identifiers`),
so generated and checked numbers never drift apart. Province codes are the
pre-2025 codes printed on cards and CCCDs (:mod:`carehub.vn_insurance.provinces`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from carehub.errors import Incorrect
from carehub.synth.identifiers import BHYT_PATTERN, CCCD_PATTERN
from carehub.vn_insurance.provinces import legacy_codes

_CCCD_SHAPE = re.compile(r"^\d{12}$")
BENEFIT_PERCENT = {1: 100, 2: 100, 3: 95, 4: 80, 5: 100}
"""Share of covered costs the fund pays (MUC_HUONG) per card benefit level,
Law on Health Insurance art. 22 (cost caps and the low-cost rule aside)."""


@dataclass(frozen=True, slots=True)
class Cccd:
    """A checked CCCD number: its province code, sex and birth year."""

    number: str
    province: str
    female: bool
    birth_year: int


@dataclass(frozen=True, slots=True)
class BhytCard:
    """A checked BHYT card number and its parts."""

    number: str
    group: str
    level: int
    province: str
    si_number: str

    @property
    def benefit_percent(self) -> int:
        """MUC_HUONG: the share of covered costs the fund pays.

        >>> parse_bhyt("HT3010123456789").benefit_percent
        95
        """
        return BENEFIT_PERCENT[self.level]


def parse_cccd(text: str) -> Cccd:
    """Check a CCCD number and return its parts.

    Raises:
        Incorrect: not 12 digits, an unknown province code or a century digit
            outside 1900-2199.

    >>> parse_cccd("001087004521")
    Cccd(number='001087004521', province='01', female=False, birth_year=1987)
    >>> parse_cccd("099087004521")
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: CCCD '099087004521': no province has code 99
    """
    number = text.strip()
    if not _CCCD_SHAPE.match(number):
        raise Incorrect(f"CCCD {text!r}: must be 12 digits")
    match = CCCD_PATTERN.match(number)
    if match is None:
        raise Incorrect(f"CCCD {text!r}: the 4th digit must be 0-5 (born 1900-2199)")
    province = match.group("province")[1:]
    if province not in legacy_codes():
        raise Incorrect(f"CCCD {text!r}: no province has code {province}")
    digit = int(match.group("century_sex"))
    year = 1900 + 100 * (digit // 2) + int(match.group("yy"))
    return Cccd(number, province, bool(digit % 2), year)


def parse_bhyt(text: str) -> BhytCard:
    """Check a 15-character BHYT card number and return its parts.

    Raises:
        Incorrect: wrong shape, benefit level outside 1-5, or unknown province code.

    >>> parse_bhyt("DN4010123456789").level
    4
    >>> is_bhyt("DN6010123456789")  # benefit level 6 does not exist
    False
    """
    number = text.strip().upper()
    match = BHYT_PATTERN.match(number)
    if match is None:
        raise Incorrect(f"BHYT card {text!r}: expected 2 letters, level 1-5, "
                        "2-digit province, 10 digits")
    if match.group("province") not in legacy_codes():
        raise Incorrect(f"BHYT card {text!r}: no province has code {match.group('province')}")
    return BhytCard(number, match.group("group"), int(match.group("level")),
                    match.group("province"), match.group("si_number"))


def is_cccd(text: str) -> bool:
    """Whether ``text`` is a structurally valid CCCD.

    >>> is_cccd("079303999999"), is_cccd("12345")
    (True, False)
    """
    try:
        parse_cccd(text)
    except Incorrect:
        return False
    return True


def is_bhyt(text: str) -> bool:
    """Whether ``text`` is a structurally valid BHYT card number.

    >>> is_bhyt("TE2790000000001"), is_bhyt("TE279")
    (True, False)
    """
    try:
        parse_bhyt(text)
    except Incorrect:
        return False
    return True
