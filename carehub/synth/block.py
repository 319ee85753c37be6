"""Generating one block of patients, in whichever process runs it.

A block is a run of consecutive patient indexes. :func:`generate_block`
builds each patient from its own random stream (:func:`carehub.synth.sampling.patient_rng`)
and serialises the block's resources with orjson, one NDJSON byte string per
resource type, plus the ground-truth rows and the admissions awaiting beds.
Blocks are independent, so they can be generated in parallel and written in
index order: the output never depends on the number of processes or the
block size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from carehub.synth import truth
from carehub.synth.activity import plan_visits
from carehub.synth.calendar import HospitalCalendar
from carehub.synth.care import Care
from carehub.synth.clinical import plant_health
from carehub.synth.config import SynthConfig
from carehub.synth.population import make_person, patient_resource
from carehub.synth.record import RESOURCE_TYPES, Admission, Record
from carehub.synth.sampling import patient_rng

_NDJSON = orjson.OPT_APPEND_NEWLINE


@dataclass(frozen=True, slots=True)
class Context:
    """What every patient of a run shares: the parameters and the calendar."""

    config: SynthConfig
    calendar: HospitalCalendar

    @classmethod
    def build(cls, config: SynthConfig) -> Context:
        """The context of ``config`` (computes the calendar and its holidays)."""
        return cls(config, HospitalCalendar(config.start_date, config.end_date))


@dataclass(slots=True, weakref_slot=True)
class Block:
    """The serialised output of patients ``first`` to ``first + count - 1``.

    Attributes:
        first: index of the first patient.
        count: number of patients.
        ndjson: NDJSON bytes per resource type (one line per resource).
        counts: number of resources per type.
        truth: ground-truth CSV rows (no header).
        admissions: admissions in the order of their Encounter lines.
    """

    first: int
    count: int
    ndjson: dict[str, bytes] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    truth: bytes = b""
    admissions: list[Admission] = field(default_factory=list)


def build_patient(ctx: Context, index: int) -> tuple[Record, list[str]]:
    """Generate patient ``index``: its resources and its ground-truth row."""
    config, cal = ctx.config, ctx.calendar
    rng = patient_rng(config.seed, index)
    person = make_person(rng, index, config.seed, config.end_date)
    health = plant_health(rng, person.age_exact, person.female)
    visits = plan_visits(rng, person, health, cal)
    rec = Record(person.id, cal)
    care = Care(rec, rng, person, health, cal)
    care.chronic_conditions()
    care.render(visits)
    rec.resources["Patient"].append(patient_resource(person, care.death))
    row = truth.row(
        person,
        health,
        care.death,
        care.scans["ldct"],
        care.scans["chest_ct"],
        care.largest_nodule,
    )
    return rec, row


def generate_block(ctx: Context, first: int, count: int) -> Block:
    """Generate and serialise patients ``first`` .. ``first + count - 1``."""
    parts: dict[str, list[bytes]] = {t: [] for t in RESOURCE_TYPES}
    rows: list[list[str]] = []
    block = Block(first, count)
    dumps = orjson.dumps
    for index in range(first, first + count):
        rec, row = build_patient(ctx, index)
        rows.append(row)
        block.admissions.extend(rec.admissions)
        for resource_type, resources in rec.resources.items():
            parts[resource_type].extend(dumps(r, option=_NDJSON) for r in resources)
    for resource_type, lines in parts.items():
        block.ndjson[resource_type] = b"".join(lines)
        block.counts[resource_type] = len(lines)
    block.truth = truth.to_csv(rows)
    return block
