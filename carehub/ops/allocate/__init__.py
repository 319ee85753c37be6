"""Bed and staff allocation: nurse rostering (INRC-II) and bed assignment with OR-Tools CP-SAT.

Spec: ``shared/specs/operations.md`` §5. Modules:

* rostering — :mod:`.roster_model` (problem and result), :mod:`.roster_json` (CareHub
  JSON), :mod:`.roster_cpsat` and :mod:`.roster_runs` (the CP-SAT model),
  :mod:`.roster_solver` (time-limited solve) with :mod:`.roster_lns`
  (neighbourhood search), :mod:`.infeasibility` (conflicting hard constraints in
  words), :mod:`.coverage` (forecast census → required nurses);
* INRC-II benchmark — :mod:`.inrc2_format` (files), :mod:`.inrc2_evaluate`
  (independent validator H1–H4, S1–S7), :mod:`.inrc2_report` (solve, validate,
  compare with the best known value);
* beds — :mod:`.beds` (layout, admissions), :mod:`.bed_solver`, :mod:`.bed_sample`.
"""
