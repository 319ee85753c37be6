"""Hospital activity: weekly rhythm, Tết, respiratory season, admissions and beds."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from statistics import mean
from typing import Any

import holidays

from tests.synth.conftest import Population

START, END = dt.date(2023, 7, 1), dt.date(2026, 6, 30)


def _start(encounter: dict[str, Any]) -> dt.date:
    return dt.date.fromisoformat(encounter["period"]["start"][:10])


def _outpatient_days(population: Population) -> Counter[dt.date]:
    return Counter(
        _start(e) for e in population.resources("Encounter") if e["class"]["code"] == "AMB"
    )


def test_outpatient_weekday_pattern(population: Population) -> None:
    days = _outpatient_days(population)
    by_weekday: Counter[int] = Counter()
    for day, n in days.items():
        by_weekday[day.weekday()] += n
    monday, saturday, sunday = by_weekday[0], by_weekday[5], by_weekday[6]
    assert all(monday > by_weekday[d] for d in range(1, 7))
    assert sunday < 0.06 * monday
    assert sunday < saturday < min(by_weekday[d] for d in range(5))


def test_saturday_clinics_are_morning_only(population: Population) -> None:
    hours = [
        int(e["period"]["start"][11:13])
        for e in population.resources("Encounter")
        if e["class"]["code"] == "AMB" and _start(e).weekday() == 5
    ]
    assert hours and max(hours) < 12


def test_tet_dip_and_holidays(population: Population) -> None:
    days = _outpatient_days(population)
    vietnam = holidays.country_holidays("VN", years=range(2023, 2027), language="en_US")
    tet = [d for d, name in vietnam.items() if "Lunar New Year" in name and START <= d <= END]
    assert len(tet) >= 10
    working = [
        days[START + dt.timedelta(days=i)]
        for i in range((END - START).days + 1)
        if (START + dt.timedelta(days=i)).weekday() < 5
        and START + dt.timedelta(days=i) not in vietnam
    ]
    assert mean(days[d] for d in tet) < 0.15 * mean(working)
    emergency = Counter(
        _start(e) for e in population.resources("Encounter") if e["class"]["code"] == "EMER"
    )
    assert sum(emergency[d] for d in tet) > 0


def test_respiratory_season(population: Population) -> None:
    respiratory = {"J06.9", "J20.9", "J18.9", "J11.1", "H66.9", "J44.1"}
    months: Counter[int] = Counter()
    for encounter in population.resources("Encounter"):
        codes = {c["coding"][0]["code"] for c in encounter.get("reasonCode", [])}
        if codes & respiratory:
            months[_start(encounter).month] += 1
    assert months[1] + months[2] + months[3] > 1.3 * (months[6] + months[7] + months[8])


def test_admissions_have_ward_bed_period_and_no_shared_bed(population: Population) -> None:
    stays: dict[str, list[tuple[str, str]]] = defaultdict(list)
    admissions = [e for e in population.resources("Encounter") if e["class"]["code"] == "IMP"]
    assert len(admissions) > 100
    for encounter in admissions:
        ward, bed = encounter["location"]
        assert ward["location"]["reference"].startswith("Location/ward-")
        assert bed["location"]["reference"].startswith("Location/bed-")
        assert bed["period"] == encounter["period"] == ward["period"]
        ward_code = ward["location"]["reference"][len("Location/ward-") :]
        assert bed["location"]["reference"].startswith(f"Location/bed-{ward_code}-")
        assert "admitSource" in encounter["hospitalization"]
        if encounter["status"] == "in-progress":
            assert "end" not in encounter["period"]
            assert bed["status"] == "active"
        else:
            assert encounter["period"]["end"] > encounter["period"]["start"]
            assert "dischargeDisposition" in encounter["hospitalization"]
        end = encounter["period"].get("end", "9999")
        stays[bed["location"]["reference"]].append((encounter["period"]["start"], end))
    for periods in stays.values():
        periods.sort()
        for (_, end), (start, _) in itertools.pairwise(periods):
            assert start >= end
    locations = {loc["id"] for loc in population.resources("Location")}
    assert {ref[len("Location/") :] for ref in stays} <= locations


def test_daily_census_can_be_derived(population: Population) -> None:
    census: Counter[dt.date] = Counter()
    for encounter in population.resources("Encounter"):
        if encounter["class"]["code"] != "IMP":
            continue
        day = _start(encounter)
        last = dt.date.fromisoformat(encounter["period"].get("end", END.isoformat())[:10])
        while day < last:
            census[day] += 1
            day += dt.timedelta(days=1)
    assert max(census.values()) > 1
    assert sum(census.values()) / ((END - START).days + 1) > 1


def test_in_hospital_deaths_end_the_record(population: Population) -> None:
    deceased = {
        p["id"]: p["deceasedDateTime"]
        for p in population.patients.values()
        if "deceasedDateTime" in p
    }
    assert deceased
    for encounter in population.resources("Encounter"):
        pid = encounter["subject"]["reference"][len("Patient/") :]
        if pid in deceased:
            assert encounter["period"]["start"] <= deceased[pid]
    for pid, when in deceased.items():
        assert population.truth_by_id[pid]["deceased_date"] == when[:10]


def test_slow_moving_items_are_dispensed_intermittently(population: Population) -> None:
    dispensed: Counter[str] = Counter()
    for dispense in population.resources("MedicationDispense"):
        assert dispense["status"] == "completed"
        dispensed[dispense["medicationCodeableConcept"]["coding"][0]["code"]] += 1
    assert dispensed["C08CA01"] > 200  # amlodipine: a fast mover
    for slow in ("B03XA01", "A10AE04", "R03BB04"):  # epoetin, insulin glargine, tiotropium
        assert 0 < dispensed[slow] < dispensed["C08CA01"] / 3, slow
    supplies = Counter(
        s["suppliedItem"]["itemCodeableConcept"]["coding"][0]["code"]
        for s in population.resources("SupplyDelivery")
    )
    assert supplies["VT002"] > 500 and 0 < supplies["VT011"] < 100
