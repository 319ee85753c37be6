"""Readers of the INRC-II text files: scenario, initial history and week data.

Source: S. Ceschia, N. Dang, P. De Causmaecker, S. Haspeslagh, A. Schaerf,
"Second International Nurse Rostering Competition (INRC-II) — Problem
Description and Rules", arXiv:1501.04177 (2015); competition results in
Ann Oper Res 274 (2019) 171-186. File layout as described in
``shared/ops/inrc2/SOURCE.txt``.

An *instance* is one scenario file ``Sc-<id>.txt``, one history file
``H0-<id>-<j>.txt`` and an ordered list of week files ``WD-<id>-<i>.txt``.
Tokens are split on any whitespace. Every malformed line raises
:class:`~carehub.errors.Incorrect` naming the file, the line and the field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from carehub.errors import Incorrect, did_you_mean

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_PAIR = re.compile(r"^\((-?\d+),(-?\d+)\)$")


@dataclass(frozen=True, slots=True)
class ShiftType:
    """A shift type with its preferred run of consecutive assignments (S2)."""

    name: str
    min_consecutive: int
    max_consecutive: int


@dataclass(frozen=True, slots=True)
class Contract:
    """Contract limits: totals over the horizon (S6), runs (S2, S3), weekends (S5, S7)."""

    name: str
    min_total: int
    max_total: int
    min_work: int
    max_work: int
    min_off: int
    max_off: int
    max_weekends: int
    complete_weekends: bool


@dataclass(frozen=True, slots=True)
class Nurse:
    """A nurse, her contract name and her skills."""

    id: str
    contract: str
    skills: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scenario:
    """The ``Sc-*`` file."""

    id: str
    weeks: int
    skills: tuple[str, ...]
    shifts: tuple[ShiftType, ...]
    forbidden: dict[str, frozenset[str]]
    contracts: dict[str, Contract]
    nurses: tuple[Nurse, ...]


@dataclass(frozen=True, slots=True)
class NurseHistory:
    """Border state of one nurse before the first day (``NURSE_HISTORY`` line)."""

    nurse: str
    assignments: int
    weekends: int
    last_shift: str | None
    consecutive_shift: int
    consecutive_work: int
    consecutive_off: int


@dataclass(frozen=True, slots=True)
class WeekData:
    """One ``WD-*`` file: ``(min, opt)`` per (day, shift, skill) and shift-off requests."""

    name: str
    requirements: dict[tuple[int, str, str], tuple[int, int]]
    requests: tuple[tuple[str, str | None, int], ...]
    """``(nurse, shift or None for Any, day 0-6)``."""


@dataclass(frozen=True, slots=True)
class Instance:
    """A scenario, an initial history and the weeks in planning order."""

    scenario: Scenario
    history: dict[str, NurseHistory]
    weeks: tuple[WeekData, ...]
    name: str

    @property
    def days(self) -> int:
        """Number of days of the horizon (7 per week)."""
        return 7 * len(self.weeks)


class _Lines:
    """Non-blank lines of a file with their 1-based numbers, read as token lists."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise Incorrect(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise Incorrect(f"{path}: cannot read: {exc}") from None
        self.items = [(i, ln.split()) for i, ln in enumerate(text.splitlines(), 1) if ln.strip()]
        self.pos = 0

    def fail(self, line: int, what: str) -> Incorrect:
        return Incorrect(f"{self.path.name}, line {line}: {what}", expression=what)

    def next(self, what: str) -> tuple[int, list[str]]:
        if self.pos >= len(self.items):
            raise Incorrect(f"{self.path.name}: file ends before {what}")
        item = self.items[self.pos]
        self.pos += 1
        return item

    def header(self, key: str) -> int:
        """Read ``KEY = n`` (or bare ``KEY`` → -1)."""
        line, toks = self.next(key)
        if not toks or toks[0] != key:
            raise self.fail(line, f"expected {key}, found {' '.join(toks)!r}")
        if len(toks) == 1:
            return -1
        if len(toks) != 3 or toks[1] != "=":
            raise self.fail(line, f"expected '{key} = <count>'")
        return _int(self, line, key, toks[2])


def _int(src: _Lines, line: int, field: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise src.fail(line, f"{field} must be an integer, not {text!r}") from None


def parse_pair(text: str) -> tuple[int, int]:
    """Parse ``(a,b)``.

    Raises:
        ValueError: not of that form.

    >>> parse_pair("(3,5)")
    (3, 5)
    """
    match = _PAIR.match(text)
    if not match:
        raise ValueError(f"expected '(a,b)', not {text!r}")
    return int(match[1]), int(match[2])


def _pair(src: _Lines, line: int, field: str, text: str) -> tuple[int, int]:
    try:
        return parse_pair(text)
    except ValueError as exc:
        raise src.fail(line, f"{field}: {exc}") from None


def parse_scenario(path: Path) -> Scenario:
    """Read a scenario file ``Sc-<id>.txt``.

    Raises:
        Incorrect: missing file, bad header, count or value (file and line named).
    """
    src = _Lines(path)
    line, toks = src.next("SCENARIO")
    if toks[:2] != ["SCENARIO", "="] or len(toks) != 3:
        raise src.fail(line, "expected 'SCENARIO = <id>'")
    sid = toks[2]
    weeks = src.header("WEEKS")
    skills = tuple(src.next("skill")[1][0] for _ in range(src.header("SKILLS")))
    shifts: list[ShiftType] = []
    for _ in range(src.header("SHIFT_TYPES")):
        line, toks = src.next("shift type")
        lo, hi = _pair(src, line, "consecutive bounds", toks[1] if len(toks) > 1 else "")
        shifts.append(ShiftType(toks[0], lo, hi))
    names = {s.name for s in shifts}
    src.header("FORBIDDEN_SHIFT_TYPES_SUCCESSIONS")
    forbidden: dict[str, frozenset[str]] = {}
    for _ in shifts:
        line, toks = src.next("forbidden succession")
        count = _int(src, line, "succession count", toks[1] if len(toks) > 1 else "")
        nxt = toks[2:]
        if toks[0] not in names or len(nxt) != count or not set(nxt) <= names:
            raise src.fail(line, "bad forbidden succession line")
        forbidden[toks[0]] = frozenset(nxt)
    contracts: dict[str, Contract] = {}
    for _ in range(src.header("CONTRACTS")):
        line, toks = src.next("contract")
        if len(toks) != 6:
            raise src.fail(line, "contract needs 6 fields")
        tot = _pair(src, line, "total assignments", toks[1])
        work = _pair(src, line, "consecutive working days", toks[2])
        off = _pair(src, line, "consecutive days off", toks[3])
        mwe = _int(src, line, "max working weekends", toks[4])
        cwe = _int(src, line, "complete weekends", toks[5])
        contracts[toks[0]] = Contract(toks[0], *tot, *work, *off, mwe, bool(cwe))
    nurses: list[Nurse] = []
    for _ in range(src.header("NURSES")):
        line, toks = src.next("nurse")
        if len(toks) < 3 or toks[1] not in contracts:
            hint = did_you_mean(toks[1], contracts) if len(toks) > 1 else ""
            raise src.fail(line, f"bad nurse line (unknown contract?){hint}")
        n_sk = _int(src, line, "skill count", toks[2])
        sk = tuple(toks[3:])
        if len(sk) != n_sk or not set(sk) <= set(skills):
            raise src.fail(line, "nurse skills do not match the count or the SKILLS list")
        nurses.append(Nurse(toks[0], toks[1], sk))
    return Scenario(sid, weeks, skills, tuple(shifts), forbidden, contracts, tuple(nurses))


def parse_history(path: Path, scenario: Scenario) -> dict[str, NurseHistory]:
    """Read a history file ``H0-<id>-<j>.txt``; one entry per scenario nurse.

    Raises:
        Incorrect: bad line, unknown nurse or shift, or a nurse without history.
    """
    src = _Lines(path)
    src.header("HISTORY")
    src.next("week index")
    src.header("NURSE_HISTORY")
    shifts = {s.name for s in scenario.shifts}
    out: dict[str, NurseHistory] = {}
    while src.pos < len(src.items):
        line, toks = src.next("nurse history")
        if len(toks) != 7:
            raise src.fail(line, "nurse history needs 7 fields")
        nums = [_int(src, line, "history counter", t) for t in (toks[1], toks[2], *toks[4:])]
        last = None if toks[3] == "None" else toks[3]
        if last is not None and last not in shifts:
            raise src.fail(line, f"unknown shift {toks[3]!r}{did_you_mean(toks[3], shifts)}")
        out[toks[0]] = NurseHistory(toks[0], nums[0], nums[1], last, nums[2], nums[3], nums[4])
    missing = [n.id for n in scenario.nurses if n.id not in out]
    if missing:
        raise Incorrect(f"{path.name}: no history for nurses {', '.join(missing)}")
    return out


def parse_week(path: Path, scenario: Scenario) -> WeekData:
    """Read a week file ``WD-<id>-<i>.txt``.

    Raises:
        Incorrect: bad requirement or request line (file and line named).
    """
    src = _Lines(path)
    src.header("WEEK_DATA")
    src.next("scenario id")
    src.header("REQUIREMENTS")
    shifts = {s.name for s in scenario.shifts}
    nurses = {n.id for n in scenario.nurses}
    req: dict[tuple[int, str, str], tuple[int, int]] = {}
    for _ in range(len(scenario.shifts) * len(scenario.skills)):
        line, toks = src.next("requirement")
        if len(toks) != 9 or toks[0] not in shifts or toks[1] not in scenario.skills:
            raise src.fail(line, "requirement needs '<shift> <skill>' and 7 '(min,opt)' pairs")
        for day, text in enumerate(toks[2:]):
            req[(day, toks[0], toks[1])] = _pair(src, line, f"{DAY_NAMES[day]} requirement", text)
    requests: list[tuple[str, str | None, int]] = []
    for _ in range(src.header("SHIFT_OFF_REQUESTS")):
        line, toks = src.next("shift-off request")
        if len(toks) != 3 or toks[0] not in nurses or toks[2] not in DAY_NAMES:
            raise src.fail(line, "request needs '<nurse> <shift|Any> <Mon..Sun>'")
        if toks[1] != "Any" and toks[1] not in shifts:
            raise src.fail(line, f"unknown shift {toks[1]!r}{did_you_mean(toks[1], shifts)}")
        shift = None if toks[1] == "Any" else toks[1]
        requests.append((toks[0], shift, DAY_NAMES.index(toks[2])))
    return WeekData(path.stem, req, tuple(requests))


def parse_week_list(text: str) -> list[int]:
    """Parse a week sequence such as ``6-2-9-1``.

    Raises:
        Incorrect: not dash-separated integers.

    >>> parse_week_list("6-2-9-1")
    [6, 2, 9, 1]
    """
    try:
        return [int(t) for t in text.replace(",", "-").split("-") if t.strip()]
    except ValueError:
        raise Incorrect(f"weeks must look like '6-2-9-1', not {text!r}") from None


def load_instance(folder: Path, history: int, weeks: Sequence[int]) -> Instance:
    """Load ``Sc-<id>``, ``H0-<id>-<history>`` and ``WD-<id>-<w>`` for each ``w`` in ``weeks``.

    Args:
        folder: a dataset folder such as ``shared/ops/inrc2/n030w4``; its name is the id.
        history: index of the initial history file.
        weeks: week-file indices in planning order (repeats allowed).

    Raises:
        Incorrect: a file is missing or malformed, or no week was given.
    """
    sid = folder.name
    if not weeks:
        raise Incorrect("at least one week is needed")
    scenario = parse_scenario(folder / f"Sc-{sid}.txt")
    hist = parse_history(folder / f"H0-{sid}-{history}.txt", scenario)
    data = tuple(parse_week(folder / f"WD-{sid}-{w}.txt", scenario) for w in weeks)
    name = f"{sid}_{history}_{'-'.join(str(w) for w in weeks)}"
    return Instance(scenario, hist, data, name)
