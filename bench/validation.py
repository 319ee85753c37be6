"""Benchmark of :func:`carehub.fhir_model.validation.validate` on the bulk sample data.

Validates every resource of ``$CAREHUB_SHARED/fhir-samples/bulk-10-patients``
(``log.ndjson`` skipped) several times and prints microseconds per resource
(mean, p50, p99) per resource type, next to the cost of parsing the same NDJSON
lines with orjson, as a baseline ratio.

Usage::

    .venv/bin/python bench/validation.py [--rounds 5] [--samples DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

from carehub.fhir_model.definitions import definitions
from carehub.fhir_model.validation import compiler, validate

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_samples() -> Path:
    """``$CAREHUB_SHARED/fhir-samples/bulk-10-patients`` (shared folder beside the repo)."""
    shared = os.environ.get("CAREHUB_SHARED")
    base = Path(shared) if shared else REPO_ROOT.parent / "shared"
    return base / "fhir-samples" / "bulk-10-patients"


def load_lines(folder: Path) -> list[bytes]:
    """Every NDJSON line of the resource files in ``folder``."""
    lines: list[bytes] = []
    for file in sorted(folder.glob("*.ndjson")):
        if file.name != "log.ndjson":
            lines.extend(line for line in file.read_bytes().splitlines() if line.strip())
    return lines


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5)
    2.0
    """
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; return the exit status."""
    parser = argparse.ArgumentParser(description="Benchmark structural validation.")
    parser.add_argument("--samples", type=Path, default=default_samples())
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.samples.is_dir():
        print(f"sample folder not found: {args.samples}", file=sys.stderr)
        return 1
    lines = load_lines(args.samples)
    resources: list[dict[str, Any]] = [orjson.loads(line) for line in lines]

    started = time.perf_counter()
    definitions()
    for resource_type in sorted(definitions().resource_types()):
        compiler().resource_spec(resource_type)
    print(f"load + compile all types: {(time.perf_counter() - started) * 1e3:.1f} ms")

    timings: dict[str, list[float]] = defaultdict(list)
    parse_total = validate_total = 0.0
    clock = time.perf_counter
    for _ in range(args.rounds):
        for line, resource in zip(lines, resources, strict=True):
            t0 = clock()
            orjson.loads(line)
            t1 = clock()
            validate(resource)
            t2 = clock()
            parse_total += t1 - t0
            validate_total += t2 - t1
            timings[resource["resourceType"]].append((t2 - t1) * 1e6)

    count = len(resources) * args.rounds
    print(f"{len(resources)} resources x {args.rounds} rounds")
    print(f"{'type':<20}{'n':>6}{'mean µs':>10}{'p50 µs':>10}{'p99 µs':>10}")
    for resource_type in sorted(timings):
        values = timings[resource_type]
        print(
            f"{resource_type:<20}{len(values) // args.rounds:>6}"
            f"{statistics.fmean(values):>10.1f}{percentile(values, 0.5):>10.1f}"
            f"{percentile(values, 0.99):>10.1f}"
        )
    all_values = [v for values in timings.values() for v in values]
    mean_validate = validate_total / count * 1e6
    mean_parse = parse_total / count * 1e6
    print(
        f"{'all':<20}{len(resources):>6}{mean_validate:>10.1f}"
        f"{percentile(all_values, 0.5):>10.1f}{percentile(all_values, 0.99):>10.1f}"
    )
    ratio = mean_validate / mean_parse
    print(f"orjson parse: {mean_parse:.1f} µs/resource; validate/parse = {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
