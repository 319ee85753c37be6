"""Bounded memory: blocks are generated, written and dropped one after another."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from carehub.synth import SynthConfig, generate
from carehub.synth.block import Block, Context

generate_module = importlib.import_module("carehub.synth.generate")


def test_at_most_two_blocks_are_alive_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refs: list[weakref.ref[Block]] = []
    peak = 0
    original = generate_module.generate_block

    def tracked(ctx: Context, first: int, count: int) -> Block:
        nonlocal peak
        block: Block = original(ctx, first, count)
        refs.append(weakref.ref(block))
        peak = max(peak, sum(ref() is not None for ref in refs))
        return block

    monkeypatch.setattr(generate_module, "generate_block", tracked)
    summary = generate(SynthConfig(patients=300, block_size=20, workers=1), tmp_path)
    assert summary.counts["Patient"] == 300
    assert peak <= 2


_MEASURE = """
import json, resource, sys
from pathlib import Path
from carehub.synth import SynthConfig, generate
generate(SynthConfig(patients=int(sys.argv[1]), workers=1), Path(sys.argv[2]))
print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


def _peak_rss_kib(patients: int, out: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(patients), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.slow
def test_peak_memory_hardly_grows_with_the_population(tmp_path: Path) -> None:
    small = _peak_rss_kib(1000, tmp_path / "small")
    large = _peak_rss_kib(6000, tmp_path / "large")
    assert large - small < 30 * 1024, (small, large)
