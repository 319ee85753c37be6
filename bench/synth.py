"""Benchmark of ``carehub synth``: resources written per second and peak memory.

Each population size runs in a fresh process (so peak RSS is that run's own)
and writes to a temporary folder that is deleted afterwards. Prints one row
per size: patients, workers, resources, wall seconds, resources per wall
second, resources per CPU second (user + system time of the process and its
workers: the figure to compare on a machine shared with other jobs), MiB
written and peak RSS of the generating process and of its workers.

Usage::

    .venv/bin/python bench/synth.py [--patients 2000 10000] [--workers 1] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_one(patients: int, workers: int, seed: int) -> dict[str, float]:
    """Generate in this process; return the measurements."""
    from carehub.synth import SynthConfig, generate

    cpu_before = _cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="carehub-synth-bench-") as tmp:
        out = Path(tmp)
        summary = generate(SynthConfig(patients=patients, seed=seed, workers=workers), out)
        written = sum(f.stat().st_size for f in out.iterdir())
    cpu = _cpu_seconds() - cpu_before
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "patients": patients,
        "workers": summary.workers,
        "resources": summary.resources,
        "seconds": summary.seconds,
        "rate": summary.resources / summary.seconds,
        "cpu_rate": summary.resources / cpu,
        "mib": written / 2**20,
        "rss": self_rss,
        "worker_rss": child_rss,
    }


def main(argv: list[str] | None = None) -> int:
    """Run every size in its own process and print the table; return the exit status."""
    parser = argparse.ArgumentParser(description="Benchmark carehub synth.")
    parser.add_argument("--patients", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.patients[0], args.workers[0], args.seed)))
        return 0
    print(f"CPUs: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    header = f"{'patients':>9} {'workers':>7} {'resources':>10} {'seconds':>8} {'res/s':>9}"
    print(f"{header} {'res/CPU-s':>9} {'MiB out':>8} {'peak RSS MiB':>12} {'worker RSS':>10}")
    for workers in args.workers:
        for patients in args.patients:
            command = [sys.executable, __file__, "--one", "--patients", str(patients)]
            command += ["--workers", str(workers), "--seed", str(args.seed)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{r['patients']:>9,} {r['workers']:>7} {r['resources']:>10,} {r['seconds']:>8.2f}"
                f" {r['rate']:>9,.0f} {r['cpu_rate']:>9,.0f} {r['mib']:>8.1f}"
                f" {r['rss']:>12.1f} {r['worker_rss']:>10.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
