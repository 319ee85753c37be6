"""A reproducible ward-sized bed problem for tests and benchmarks.

Wards use department codes of :mod:`carehub.synth.facility`; rooms of four
beds (single-sex, as in Vietnamese and most European wards) plus single
isolation rooms; stays are drawn with a geometric-like length of stay.
Vocabulary of patient-admission scheduling (Demeester et al., *Artif Intell
Med* 2010;48(1):61-70).
"""

from __future__ import annotations

import random

from carehub.ops.allocate.beds import KINDS, SEXES, BedAdmission, BedProblem, layout_from_json


def sample_bed_problem(
    seed: int = 0,
    wards: tuple[str, ...] = ("noi-tim-mach", "ho-hap"),
    rooms_per_ward: int = 4,
    days: int = 14,
    admissions_per_day: float = 4.0,
) -> BedProblem:
    """Wards of ``rooms_per_ward`` four-bed rooms and one isolation room each, and stays.

    About a fifth of the stays are already in a bed on day 0 (``current``).

    >>> p = sample_bed_problem(0, rooms_per_ward=1, days=2, admissions_per_day=2)
    >>> len(p.rooms), sum(len(r.beds) for r in p.rooms), len(p.admissions) > 0
    (4, 10, True)
    """
    rng = random.Random(seed)
    layout = {
        "wards": [
            {
                "code": w,
                "rooms": [{"id": f"{w}-r{i + 1}", "beds": 4} for i in range(rooms_per_ward)]
                + [{"id": f"{w}-iso", "beds": 1, "isolation": True}],
            }
            for w in wards
        ]
    }
    rooms = layout_from_json(layout)
    general = [b for r in rooms if not r.isolation for b in r.beds]
    rng.shuffle(general)
    stays: list[BedAdmission] = []
    current = max(1, len(general) // 3)
    for i in range(current):
        ward = general[i].split("-", 1)[1].rsplit("-", 1)[0]
        sex = SEXES[rng.random() < 0.5]
        since = rng.randint(0, 5)
        stays.append(
            BedAdmission(
                f"cur-{i}",
                ward,
                sex,
                -since,
                since + rng.randint(1, 6),
                current_bed=general[i],
                kind="current",
            )
        )
    count = int(admissions_per_day * days)
    for i in range(count):
        kind = KINDS[1 + (rng.random() < 0.4)]
        stays.append(
            BedAdmission(
                f"adm-{i}",
                rng.choice(wards),
                SEXES[rng.random() < 0.5],
                rng.randrange(days),
                1 + min(20, int(rng.expovariate(1 / 4))),
                isolation=rng.random() < 0.05,
                kind=kind,
            )
        )
    return BedProblem(rooms, tuple(stays))
