"""Where patients live: provinces weighted for a Hà Nội hospital, and home addresses.

Provinces come from ``data/provinces.csv``; Hà Nội carries the largest weight
(about 60 % of patients), then the neighbouring Red River Delta provinces,
then the rest of the north, the centre and the south. Addresses in Hà Nội name
one of its 30 district-level units (as before the 2025 reform, like the
province list); elsewhere they name a hamlet or residential group only.
"""

from __future__ import annotations

import functools
import random
from typing import Any

from carehub.synth.reference import Province, provinces
from carehub.synth.sampling import Weighted

HANOI_CODE = "01"
HOME_PROVINCE_SHARE = 0.85
"""Share of people whose CCCD province (birth registration) is where they live."""

HANOI_DISTRICTS = (
    "Ba Đình", "Hoàn Kiếm", "Tây Hồ", "Long Biên", "Cầu Giấy", "Đống Đa", "Hai Bà Trưng",
    "Hoàng Mai", "Thanh Xuân", "Nam Từ Liêm", "Bắc Từ Liêm", "Hà Đông", "Sơn Tây", "Ba Vì",
    "Chương Mỹ", "Đan Phượng", "Đông Anh", "Gia Lâm", "Hoài Đức", "Mê Linh", "Mỹ Đức",
    "Phú Xuyên", "Phúc Thọ", "Quốc Oai", "Sóc Sơn", "Thạch Thất", "Thanh Oai", "Thanh Trì",
    "Thường Tín", "Ứng Hòa",
)  # fmt: skip
HANOI_STREETS = (
    "Giải Phóng", "Trường Chinh", "Láng", "Kim Mã", "Nguyễn Trãi", "Cầu Giấy", "Xuân Thủy",
    "Tôn Đức Thắng", "Lê Duẩn", "Bà Triệu", "Minh Khai", "Bạch Mai", "Lạc Long Quân",
    "Hoàng Quốc Việt", "Phạm Văn Đồng", "Nguyễn Văn Cừ", "Tây Sơn", "Đê La Thành",
    "Nguyễn Chí Thanh", "Hoàng Hoa Thám", "Lĩnh Nam", "Quang Trung", "Ngọc Lâm", "Kim Ngưu",
)  # fmt: skip


@functools.cache
def _catchment() -> Weighted[Province]:
    return Weighted((p, p.weight) for p in provinces())


@functools.cache
def _by_code() -> dict[str, Province]:
    return {p.code: p for p in provinces()}


def province(code: str) -> Province:
    """The province with two-digit ``code``.

    Raises:
        KeyError: no such province.

    >>> province("79").name
    'Hồ Chí Minh'
    """
    return _by_code()[code]


def pick_residence(rng: random.Random) -> Province:
    """The province a patient lives in, weighted for the hospital's catchment."""
    return _catchment().pick(rng)


def pick_birth_province(rng: random.Random, residence: Province) -> Province:
    """The province of birth registration (the CCCD code): usually the residence."""
    if rng.random() < HOME_PROVINCE_SHARE:
        return residence
    return _catchment().pick(rng)


def home_address(rng: random.Random, residence: Province) -> dict[str, Any]:
    """A FHIR home ``Address`` in ``residence``.

    >>> home_address(random.Random(2), province("01"))["state"]
    'Hà Nội'
    """
    if residence.code == HANOI_CODE:
        district = rng.choice(HANOI_DISTRICTS)
        line = f"Số {rng.randint(1, 350)} {rng.choice(HANOI_STREETS)}"
        return {
            "use": "home",
            "type": "physical",
            "text": f"{line}, {district}, {residence.name}",
            "line": [line],
            "city": residence.name,
            "district": district,
            "state": residence.name,
            "country": "VN",
        }
    line = f"Thôn {rng.randint(1, 15)}" if rng.random() < 0.6 else f"Tổ {rng.randint(1, 40)}"
    return {
        "use": "home",
        "type": "physical",
        "text": f"{line}, {residence.name}",
        "line": [line],
        "state": residence.name,
        "country": "VN",
    }
