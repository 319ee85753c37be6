"""``generate``: write a whole synthetic population to an output folder.

Patients are generated in blocks (:mod:`carehub.synth.block`), in this
process or in a pool of worker processes; blocks are written strictly in
index order, and at most two blocks per worker are in flight, so memory
stays bounded whatever the population size. When every patient is written,
beds are allocated (:mod:`carehub.synth.beds`), the hospital's own resources
are written (they need the final bed counts) and the files get their final
names.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any

from carehub import __version__
from carehub.synth.block import Block, Context, generate_block
from carehub.synth.config import SynthConfig
from carehub.synth.copd_ps import questionnaire_resource
from carehub.synth.facility import facility_resources, planned_beds
from carehub.synth.writer import GROUND_TRUTH, BulkWriter

Progress = Callable[[int], None]
"""Called with the number of patients just written."""

_worker_context: Context | None = None


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What a run wrote.

    Attributes:
        out_dir: the output folder.
        patients: number of patients.
        counts: resources written per type.
        beds: beds per ward.
        seconds: wall-clock duration.
        workers: processes used.
    """

    out_dir: Path
    patients: int
    counts: dict[str, int]
    beds: dict[str, int]
    seconds: float
    workers: int

    @property
    def resources(self) -> int:
        """Resources written, all types together."""
        return sum(self.counts.values())


def _init_worker(config: SynthConfig) -> None:
    global _worker_context
    _worker_context = Context.build(config)


def _work(first: int, count: int) -> Block:
    if _worker_context is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker used before initialisation")
    return generate_block(_worker_context, first, count)


def _ranges(config: SynthConfig) -> Iterator[tuple[int, int]]:
    for first in range(0, config.patients, config.block_size):
        yield first, min(config.block_size, config.patients - first)


def iter_blocks(config: SynthConfig, workers: int) -> Iterator[Block]:
    """Every block of the run, in patient order, from ``workers`` processes."""
    if workers <= 1:
        ctx = Context.build(config)
        for first, count in _ranges(config):
            yield generate_block(ctx, first, count)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(
        workers, initializer=_init_worker, initargs=(config,)
    ) as pool:
        pending: deque[AsyncResult[Block]] = deque()
        for first, count in _ranges(config):
            pending.append(pool.apply_async(_work, (first, count)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def manifest(config: SynthConfig) -> dict[str, Any]:
    """The manifest fields other than ``output`` and ``error``."""
    end = config.end_date.isoformat()
    request = (
        f"carehub synth --patients {config.patients} --years {config.years}"
        f" --seed {config.seed} --end-date {end}"
    )
    return {
        "transactionTime": f"{end}T23:59:59+07:00",
        "request": request,
        "requiresAccessToken": False,
        "extension": {
            "generator": f"carehub {__version__}",
            "patients": config.patients,
            "years": config.years,
            "seed": config.seed,
            "startDate": config.start_date.isoformat(),
            "endDate": end,
            "groundTruth": GROUND_TRUTH,
        },
    }


def generate(config: SynthConfig, out_dir: Path, progress: Progress | None = None) -> SynthSummary:
    """Write the population of ``config`` to ``out_dir``.

    The same configuration always gives byte-identical files, whatever the
    number of workers or the block size.

    Args:
        config: what to generate.
        out_dir: the output folder (created if missing; files of the same
            names are replaced).
        progress: called after each block with its number of patients.

    Raises:
        Incorrect: ``out_dir`` cannot be used.
    """
    started = time.perf_counter()
    workers = config.worker_count(os.cpu_count())
    writer = BulkWriter(out_dir)
    try:
        for block in iter_blocks(config, workers):
            writer.write_block(block)
            if progress:
                progress(block.count)
        beds = writer.allocate_beds(planned_beds(config.patients))
        writer.write_resources(facility_resources(config.seed, beds, config.end_date.year))
        writer.write_resources([questionnaire_resource()])
        writer.finish(manifest(config))
    except BaseException:
        writer.abort()
        raise
    return SynthSummary(
        out_dir=out_dir,
        patients=config.patients,
        counts=dict(writer.counts),
        beds=beds,
        seconds=time.perf_counter() - started,
        workers=workers,
    )
