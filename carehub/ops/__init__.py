"""Operations AI: demand forecasting, drug and supply reorder advice, bed and staff allocation.

* :mod:`carehub.ops.forecast`: patient-demand series, models, backtests, reconciliation.
* :mod:`carehub.ops.supply`: inventory ledger, consumption, demand classes, reorder advice.
* :mod:`carehub.ops.allocate`: nurse rostering and bed assignment (OR-Tools CP-SAT).
"""
