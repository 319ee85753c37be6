"""CareHub's IPS table: the IPS profiles' required elements, fixed codes and sections.

https://hl7.org/fhir/uv/ips/STU2/StructureDefinition-Composition-uv-ips.html

Reads ``carehub/ips/data/ips_tables.json`` (built from ``hl7.fhir.uv.ips@2.0.0``
by ``scripts/build_ips_tables.py``; see :mod:`carehub.ips.tables_build` for its
format). Nothing is downloaded at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from carehub.errors import Fault, NotFound, did_you_mean

TABLE_FILE = "ips_tables.json"


@dataclass(frozen=True, slots=True)
class Section:
    """One section slice of the IPS Composition profile.

    ``entries`` maps an entry slice name to the profile URLs its references
    must resolve to; ``min`` is 1 for the required sections.
    """

    slice: str
    min: int
    max: str
    system: str
    code: str
    entries: dict[str, list[str]]
    empty_reason: str | None

    @property
    def required(self) -> bool:
        """Whether every IPS document must have this section."""
        return self.min > 0


@dataclass(frozen=True, slots=True)
class IpsTables:
    """The parsed table: ``source``, ``profiles``, ``sections`` and ``constraints``."""

    source: dict[str, Any]
    profiles: dict[str, dict[str, Any]]
    sections: tuple[Section, ...]
    constraints: dict[str, dict[str, Any]]

    def section(self, slice_name: str) -> Section:
        """The section slice ``slice_name`` (``sectionProblems``...).

        Raises:
            NotFound: no such section slice.
        """
        for s in self.sections:
            if s.slice == slice_name:
                return s
        names = [s.slice for s in self.sections]
        raise NotFound(f"no IPS section '{slice_name}'." + did_you_mean(slice_name, names))

    def profile_by_url(self, url: str) -> dict[str, Any] | None:
        """The profile entry whose canonical URL is ``url``, or None."""
        for profile in self.profiles.values():
            if profile["url"] == url:
                return profile
        return None

    def profile_for_type(self, resource_type: str) -> dict[str, Any] | None:
        """The one IPS profile of ``resource_type`` (None if there is none or several)."""
        found = [p for p in self.profiles.values() if p["type"] == resource_type]
        return found[0] if len(found) == 1 else None


def parse_tables(data: dict[str, Any]) -> IpsTables:
    """Build :class:`IpsTables` from the JSON table.

    Raises:
        Fault: the table lacks one of its parts.

    >>> t = parse_tables({"source": {}, "profiles": {}, "constraints": {}, "sections": [
    ...     {"slice": "s", "min": 1, "max": "1", "code": {"system": "L", "code": "1"},
    ...      "entries": {}, "empty_reason": None}]})
    >>> t.section("s").required
    True
    """
    try:
        sections = tuple(
            Section(
                slice=s["slice"],
                min=s["min"],
                max=s["max"],
                system=s["code"]["system"],
                code=s["code"]["code"],
                entries=s["entries"],
                empty_reason=s["empty_reason"],
            )
            for s in data["sections"]
        )
        return IpsTables(data["source"], data["profiles"], sections, data["constraints"])
    except (KeyError, TypeError) as exc:
        raise Fault(f"the IPS table is malformed: missing {exc}") from None


@cache
def ips_tables() -> IpsTables:
    """The IPS table shipped with CareHub (read once).

    Raises:
        Fault: the package data file is missing or malformed.
    """
    try:
        text = resources.files("carehub.ips").joinpath("data", TABLE_FILE).read_text("utf-8")
    except OSError as exc:
        raise Fault(f"the IPS table {TABLE_FILE} is missing: {exc}") from None
    return parse_tables(json.loads(text))
