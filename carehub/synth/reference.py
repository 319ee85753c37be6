"""The reference tables in ``carehub/synth/data/``, loaded once per process.

* ``provinces.csv``: the 63 provinces and centrally-run cities with their
  two-digit administrative codes (Decision 124/2004/QĐ-TTg; the codes in CCCD
  and BHYT numbers), a region (N, C, S) and a catchment weight for a Hà Nội
  hospital. The 2025 merger into 34 provinces is not modelled: identifiers
  issued before it keep the old codes, and addresses use the same list.
* ``family_names.csv``: family names with their share of the population in
  percent; ``southern_variant`` is the form used in the centre and south
  (Huỳnh for Hoàng, Võ for Vũ).
* ``given_names.csv``: middle names and given names by sex, with weights for
  people born before 1990 and from 1990 on (Văn and Thị are fading).
* ``population.csv``: the age/sex pyramid of Viet Nam in 5-year bands, percent
  of the whole population (shape of the 2019 census).

All text is returned in Unicode NFC.
"""

from __future__ import annotations

import csv
import functools
import io
import unicodedata
from dataclasses import dataclass
from importlib import resources

from carehub.errors import Fault


@dataclass(frozen=True, slots=True)
class Province:
    """One province: ``code`` is two digits (``"01"`` is Hà Nội)."""

    code: str
    name: str
    region: str
    weight: float


@dataclass(frozen=True, slots=True)
class FamilyName:
    """A family name, its southern/central variant (or itself) and its share in percent."""

    name: str
    southern_variant: str
    percent: float


@dataclass(frozen=True, slots=True)
class NamePart:
    """A middle or given name with its weights for the two birth cohorts."""

    sex: str
    part: str
    name: str
    born_before_1990: float
    born_1990_on: float


@dataclass(frozen=True, slots=True)
class AgeBand:
    """An age band (inclusive bounds) and its share of each sex in percent."""

    age_from: int
    age_to: int
    male: float
    female: float


def _rows(name: str) -> list[dict[str, str]]:
    try:
        text = resources.files("carehub.synth").joinpath("data", name).read_text("utf-8")
    except OSError as exc:  # pragma: no cover - a broken installation
        raise Fault(f"synthetic reference table {name} is missing: {exc}") from exc
    text = unicodedata.normalize("NFC", text)
    return list(csv.DictReader(io.StringIO(text)))


@functools.cache
def provinces() -> tuple[Province, ...]:
    """The province table, in code order.

    >>> provinces()[0]
    Province(code='01', name='Hà Nội', region='N', weight=420.0)
    >>> len(provinces())
    63
    """
    return tuple(
        Province(r["code"], r["name"], r["region"], float(r["weight"]))
        for r in _rows("provinces.csv")
    )


@functools.cache
def family_names() -> tuple[FamilyName, ...]:
    """The family-name table, most frequent first.

    >>> family_names()[0].name, family_names()[0].percent
    ('Nguyễn', 38.4)
    """
    return tuple(
        FamilyName(r["name"], r["southern_variant"] or r["name"], float(r["percent"]))
        for r in _rows("family_names.csv")
    )


@functools.cache
def name_parts() -> tuple[NamePart, ...]:
    """Middle and given names by sex.

    >>> {(p.sex, p.part) for p in name_parts()} == {
    ...     ("male", "middle"), ("male", "given"), ("female", "middle"), ("female", "given")}
    True
    """
    return tuple(
        NamePart(
            r["sex"],
            r["part"],
            r["name"],
            float(r["born_before_1990"]),
            float(r["born_1990_on"]),
        )
        for r in _rows("given_names.csv")
    )


@functools.cache
def age_bands() -> tuple[AgeBand, ...]:
    """The population pyramid, youngest band first.

    >>> age_bands()[0]
    AgeBand(age_from=0, age_to=4, male=3.9, female=3.5)
    """
    return tuple(
        AgeBand(int(r["age_from"]), int(r["age_to"]), float(r["male"]), float(r["female"]))
        for r in _rows("population.csv")
    )
