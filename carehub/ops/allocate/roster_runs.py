"""Soft limits on runs of consecutive days, as CP-SAT clauses.

Method: the "soft sequence" patterns of OR-Tools'
``examples/python/shift_scheduling_sat.py``
(https://github.com/google/or-tools/blob/stable/examples/python/shift_scheduling_sat.py),
made exact for the INRC-II costs (Ceschia et al., arXiv:1501.04177, S2/S3):

* a run of length ``L < lo`` that ends inside the horizon costs ``lo - L``:
  one penalty literal per (start, length) pattern, forced by the clause
  "off before, on for L days, off after → penalty";
* each day that completes ``hi + 1`` consecutive ``on`` days costs 1, so a
  run of length ``L > hi`` costs ``L - hi`` in total;
* ``prefix`` on-days before day 0 (the history) extend the first run; the last
  run of the horizon is only checked against ``hi``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model


def run_penalties(
    model: cp_model.CpModel,
    seq: Sequence[cp_model.BoolVarT],
    prefix: int,
    lo: int,
    hi: int,
) -> list[tuple[int, cp_model.BoolVarT]]:
    """Add the clauses for one boolean sequence and return ``(units, penalty literal)`` pairs.

    Args:
        model: the model to extend.
        seq: one boolean per day, true when the day belongs to a run.
        prefix: length of the run in progress before day 0 (0 if none).
        lo: shortest run without cost.
        hi: longest run without cost.

    Returns:
        the penalty literals with the number of violation units each stands for.
    """
    n = len(seq)
    out: list[tuple[int, cp_model.BoolVarT]] = []
    if hi < n + prefix:
        for day in range(n):
            start = day - hi
            if start < 0 and prefix < -start:
                continue
            window = seq[max(0, start) : day + 1]
            pen = model.new_bool_var("")
            model.add_bool_or([v.Not() for v in window] + [pen])
            out.append((1, pen))
    if prefix and prefix < lo and n:
        pen = model.new_bool_var("")
        model.add_bool_or([seq[0], pen])
        out.append((lo - prefix, pen))
    for length in range(1, lo):
        for start in range(n - length):
            before = prefix if start == 0 else 0
            cost = lo - length - before
            if cost <= 0:
                continue
            lits = [seq[d].Not() for d in range(start, start + length)] + [seq[start + length]]
            if start > 0:
                lits.append(seq[start - 1])
            pen = model.new_bool_var("")
            model.add_bool_or([*lits, pen])
            out.append((cost, pen))
    return out
