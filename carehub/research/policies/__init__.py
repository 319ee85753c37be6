"""De-identification policies shipped with CareHub (``<name>.yaml``).

See :mod:`carehub.research.deid.policy` for the format.
"""
