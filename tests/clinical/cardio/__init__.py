"""Unit tests of the cardiovascular and heart-failure calculators (carehub.clinical.cardio)."""
