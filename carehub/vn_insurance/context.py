"""What an export needs besides the FHIR data: the facility and its prices (QĐ 130/QĐ-BYT).

https://thuvienphapluat.vn/van-ban/The-thao-Y-te/Quyet-dinh-130-QD-BYT-2023-chuan-dinh-dang-du-lieu-dau-ra-quan-ly-kham-chua-benh-552476.aspx
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from carehub.errors import Incorrect
from carehub.vn_insurance.tariff import Tariff

_FACILITY = re.compile(r"^[0-9A-Z]{5}$")


@dataclass(frozen=True, slots=True)
class ExportContext:
    """The exporting facility.

    Args:
        facility_code: MA_CSKCB, the 5-character facility code.
        head_id: MA_TTDV, the social-insurance number of the facility's head
            (or the person signing for them).
        tariff: the price list.
        created: NGAYLAP and NGAY_CT/NGAY_TTOAN default, ``yyyymmddHHMM``.

    Raises:
        Incorrect: a malformed facility code.
    """

    facility_code: str
    head_id: str
    tariff: Tariff
    created: str

    def __post_init__(self) -> None:
        if not _FACILITY.match(self.facility_code):
            raise Incorrect(f"facility code (MA_CSKCB) must be 5 characters, "
                            f"not {self.facility_code!r}")
