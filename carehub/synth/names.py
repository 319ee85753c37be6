"""Vietnamese personal names: family name, middle name(s), given name.

A Vietnamese name is written family name first (*Nguyễn Văn Hùng*). In FHIR
the family name goes to ``HumanName.family`` and the middle and given names,
in order, to ``HumanName.given``; ``text`` holds the name as written.

Family names follow their national frequencies (``data/family_names.csv``);
Hoàng/Huỳnh and Vũ/Võ take their southern form mostly in the centre and south.
Middle names depend on sex and on the birth cohort: *Văn* and *Thị* are far
more common among people born before 1990.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from typing import Any

from carehub.synth.reference import family_names, name_parts
from carehub.synth.sampling import Weighted

SOUTHERN_FORM_SHARE = {"N": 0.04, "C": 0.6, "S": 0.85}
"""Probability of the southern variant (Huỳnh, Võ) by region of residence."""
SECOND_MIDDLE_SHARE = 0.12
"""Share of women named *Thị* who carry a second middle name (Nguyễn Thị Thu Hà)."""


@dataclass(frozen=True, slots=True)
class VietName:
    """A full name.

    >>> VietName("Nguyễn", ("Thị", "Thu"), "Hà").text
    'Nguyễn Thị Thu Hà'
    """

    family: str
    middle: tuple[str, ...]
    given: str

    @property
    def text(self) -> str:
        """The name as written: family, middle, given."""
        return " ".join((self.family, *self.middle, self.given))

    def to_fhir(self, prefix: str | None = None) -> dict[str, Any]:
        """The name as an official FHIR ``HumanName``.

        >>> VietName("Lê", ("Văn",), "Nam").to_fhir()["given"]
        ['Văn', 'Nam']
        """
        out: dict[str, Any] = {
            "use": "official",
            "text": self.text,
            "family": self.family,
            "given": [*self.middle, self.given],
        }
        if prefix:
            out["prefix"] = [prefix]
        return out


@dataclass(frozen=True, slots=True)
class _Tables:
    family: Weighted[tuple[str, str]]
    middle: dict[tuple[str, bool], Weighted[str]]
    given: dict[tuple[str, bool], Weighted[str]]


@functools.cache
def _tables() -> _Tables:
    family = Weighted(((f.name, f.southern_variant), f.percent) for f in family_names())
    middle: dict[tuple[str, bool], Weighted[str]] = {}
    given: dict[tuple[str, bool], Weighted[str]] = {}
    for sex in ("male", "female"):
        for young in (False, True):
            for part, target in (("middle", middle), ("given", given)):
                rows = [p for p in name_parts() if p.sex == sex and p.part == part]
                target[sex, young] = Weighted(
                    (p.name, p.born_1990_on if young else p.born_before_1990) for p in rows
                )
    return _Tables(family, middle, given)


def pick_name(rng: random.Random, sex: str, birth_year: int, region: str) -> VietName:
    """Draw a name for a person of ``sex`` (``male``/``female``) born in ``birth_year``.

    Args:
        rng: the person's random stream.
        sex: ``male`` or ``female``.
        birth_year: decides the cohort weights of middle and given names.
        region: ``N``, ``C`` or ``S``, the region of residence.

    >>> name = pick_name(random.Random(4), "female", 1960, "N")
    >>> name.family in {f.name for f in family_names()}
    True
    """
    tables = _tables()
    young = birth_year >= 1990
    northern, southern = tables.family.pick(rng)
    family = southern if rng.random() < SOUTHERN_FORM_SHARE.get(region, 0.0) else northern
    middle = tables.middle[sex, young].pick(rng)
    given = tables.given[sex, young].pick(rng)
    middles: tuple[str, ...] = (middle,)
    if middle == "Thị" and rng.random() < SECOND_MIDDLE_SHARE:
        second = tables.middle[sex, True].pick(rng)
        if second not in ("Thị", given):
            middles = (middle, second)
    return VietName(family, middles, given)
