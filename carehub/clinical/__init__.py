"""Clinical calculators and classifications (``carehub.clinical``).

Pure functions, one concept per module, each returning a :class:`~carehub.clinical.result.Result`
that carries the guideline and version it implements. Inputs are checked and
converted to canonical units (:mod:`carehub.clinical.units`); an out-of-range
or missing input raises :class:`~carehub.clinical.inputs.InvalidInput` naming
the input. Outside a rule's validated scope a calculator returns a result
with ``applicable`` false and the reason, never a number.

:mod:`carehub.clinical.catalog` lists every calculator by the rule identifier
used in the clinical specification and its test vectors.
"""
