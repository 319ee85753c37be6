"""Calendar, bed allocation, configuration and sampling helpers."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from pathlib import Path
from typing import Any

import pytest

from carehub.errors import Incorrect
from carehub.synth.beds import BedAllocator, placeholder_offsets
from carehub.synth.calendar import HospitalCalendar, vietnam_holidays
from carehub.synth.config import SynthConfig
from carehub.synth.sampling import Weighted, patient_rng, permute


def test_tet_comes_from_the_lunar_calendar() -> None:
    names = vietnam_holidays(dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    assert names[dt.date(2024, 2, 10)] == "Lunar New Year"  # Giáp Thìn
    assert names[dt.date(2025, 1, 29)] == "Lunar New Year"  # Ất Tỵ
    assert names[dt.date(2026, 2, 17)] == "Lunar New Year"  # Bính Ngọ
    assert names[dt.date(2025, 9, 2)] == "National Day"


def test_calendar_picks_follow_the_weights() -> None:
    cal = HospitalCalendar(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    rng = random.Random(1)
    days = [cal.pick("outpatient", rng, 0, cal.last_day) for _ in range(20_000)]
    weekdays = [cal.weekday[d] for d in days]
    assert weekdays.count(0) > weekdays.count(4) > weekdays.count(5) > weekdays.count(6)
    assert sum(cal.tet[d] for d in days) < 40
    assert all(10 <= cal.pick("elective", rng, 10, 20) <= 20 for _ in range(200))
    assert cal.pick("outpatient", rng, -50, -10) == 0


def test_beds_are_never_shared() -> None:
    rng = random.Random(4)
    admissions = []
    for _ in range(500):
        start = rng.randrange(0, 100_000)
        end = -1 if rng.random() < 0.05 else start + rng.randrange(60, 20_000)
        admissions.append((rng.choice(["nhi", "san"]), start, end))
    allocator = BedAllocator()
    allocator.add(admissions, list(range(len(admissions))))
    beds, counts = allocator.allocate({"nhi": 3, "san": 3})
    occupied: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for (ward, start, end), bed in zip(admissions, beds, strict=True):
        assert 1 <= bed <= counts[ward]
        occupied.setdefault((ward, bed), []).append((start, end if end >= 0 else 10**9))
    for periods in occupied.values():
        periods.sort()
        for (_, end), (start, _) in itertools.pairwise(periods):
            assert start >= end


def test_placeholders_are_patched_in_place(tmp_path: Path) -> None:
    data = b'{"a":"Location/bed-nhi-?????"}\n{"b":1}\n{"a":"Location/bed-san-?????"}\n'
    offsets = placeholder_offsets(data)
    assert len(offsets) == 2
    path = tmp_path / "Encounter.ndjson"
    path.write_bytes(data)
    allocator = BedAllocator()
    allocator.add([("nhi", 0, 10), ("san", 0, 10)], offsets)
    beds, _ = allocator.allocate({})
    allocator.patch(path, beds)
    assert path.read_bytes() == data.replace(b"?????", b"00001")


@pytest.mark.parametrize(
    "kwargs",
    [{"patients": -1}, {"patients": 1, "years": 31}, {"patients": 1, "block_size": 0}],
)
def test_config_rejects_bad_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(Incorrect):
        SynthConfig(**kwargs)


def test_start_date_of_a_leap_day_end() -> None:
    assert SynthConfig(patients=1, years=1, end_date=dt.date(2024, 2, 28)).start_date == dt.date(
        2023, 3, 1
    )
    assert SynthConfig(patients=1, years=2, end_date=dt.date(2024, 2, 29)).start_date == dt.date(
        2022, 3, 1
    )


def test_weighted_table_frequencies() -> None:
    table = Weighted([("x", 1.0), ("y", 3.0)])
    rng = random.Random(2)
    draws = [table.pick(rng) for _ in range(8000)]
    assert 0.72 < draws.count("y") / len(draws) < 0.78


def test_streams_are_independent_per_patient() -> None:
    assert patient_rng(1, 1).random() != patient_rng(1, 2).random()
    assert len({permute(i, 10**6, 3) for i in range(50_000)}) == 50_000


def test_public_surface() -> None:
    import carehub.synth

    assert sorted(carehub.synth.__all__) == ["ALL_TYPES", "SynthConfig", "SynthSummary", "generate"]
    for name in carehub.synth.__all__:
        assert getattr(carehub.synth, name) is not None
