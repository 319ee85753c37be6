"""Viet Nam's 34 provinces from 1 July 2025, as a FHIR CodeSystem, and the codes they replaced.

Resolution 202/2025/QH15 (https://thuvienphapluat.vn/van-ban/Bo-may-hanh-chinh/Nghi-quyet-202-2025-QH15-sap-xep-don-vi-hanh-chinh-cap-tinh-659444.aspx)
merged the 63 provinces into 34; Decision 19/2025/QĐ-TTg gives their codes.
CareHub's CodeSystem ``data/CodeSystem-vn-province.json``
(``https://carehub.vn/fhir/CodeSystem/vn-province``) lists each unit with its
``replaces`` property: the pre-2025 codes it took over. Those old codes stay
on CCCDs and health-insurance cards, so both are needed.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from carehub.errors import NotFound, did_you_mean

SYSTEM = "https://carehub.vn/fhir/CodeSystem/vn-province"


@functools.cache
def code_system() -> dict[str, Any]:
    """The CodeSystem resource (a fresh parse is cached; do not mutate it).

    >>> code_system()["count"]
    34
    """
    path = resources.files("carehub.vn_insurance").joinpath("data/CodeSystem-vn-province.json")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


@functools.cache
def _successor() -> dict[str, str]:
    out: dict[str, str] = {}
    for concept in code_system()["concept"]:
        for prop in concept["property"]:
            if prop["code"] == "replaces":
                out[prop["valueCode"]] = concept["code"]
    return out


def legacy_codes() -> frozenset[str]:
    """The 63 pre-2025 province codes (as on CCCDs and BHYT cards).

    >>> len(legacy_codes()), "35" in legacy_codes()
    (63, True)
    """
    return frozenset(_successor())


def current_code(code: str) -> str:
    """The 2025 province that took over the province with pre-2025 ``code``.

    Raises:
        NotFound: no province ever had ``code``.

    >>> current_code("35"), current_code("01")
    ('37', '01')
    """
    found = _successor().get(code)
    if found is None:
        raise NotFound(f"no province has code {code!r}." + did_you_mean(code, _successor()))
    return found


def display(code: str) -> str:
    """The name of the 2025 province ``code``.

    Raises:
        NotFound: ``code`` is not one of the 34.

    >>> display("37")
    'Ninh Bình'
    """
    for concept in code_system()["concept"]:
        if concept["code"] == code:
            return str(concept["display"])
    raise NotFound(f"{code!r} is not a 2025 province code")
