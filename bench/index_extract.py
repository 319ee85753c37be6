"""Benchmark of search-index extraction (:func:`carehub.fhir_model.search_index.extract`).

Prints, per resource type of a bulk-export sample, the mean microseconds per
resource to extract its index rows, next to the cost of parsing the same NDJSON
lines with orjson as a baseline. Each file is measured over several rounds after
one warm-up round (which compiles the per-type tables); the memo caches of
:mod:`carehub.fhir_model.values` are cleared before every round, so repeated
timestamps and codes only help within one round, as they would when loading a
patient's data once.

Usage::

    python bench/index_extract.py [NDJSON_DIR] [--rounds N]

``NDJSON_DIR`` defaults to ``$CAREHUB_SHARED/fhir-samples/bulk-10-patients``
(``CAREHUB_SHARED`` defaults to the ``shared`` folder beside the repository).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from carehub.fhir_model.search_index import extract
from carehub.fhir_model.values import clear_caches


def _default_dir() -> Path:
    shared = os.environ.get("CAREHUB_SHARED")
    root = Path(shared) if shared else Path(__file__).resolve().parents[2] / "shared"
    return root / "fhir-samples" / "bulk-10-patients"


def _best_of(rounds: int, run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(rounds):
        clear_caches()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?", type=Path, default=_default_dir())
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    files = sorted(p for p in args.directory.glob("*.ndjson") if p.name != "log.ndjson")
    if not files:
        print(f"no NDJSON files in {args.directory}", file=sys.stderr)
        return 1
    print(f"{'resource type':<22}{'count':>7}{'extract µs':>12}{'orjson µs':>11}{'rows':>7}")
    total_n = 0
    total_extract = total_parse = 0.0
    for path in files:
        lines = path.read_bytes().splitlines()
        resources = [orjson.loads(line) for line in lines if line.strip()]
        if not resources:
            continue
        rows = [extract(r) for r in resources]
        n_rows = sum(
            len(r.strings)
            + len(r.tokens)
            + len(r.dates)
            + len(r.references)
            + len(r.quantities)
            + len(r.numbers)
            + len(r.uris)
            for r in rows
        )

        def run_extract(resources: list[dict[str, object]] = resources) -> None:
            for resource in resources:
                extract(resource)

        def run_parse(lines: list[bytes] = lines) -> None:
            for line in lines:
                orjson.loads(line)

        n = len(resources)
        t_extract = _best_of(args.rounds, run_extract)
        t_parse = _best_of(args.rounds, run_parse)
        total_n += n
        total_extract += t_extract
        total_parse += t_parse
        name = str(resources[0].get("resourceType"))
        print(
            f"{name:<22}{n:>7}{t_extract / n * 1e6:>12.1f}{t_parse / n * 1e6:>11.1f}"
            f"{n_rows / n:>7.1f}"
        )
    print(
        f"{'all':<22}{total_n:>7}{total_extract / total_n * 1e6:>12.1f}"
        f"{total_parse / total_n * 1e6:>11.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
