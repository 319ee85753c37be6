"""The mapping tables of HL7 v2 ingest: data files, not code.

Every decision that a hospital may want to change lives in a file of this
folder, read once by :func:`load_tables`:

========================== ================================================================
``events.json``            supported ``MSH-9`` types/events, their mapper, the Patient and
                           Encounter policy and the Encounter status/class/period they set
``defaults.json``          receiving application, default time zone, accepted versions,
                           processing ids and character sets, merge policy per resource type
``identifiers.json``       assigning authority / identifier type → identifier system
                           (CCCD, BHYT, MRN...), systems of visit, order, practitioner ids
``coding_systems.json``    v2 coding system names (``LN``, ``SCT``, ``I10``...) → FHIR URIs
``codes.csv``              v2 code → FHIR code, one row per code, per table (sex, patient
                           class, abnormal flags, result status, order control, route...)
``timing.csv``             repeat pattern codes (``BID``, ``Q8H``...) → Timing.repeat
``value_types.json``       ``OBX-2`` value type → ``Observation.value[x]``
``pid.json``, ``pv1.json`` which PID / PV1 field becomes which Patient / Encounter element
========================== ================================================================

A different folder with the same files can be passed to :func:`load_tables`.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Coded:
    """One FHIR code a v2 code maps to."""

    system: str
    code: str
    display: str

    def coding(self) -> dict[str, str]:
        """As a FHIR ``Coding``."""
        out = {"system": self.system, "code": self.code}
        if self.display:
            out["display"] = self.display
        return out


@dataclass(frozen=True, slots=True)
class TimingRow:
    """A repeat pattern code as ``Timing.repeat`` values."""

    frequency: int | None
    period: float | None
    period_unit: str
    when: str
    count: int | None
    as_needed: bool
    text: str


@dataclass(frozen=True, slots=True)
class Tables:
    """Every mapping table, as loaded from one folder."""

    events: dict[str, dict[str, Any]]
    defaults: dict[str, Any]
    identifiers: dict[str, Any]
    coding_systems: dict[str, str]
    coding_fallback: str
    ucum_names: frozenset[str]
    value_types: dict[str, str]
    codes: dict[str, dict[str, Coded]]
    timing: dict[str, TimingRow]
    pid_fields: tuple[dict[str, Any], ...]
    pv1_fields: tuple[dict[str, Any], ...]

    def code(self, table: str, v2_code: str) -> Coded | None:
        """The FHIR code of ``v2_code`` in ``table`` (codes compared in upper case), or None.

        >>> load_tables().code("0001-gender", "f").code
        'female'
        """
        return self.codes[table].get(v2_code.strip().upper())

    def system_of(self, name: str) -> str | None:
        """The FHIR system URI of a v2 coding system name (None for an empty name).

        >>> load_tables().system_of("LN"), load_tables().system_of("99BV")
        ('http://loinc.org', 'https://carehub.vn/fhir/CodeSystem/v2-99bv')
        """
        key = name.strip().upper()
        if not key:
            return None
        known = self.coding_systems.get(key)
        if known:
            return known
        slug = "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in key.lower())
        return self.coding_fallback.replace("{name}", slug)

    @property
    def timezone(self) -> str:
        """The offset given to times sent without one (``+07:00``)."""
        return str(self.defaults["default_timezone"])

    @property
    def charsets(self) -> dict[str, str]:
        """``MSH-18`` (upper case) → Python codec."""
        return {k.upper(): v for k, v in self.defaults["charsets"].items()}

    def merge_policy(self, resource_type: str) -> str:
        """How a message's ``resource_type`` is combined with the stored one."""
        return str(self.defaults["merge"].get(resource_type, "shallow"))


def _read_json(folder: Path | None, name: str) -> Any:
    if folder is None:
        text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    else:
        text = (folder / name).read_text(encoding="utf-8")
    return json.loads(text)


def _read_csv(folder: Path | None, name: str) -> list[dict[str, str]]:
    if folder is None:
        text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    else:
        text = (folder / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _int(text: str) -> int | None:
    return int(text) if text.strip() else None


@functools.cache
def load_tables(folder: Path | None = None) -> Tables:
    """Read the mapping tables (the packaged ones when ``folder`` is None).

    >>> sorted(load_tables().events)[:2]
    ['ADT^A01', 'ADT^A02']
    """
    codes: dict[str, dict[str, Coded]] = {}
    for row in _read_csv(folder, "codes.csv"):
        codes.setdefault(row["table"], {})[row["v2_code"].strip().upper()] = Coded(
            row["system"], row["code"], row["display"]
        )
    timing = {
        row["code"].upper(): TimingRow(
            _int(row["frequency"]),
            float(row["period"]) if row["period"].strip() else None,
            row["period_unit"],
            row["when"],
            _int(row["count"]),
            row["as_needed"].strip().lower() == "true",
            row["text"],
        )
        for row in _read_csv(folder, "timing.csv")
    }
    coding = _read_json(folder, "coding_systems.json")
    events = {k: v for k, v in _read_json(folder, "events.json").items() if not k.startswith("_")}
    value_types = {
        k: v for k, v in _read_json(folder, "value_types.json").items() if not k.startswith("_")
    }
    return Tables(
        events=events,
        defaults=_read_json(folder, "defaults.json"),
        identifiers=_read_json(folder, "identifiers.json"),
        coding_systems={k.upper(): v for k, v in coding["systems"].items()},
        coding_fallback=coding["fallback"],
        ucum_names=frozenset(n.upper() for n in coding["ucum_names"]),
        value_types=value_types,
        codes=codes,
        timing=timing,
        pid_fields=tuple(_read_json(folder, "pid.json")["fields"]),
        pv1_fields=tuple(_read_json(folder, "pv1.json")["fields"]),
    )
