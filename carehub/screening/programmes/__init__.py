"""Screening programmes, one module each.

:data:`carehub.screening.evaluate.PROGRAMMES` lists them.
"""
