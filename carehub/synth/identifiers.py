"""Vietnamese identifiers: CCCD citizen number, BHYT insurance card, mobile phone.

* **CCCD** (căn cước công dân, Circular 59/2021/TT-BCA): 12 digits = 3-digit
  province code of birth registration + 1 digit for century and sex (0/1 for
  a man/woman born 1900-1999, 2/3 for 2000-2099, 4/5 for 2100-2199) + the last
  2 digits of the birth year + a 6-digit serial.
* **BHYT** (thẻ bảo hiểm y tế, Decision 1351/QĐ-BHXH): 15 characters = a
  2-letter beneficiary group + the benefit level 1-5 + the 2-digit province
  code of the issuing office + the 10-digit social-insurance number (mã số
  BHXH).
* **Mobile numbers**: 10 digits starting with a network prefix 03x, 05x, 07x,
  08x or 09x.

Serial numbers come from :func:`carehub.synth.sampling.permute` of the
patient index, so no two patients of a run share a CCCD serial (below one
million patients) or a social-insurance number.
"""

from __future__ import annotations

import random
import re

from carehub.synth.sampling import Weighted, permute

CCCD_PATTERN = re.compile(r"^(?P<province>0\d{2})(?P<century_sex>[0-5])(?P<yy>\d{2})\d{6}$")
BHYT_PATTERN = re.compile(
    r"^(?P<group>[A-Z]{2})(?P<level>[1-5])(?P<province>\d{2})(?P<si_number>\d{10})$"
)
PHONE_PATTERN = re.compile(r"^0[35789]\d{8}$")

MOBILE_PREFIXES = (
    "032", "033", "034", "035", "036", "037", "038", "039",  # Viettel
    "086", "096", "097", "098",  # Viettel
    "070", "076", "077", "078", "079", "089", "090", "093",  # MobiFone
    "081", "082", "083", "084", "085", "088", "091", "094",  # VinaPhone
    "052", "056", "058", "092",  # Vietnamobile
    "059", "099",  # Gmobile
)  # fmt: skip

BENEFIT_LEVEL = {
    "CC": 1,  # người có công với cách mạng
    "TE": 2,  # trẻ em dưới 6 tuổi
    "HN": 2,  # hộ nghèo
    "CK": 2,  # thân nhân người có công
    "HT": 3,  # hưu trí
    "CN": 3,  # hộ cận nghèo
    "DN": 4,  # lao động doanh nghiệp
    "HC": 4,  # cán bộ, công chức
    "HS": 4,  # học sinh
    "SV": 4,  # sinh viên
    "GD": 4,  # hộ gia đình
}
"""Benefit level (mức hưởng) printed on the card for each group code used here."""


def century_sex_digit(birth_year: int, female: bool) -> int:
    """The 4th CCCD digit.

    Raises:
        ValueError: ``birth_year`` is outside 1900-2199.

    >>> century_sex_digit(1975, False), century_sex_digit(1975, True), century_sex_digit(2004, True)
    (0, 1, 3)
    """
    century = birth_year // 100 - 19
    if not 0 <= century <= 2:
        raise ValueError(f"no CCCD century code for birth year {birth_year}")
    return 2 * century + int(female)


def cccd(province_code: str, birth_year: int, female: bool, serial: int) -> str:
    """A 12-digit CCCD number.

    Args:
        province_code: the two-digit province code (``"01"`` is Hà Nội).
        birth_year: the year of birth (1900-2199).
        female: the sex recorded at birth registration.
        serial: 0 to 999,999.

    >>> cccd("01", 1987, False, 4521)
    '001087004521'
    >>> cccd("79", 2003, True, 999999)
    '079303999999'
    """
    digit = century_sex_digit(birth_year, female)
    return f"0{province_code}{digit}{birth_year % 100:02d}{serial:06d}"


def bhyt(group: str, province_code: str, si_number: int) -> str:
    """A 15-character BHYT card number; the benefit level follows the group.

    >>> bhyt("DN", "01", 123456789)
    'DN4010123456789'
    """
    return f"{group}{BENEFIT_LEVEL[group]}{province_code}{si_number:010d}"


_WORKING_AGE_GROUPS = Weighted(
    [("DN", 45.0), ("HC", 12.0), ("GD", 30.0), ("HN", 5.0), ("CN", 5.0), ("CC", 1.0), ("CK", 2.0)]
)
_RETIRED_GROUPS = Weighted(
    [("HT", 40.0), ("GD", 40.0), ("HN", 6.0), ("CN", 6.0), ("CC", 5.0), ("CK", 3.0)]
)


def bhyt_group(rng: random.Random, age: int) -> str:
    """The beneficiary group of a person of ``age``.

    >>> bhyt_group(random.Random(0), 3)
    'TE'
    """
    if age < 6:
        return "TE"
    if age < 18:
        return "HS"
    if age < 23 and rng.random() < 0.4:
        return "SV"
    return (_WORKING_AGE_GROUPS if age < 60 else _RETIRED_GROUPS).pick(rng)


def cccd_serial(index: int, seed: int) -> int:
    """The 6-digit CCCD serial of patient ``index``; unique below 10**6 patients."""
    return permute(index, 1_000_000, seed)


def social_insurance_number(index: int, seed: int) -> int:
    """The 10-digit mã số BHXH of patient ``index``; unique within a run."""
    return permute(index, 10_000_000_000, seed + 1)


def mobile_number(rng: random.Random) -> str:
    """A 10-digit Vietnamese mobile number.

    >>> bool(PHONE_PATTERN.match(mobile_number(random.Random(1))))
    True
    """
    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10_000_000):07d}"
