"""Unit tests of the kidney calculators (carehub.clinical.kidney)."""
