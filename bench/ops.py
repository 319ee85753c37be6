"""The operations benchmark: forecasting, supply reorder advice and rostering, in one run.

Runs, in order, ``bench/ops_forecast.py`` (fit + forecast time for 50
department series, accuracy against SeasonalNaive on synthetic and real
series), ``bench/ops_supply.py`` (1,000 drug items, SBC classes, intermittent
methods) and ``bench/ops_roster.py`` (30-nurse 4-week INRC-II instance: solve
time, objective, validity, best known; bed assignment). Each part prints its
own figures; arguments after ``--forecast``/``--supply``/``--roster`` go to
that part.

Usage::

    .venv/bin/python bench/ops.py [--only forecast|supply|roster]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ops_forecast
import ops_roster
import ops_supply

PARTS = {"forecast": ops_forecast.main, "supply": ops_supply.main, "roster": ops_roster.main}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=sorted(PARTS), action="append")
    args = parser.parse_args(argv)
    status = 0
    for name, run in PARTS.items():
        if args.only and name not in args.only:
            continue
        print(f"\n=== {name} ===", flush=True)
        start = time.perf_counter()
        status |= run([])
        print(f"=== {name}: {time.perf_counter() - start:.1f} s ===", flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
