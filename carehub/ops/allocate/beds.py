"""The bed-assignment problem: wards, rooms and beds, and the admissions to place.

Vocabulary of the synthetic hospital (:mod:`carehub.synth.facility`: a ward
per department code, beds ``bed-<ward>-00001``…, FHIR Location physical types
``wa``/``ro``/``bd``) and of the patient-admission scheduling benchmark
(Demeester, Souffriau, De Causmaecker, Vanden Berghe, *Artif Intell Med*
2010;48(1):61-70: specialty wards, gender policy per room, room features).

Layout JSON::

    {"wards": [{"code": "nhi", "rooms": [
        {"id": "nhi-r1", "beds": 4, "single_sex": true, "isolation": false},
        {"id": "nhi-iso", "beds": ["bed-nhi-00005"], "isolation": true}]}]}

``beds`` is a count (ids numbered on through the ward) or a list of ids.
Admissions, JSON (a list, or ``{"admissions": [...]}``) or CSV with the header
``id,specialty,sex,admit_day,los,isolation,current_bed,kind``: day 0 is the
first day planned; ``kind`` is ``current`` (in a bed now: ``current_bed``
set, ``admit_day`` ≤ 0), ``booked`` or ``forecast``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from carehub.errors import Incorrect
from carehub.synth.facility import bed_id
from carehub.synth.record import Admission as SynthAdmission

KINDS = ("current", "booked", "forecast")
SEXES = ("female", "male")
_MINUTES_PER_DAY = 1440


@dataclass(frozen=True, slots=True)
class Room:
    """A room of ``ward`` with its beds; ``single_sex`` rooms hold one sex at a time."""

    id: str
    ward: str
    beds: tuple[str, ...]
    single_sex: bool = True
    isolation: bool = False


@dataclass(frozen=True, slots=True)
class BedAdmission:
    """A stay to place: days ``admit_day`` … ``admit_day + los - 1``."""

    id: str
    specialty: str
    sex: str
    admit_day: int
    los: int
    isolation: bool = False
    current_bed: str | None = None
    kind: str = "booked"


@dataclass(frozen=True, slots=True)
class BedWeights:
    """Costs: a booked/current patient without a bed, a forecast one, a stay off its
    specialty's ward (overflow), and moving a patient out of ``current_bed`` (transfer)."""

    unplaced: int = 1000
    unplaced_forecast: int = 200
    overflow: int = 50
    transfer: int = 100


@dataclass(frozen=True, slots=True)
class BedProblem:
    """Rooms, admissions and weights."""

    rooms: tuple[Room, ...]
    admissions: tuple[BedAdmission, ...]
    weights: BedWeights = BedWeights()


@dataclass(slots=True)
class BedAssignment:
    """The plan: ``beds[admission id]`` is a bed id, or ``None`` when not placed."""

    status: str
    objective: int
    breakdown: dict[str, int]
    beds: dict[str, str | None]
    wall_time: float


def layout_from_json(data: Any, source: str = "layout") -> tuple[Room, ...]:
    """Read the ward/room/bed layout.

    Raises:
        Incorrect: a missing or malformed field (source and path named), or a repeated bed id.

    >>> rooms = layout_from_json({"wards": [{"code": "nhi", "rooms": [{"id": "r1", "beds": 2}]}]})
    >>> rooms[0].beds
    ('bed-nhi-00001', 'bed-nhi-00002')
    """
    wards = data.get("wards") if isinstance(data, dict) else None
    if not isinstance(wards, list):
        raise Incorrect(f"{source}: 'wards' must be a list", expression="wards")
    rooms: list[Room] = []
    seen: set[str] = set()
    for i, ward in enumerate(wards):
        code = ward.get("code") if isinstance(ward, dict) else None
        if not isinstance(code, str) or not isinstance(ward.get("rooms"), list):
            raise Incorrect(f"{source}: wards[{i}] needs 'code' and a 'rooms' list")
        number = 0
        for j, room in enumerate(ward["rooms"]):
            where = f"wards[{i}].rooms[{j}]"
            if not isinstance(room, dict) or not isinstance(room.get("id"), str):
                raise Incorrect(f"{source}: {where}.id is required", expression=where)
            raw = room.get("beds")
            if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
                beds = tuple(bed_id(code, number + k + 1) for k in range(raw))
                number += raw
            elif isinstance(raw, list) and raw and all(isinstance(b, str) for b in raw):
                beds = tuple(raw)
            else:
                raise Incorrect(f"{source}: {where}.beds must be a count > 0 or a list of ids")
            if seen & set(beds):
                raise Incorrect(f"{source}: {where} repeats bed {sorted(seen & set(beds))[0]}")
            seen |= set(beds)
            rooms.append(
                Room(
                    room["id"],
                    code,
                    beds,
                    bool(room.get("single_sex", True)),
                    bool(room.get("isolation", False)),
                )
            )
    return tuple(rooms)


def _flag(text: Any) -> bool:
    return str(text).strip().lower() in ("1", "true", "yes", "y")


def admissions_from_rows(rows: Sequence[dict[str, Any]], source: str) -> tuple[BedAdmission, ...]:
    """Admissions from dict rows (parsed JSON objects or CSV rows).

    Raises:
        Incorrect: a missing or bad value; the row (CSV line) and field are named.

    >>> admissions_from_rows([{"id": "a1", "specialty": "nhi", "sex": "F", "admit_day": "0",
    ...                        "los": "3"}], "x.csv")[0].sex
    'female'
    """
    out: list[BedAdmission] = []
    for i, row in enumerate(rows):
        csv_file = source.endswith(".csv")
        where = f"{source}, line {i + 2}" if csv_file else f"{source}, row {i + 1}"
        try:
            sex = {"f": "female", "m": "male"}.get(str(row["sex"]).strip().lower()[:1], "")
            if not sex:
                raise ValueError(f"sex must be female or male, not {row['sex']!r}")
            kind = str(row.get("kind") or "booked")
            if kind not in KINDS:
                raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
            los = int(row["los"])
            if los < 1:
                raise ValueError(f"los must be ≥ 1, not {los}")
            out.append(
                BedAdmission(
                    str(row["id"]),
                    str(row["specialty"]),
                    sex,
                    int(row["admit_day"]),
                    los,
                    _flag(row.get("isolation", "")),
                    str(row.get("current_bed") or "") or None,
                    kind,
                )
            )
        except KeyError as exc:
            raise Incorrect(f"{where}: field {exc.args[0]} is required") from None
        except (TypeError, ValueError) as exc:
            raise Incorrect(f"{where}: {exc}") from None
    return tuple(out)


def admissions_from_text(text: str, source: str) -> tuple[BedAdmission, ...]:
    """Admissions from a CSV (header line first) or JSON document.

    Raises:
        Incorrect: unreadable JSON/CSV or a bad row.
    """
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        import json

        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Incorrect(f"{source}: not JSON: {exc}") from None
        rows = data.get("admissions") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise Incorrect(f"{source}: expected a list of admissions")
        return admissions_from_rows(rows, source)
    return admissions_from_rows(list(csv.DictReader(io.StringIO(text))), source)


def from_synth(
    stays: Sequence[SynthAdmission], day0_minute: int, days: int
) -> tuple[BedAdmission, ...]:
    """Admissions of the synthetic generator (``(ward, start, end)`` in minutes) within a window.

    Stays overlapping days ``0 … days-1`` counted from ``day0_minute`` are kept; those
    begun before day 0 become ``current`` (without a bed: the plan places them).
    Sex is not part of the generator's admission record, so it alternates.

    >>> [a.admit_day for a in from_synth([("nhi", 0, 3000), ("nhi", 5000, -1)], 1440, 5)]
    [-1, 2]
    """
    out = []
    for i, (ward, start, end) in enumerate(stays):
        first = (start - day0_minute) // _MINUTES_PER_DAY
        last = days + 30 if end < 0 else (end - 1 - day0_minute) // _MINUTES_PER_DAY
        if last < 0 or first >= days:
            continue
        kind = "current" if first < 0 else "booked"
        out.append(BedAdmission(f"adm-{i}", ward, SEXES[i % 2], first, last - first + 1, kind=kind))
    return tuple(out)


def bed_problem_from_json(data: Any, source: str = "bed problem") -> BedProblem:
    """A whole problem in one JSON object: ``{"layout": …, "admissions": […], "weights": {…}}``.

    Raises:
        Incorrect: a bad layout, admission or weight (source and field named).
    """
    if not isinstance(data, dict):
        raise Incorrect(f"{source}: expected a JSON object with 'layout' and 'admissions'")
    rooms = layout_from_json(data.get("layout"), f"{source}: layout")
    rows = data.get("admissions")
    if not isinstance(rows, list):
        raise Incorrect(f"{source}: 'admissions' must be a list", expression="admissions")
    raw = data.get("weights") or {}
    fields = BedWeights.__dataclass_fields__
    if not isinstance(raw, dict) or not set(raw) <= set(fields):
        raise Incorrect(f"{source}: weights may only set {', '.join(fields)}")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in raw.values()):
        raise Incorrect(f"{source}: weights must be integers")
    return BedProblem(rooms, admissions_from_rows(rows, source), BedWeights(**raw))


def assignment_to_json(plan: BedAssignment, problem: BedProblem) -> dict[str, Any]:
    """The plan as JSON: one row per admission with its bed, room and ward (``null`` if none)."""
    room_of = {b: r for r in problem.rooms for b in r.beds}
    rows = []
    for a in problem.admissions:
        bed = plan.beds.get(a.id)
        room = room_of.get(bed) if bed else None
        rows.append(
            {
                "admission": a.id,
                "kind": a.kind,
                "specialty": a.specialty,
                "bed": bed,
                "room": room.id if room else None,
                "ward": room.ward if room else None,
                "overflow": bool(room and room.ward != a.specialty),
                "transfer": a.current_bed is not None and bed != a.current_bed,
            }
        )
    return {
        "status": plan.status,
        "objective": plan.objective,
        "breakdown": plan.breakdown,
        "wall_time": plan.wall_time,
        "assignments": rows,
    }
